"""The signature list: finding a signer, filters, counts that stay cheap, the
date hierarchy, a signature's own page."""

import pytest
from django.utils import timezone

from tests.admin.pages import CHANGELIST
from tests.factories import SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db


def test_changelist_finds_a_signer_by_postal_code_email_or_name(
    client, organizer, petition
):
    SignatureFactory(
        petition=petition, full_name="Marie Tremblay", postal_code="H2X 1Y4"
    )
    SignatureFactory(
        petition=petition, full_name="John Smith", email="John.Smith@Example.org"
    )

    def found(term: str) -> str:
        page = parse_page(client.get(CHANGELIST, {"q": term}).content.decode())
        return page.visible_text

    assert "Marie Tremblay" in found("h2x1y4")
    assert "John Smith" not in found("h2x1y4")
    assert "Marie Tremblay" in found("H2X")
    assert "John Smith" in found(" john.smith@example.org ")
    assert "John Smith" in found("smith")


def test_changelist_filters_by_status(client, organizer, petition):
    SignatureFactory(petition=petition, full_name="Confirmed Carla")
    SignatureFactory(petition=petition, full_name="Pending Paul", pending=True)

    text = parse_page(
        client.get(CHANGELIST, {"status__exact": "pending"}).content.decode()
    )

    assert "Pending Paul" in text.visible_text
    assert "Confirmed Carla" not in text.visible_text


def test_changelist_queries_do_not_grow_with_rows(
    client, organizer, petition, django_assert_max_num_queries
):
    SignatureFactory.create_batch(5, petition=petition)
    with django_assert_max_num_queries(30) as few:
        client.get(CHANGELIST)
    SignatureFactory.create_batch(60, petition=petition)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(CHANGELIST)

    assert response.status_code == 200


def test_changelist_says_or_more_past_the_counting_cap(
    client, organizer, petition, monkeypatch
):
    from signatures.admin.listing import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    SignatureFactory.create_batch(4, petition=petition)

    text = parse_page(
        client.get(CHANGELIST, {"q": "signer"}).content.decode()
    ).visible_text

    assert "3 or more results" in text
    assert "3 or more signatures" in text


def test_date_hierarchy_survives_a_leap_day(client, organizer, petition):
    from datetime import datetime

    leap = datetime(2024, 2, 29, 12, tzinfo=timezone.get_current_timezone())
    SignatureFactory(petition=petition, created_at=leap)
    SignatureFactory(petition=petition)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert "2024" in parse_page(response.content.decode()).visible_text


def test_a_signature_page_is_for_viewing_and_refuses_an_edit(
    client, organizer, petition
):
    signature = SignatureFactory(petition=petition, full_name="Amira Haddad")
    url = f"{CHANGELIST}{signature.pk}/change/"

    page = client.get(url).content.decode()
    posted = client.post(url, {"full_name": "Someone Else", "_save": "Save"})

    assert "Amira Haddad" in page
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert posted.status_code == 403
    signature.refresh_from_db()
    assert signature.full_name == "Amira Haddad"
