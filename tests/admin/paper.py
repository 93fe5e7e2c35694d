"""What the paper batch tests share: the add page, a good batch, sending
one, and reading its preview."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.html_tools import parse_page

ADD = "/admin/signatures/paperbatch/add/"

GOOD_BATCH = (
    "Name,Email,Postal code,Updates\n"
    "Marie Tremblay,marie@example.org,h2x1y4,yes\n"
    "Jean Dupont,,K1A 0B1,no\n"
    "Aisha Khan,AISHA@Example.org,M5V 2T6,\n"
)


def batch_fields(petition, **extra) -> dict:
    return {
        "petition": petition.pk,
        "event": "Rally at City Hall",
        "collected_on": "2026-05-01",
        "collected_by": "Ottawa volunteers",
        "language": "en",
        **extra,
    }


def upload(client, petition, content: bytes | str, name: str = "batch.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        ADD,
        {**batch_fields(petition), "file": SimpleUploadedFile(name, data, "text/csv")},
    )


def row_text(response, number: int) -> str:
    row = parse_page(response.content.decode()).by_id(f"paper-row-{number}")
    assert row is not None, f"row {number} missing from the preview"
    return " ".join(
        " ".join(element.text.split()) for element in row.descendants() if element.text
    )
