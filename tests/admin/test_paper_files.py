"""Paper batches as organizers bring them: spreadsheets saved as CSV in
French or English, in the encodings Excel writes, or rows typed in; files
that are no batch at all get a clear message and add nothing."""

import pytest

from signatures.models import Signature
from signatures.paper_csv import MAX_ROWS
from tests.admin.paper import ADD, batch_fields, row_text, upload

pytestmark = pytest.mark.django_db


def test_french_headers_with_semicolons_in_windows_1252(
    client, organizer, petition, press_add
):
    content = (
        "Prénom;Nom;Courriel;Code postal;Pays;Nouvelles;Langue\n"
        "Émilie;Bérubé;emilie@example.org;G1R 4S9;Canada;oui;français\n"
        "Noël;Côté;;J8X 3X7;;non;\n"
    ).encode("cp1252")

    press_add(upload(client, petition, content))

    assert list(
        Signature.objects.order_by("pk").values_list(
            "full_name", "email", "country", "province", "wants_updates", "language"
        )
    ) == [
        ("Émilie Bérubé", "emilie@example.org", "CA", "QC", True, "fr"),
        ("Noël Côté", "", "CA", "QC", False, "en"),
    ]


def test_a_utf8_file_with_a_byte_order_mark_reads_its_first_column(
    client, organizer, petition, press_add
):
    content = "\ufeffName,Email,Postal code\r\nZoë Ng,zoe@example.org,V6B 1A1\r\n"

    press_add(upload(client, petition, content.encode("utf-8")))

    assert Signature.objects.get().full_name == "Zoë Ng"


def test_excel_unicode_text_in_utf16_with_tabs_is_read(
    client, organizer, petition, press_add
):
    content = "Name\tPostal code\r\nZoë Ng\tV6B 1A1\r\n".encode("utf-16")

    press_add(upload(client, petition, content, name="batch.txt"))

    assert Signature.objects.get().full_name == "Zoë Ng"


def test_rows_typed_into_the_text_box_are_added(client, organizer, petition, press_add):
    preview = client.post(
        ADD,
        {**batch_fields(petition), "text": "Name,Postal code\nAda Lee,K1A 0B1\n"},
    )

    press_add(preview)

    assert Signature.objects.get().full_name == "Ada Lee"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 16, "This file is not text we can read"),
        (
            b"PK\x03\x04" + bytes(range(256)),
            "This is a spreadsheet file (.xlsx or .ods)",
        ),
        (b"", "Choose a CSV file, or type the rows below."),
        (b"Name,Phone\nAda,555\n", "Unknown column “Phone”"),
        (b"Email\nada@example.org\n", "at least a name column"),
        (b"Name\n", "no signers under it"),
        (
            b"Name,Postal code\n" + b"Ada Lee,K1A 0B1\n" * (MAX_ROWS + 1),
            "The batch is too large",
        ),
    ],
    ids=["binary", "xlsx", "empty", "unknown-column", "no-name", "no-rows", "too-many"],
)
def test_a_file_that_is_not_a_batch_gets_a_clear_message(
    client, organizer, petition, content, message
):
    response = upload(client, petition, content)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Signature.objects.exists()


def test_a_name_a_spreadsheet_would_run_is_refused_like_on_the_web_form(
    client, organizer, petition
):
    preview = upload(client, petition, "Name,Postal code\n=HYPERLINK(1),K1A 0B1\n")

    assert "Full name: Your name can’t start with =, +, - or @." in row_text(preview, 2)
