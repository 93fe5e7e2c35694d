"""What worked, for organizers: the CSV and the dashboard by source and by
referrer."""

import pytest
from django.core.cache import cache

from tests.admin.pages import EXPORT, download, table_rows
from tests.factories import SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db


def test_export_has_the_source_and_referral_columns(client, organizer, petition):
    referrer = SignatureFactory(petition=petition, full_name="Ann", source="email")
    SignatureFactory(
        petition=petition, full_name="Bob", source="whatsapp", referred_by=referrer
    )

    rows = download(
        client.post(
            EXPORT, {"columns": ["full_name", "source", "referral_code", "referred_by"]}
        )
    )

    bob = next(row for row in rows if row[0] == "Bob")
    assert rows[0] == ["Name", "Source", "Referral code", "Referred by"]
    assert rows[1] == ["Ann", "email", referrer.referral_code, ""]
    assert bob[1] == "whatsapp"
    assert bob[3] == referrer.referral_code


def test_dashboard_shows_signatures_and_confirmation_rate_by_source(
    client, organizer, petition
):
    SignatureFactory.create_batch(3, petition=petition, source="whatsapp")
    SignatureFactory(petition=petition, source="whatsapp", pending=True)
    SignatureFactory(petition=petition, source="facebook", pending=True)
    SignatureFactory(petition=petition, source="whatsapp", status="invalidated")
    SignatureFactory(petition=petition)
    cache.clear()

    page = parse_page(
        client.get(
            f"/admin/petition/petition/{petition.pk}/dashboard/"
        ).content.decode()
    )

    assert table_rows(page.by_id("by-source")) == [
        ["whatsapp", "4", "3", "75 %"],
        ["(none)", "1", "1", "100 %"],
        ["facebook", "1", "0", "0 %"],
    ]


def test_dashboard_ranks_referrers_by_the_confirmed_signatures_they_brought(
    client, organizer, petition
):
    ann = SignatureFactory(petition=petition, full_name="Ann Keen")
    bob = SignatureFactory(petition=petition, full_name="Bob Slow")
    SignatureFactory.create_batch(2, petition=petition, referred_by=ann)
    SignatureFactory(petition=petition, referred_by=ann, pending=True)
    SignatureFactory(petition=petition, referred_by=bob)
    cache.clear()

    html = client.get(
        f"/admin/petition/petition/{petition.pk}/dashboard/"
    ).content.decode()

    table = parse_page(html).by_id("top-referrers")
    links = [
        (element.text, element.attrs["href"])
        for element in table.descendants()
        if element.tag == "a"
    ]
    assert links == [
        (ann.referral_code, f"/admin/signatures/signature/{ann.pk}/change/"),
        (bob.referral_code, f"/admin/signatures/signature/{bob.pk}/change/"),
    ]
    counts = [row[1] for row in table_rows(table)]
    assert counts == ["2", "1"]
    assert "Ann Keen" not in html
