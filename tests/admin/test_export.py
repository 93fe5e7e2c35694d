"""The CSV export: confirmed signatures only, chosen columns, inert formulas,
on record."""

import pytest

from signatures.models import ModerationAction
from tests.admin.pages import CHANGELIST, EXPORT, download
from tests.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def test_export_holds_only_confirmed_signatures_with_chosen_columns(
    client, organizer, petition
):
    SignatureFactory(
        petition=petition,
        full_name="Ann Confirmed",
        postal_code="K1A 0B1",
        province="ON",
    )
    SignatureFactory(petition=petition, full_name="Pat Pending", pending=True)
    SignatureFactory(petition=petition, full_name="Ivy Invalid", status="invalidated")

    response = client.post(
        EXPORT, {"columns": ["full_name", "postal_code", "province"]}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = download(response)
    assert rows == [
        ["Name", "Postal code", "Province or territory"],
        ["Ann Confirmed", "K1A 0B1", "Ontario"],
    ]
    assert ModerationAction.objects.get().kind == "export"


def test_export_cells_cannot_run_as_spreadsheet_formulas(client, organizer, petition):
    for n, name in enumerate(
        ["=HYPERLINK(1)", "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "Émile Noël"]
    ):
        SignatureFactory(petition=petition, full_name=name, email=f"n{n}@example.org")

    rows = download(client.post(EXPORT, {"columns": ["full_name"]}))

    assert [row[0] for row in rows[1:]] == [
        "'=HYPERLINK(1)",
        "'+1+1",
        "'-2",
        "'@SUM(A1)",
        "'\tTab",
        "'\rCR",
        "Émile Noël",
    ]


def test_export_follows_the_changelist_filters(client, organizer, petition):
    other = PetitionFactory()
    SignatureFactory(petition=petition, full_name="On This One")
    SignatureFactory(petition=other, full_name="On The Other")

    rows = download(
        client.post(
            f"{EXPORT}?petition__id__exact={petition.pk}", {"columns": ["full_name"]}
        )
    )

    assert rows[1:] == [["On This One"]]


def test_export_of_selected_signatures_from_the_changelist(client, organizer, petition):
    chosen = SignatureFactory(petition=petition, full_name="Chosen One")
    SignatureFactory(petition=petition, full_name="Not Chosen")

    redirect = client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [chosen.pk]}
    )
    rows = download(client.post(redirect["Location"], {"columns": ["full_name"]}))

    assert rows[1:] == [["Chosen One"]]


def test_export_without_columns_says_what_is_missing(client, organizer):
    response = client.post(EXPORT, {})

    assert response.status_code == 200
    assert "Choose at least one column." in response.content.decode()


def test_export_is_on_record_even_if_the_download_is_abandoned(
    client, organizer, petition
):
    SignatureFactory(petition=petition)

    response = client.post(EXPORT, {"columns": ["full_name"]})  # never read

    assert response.status_code == 200
    record = ModerationAction.objects.get()
    assert record.kind == "export"
    assert record.performed_by == organizer
