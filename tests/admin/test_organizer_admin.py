"""The organizer is edited with the petition, and the public page follows."""

import pytest
from django.test import Client

from tests.admin.pages import change_form_data
from tests.conftest import SEED_SLUG
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db


def test_naming_the_organizer_in_the_admin_shows_on_the_page_at_once(
    client, organizer, petition
):
    # Read once, so the public read model holds the petition without one.
    assert "Started by" not in Client().get(f"/en/p/{SEED_SLUG}/").content.decode()
    data = change_form_data(client, petition)
    data["organizer_name_en"] = "Amira Haddad"
    data["organizer_organization_en"] = "Friends of Refugees"
    data["organizer_email"] = "amira@example.org"
    data["organizer_about_en"] = "We welcome newcomers in Ottawa."

    response = client.post(f"/admin/petition/petition/{petition.pk}/change/", data)

    assert response.status_code == 302, parse_page(
        response.content.decode()
    ).visible_text[:2000]
    page = parse_page(Client().get(f"/en/p/{SEED_SLUG}/").content.decode())
    assert "Started by Amira Haddad, Friends of Refugees" in page.visible_text
    assert "We welcome newcomers in Ottawa." in page.visible_text
    petition.refresh_from_db()
    assert petition.organizer_email == "amira@example.org"


def test_the_delivery_report_says_who_started_the_petition(client, organizer, petition):
    petition.organizer_name_en = "Amira Haddad"
    petition.organizer_organization_en = "Friends of Refugees"
    petition.save()

    page = parse_page(
        client.get(f"/admin/petition/petition/{petition.pk}/report/").content.decode()
    )

    assert "Started by Amira Haddad, Friends of Refugees" in page.visible_text
