"""The count other sites embed, and the caching headers that let a CDN
absorb read traffic in a surge."""

import pytest
from django.conf import settings as django_settings

from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db

WIDGET = f"/en/p/{SEED_SLUG}/widget/"


def test_widget_shows_the_count_and_a_link_to_sign(client, seed_campaign):
    SignatureFactory.create_batch(3, petition=seed_campaign)

    response = client.get(WIDGET)

    assert response.status_code == 200
    page = parse_page(response.content.decode())
    assert page.all("progress")[0].attrs["value"] == "3"
    links = [a.attrs["href"] for a in page.all("a")]
    assert f"{django_settings.SITE_URL}/en/p/{SEED_SLUG}/#sign" in links
    # Links leave the frame: the signer lands on the full page, in a new tab.
    assert all(a.attrs.get("target") == "_blank" for a in page.all("a"))


def test_widget_can_be_framed_by_any_site(client, seed_campaign):
    response = client.get(WIDGET)

    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_other_pages_still_refuse_to_be_framed(client, seed_campaign):
    response = client.get(f"/en/p/{SEED_SLUG}/")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_widget_is_cacheable_by_a_cdn_and_sets_no_cookie(client, seed_campaign):
    response = client.get(WIDGET)

    cache_control = response.headers["Cache-Control"]
    assert "public" in cache_control
    # Served stale by a CDN while it fetches anew, never by a browser.
    assert "stale-while-revalidate" not in cache_control
    assert "stale-while-revalidate=" in response.headers["CDN-Cache-Control"]
    assert not response.cookies


def test_widget_of_a_closed_petition_says_so_without_a_sign_button(
    client, seed_campaign
):
    seed_campaign.is_open = False
    seed_campaign.save()

    page = parse_page(client.get(WIDGET).content.decode())

    assert "This petition is closed." in page.text
    assert not [a for a in page.all("a") if "#sign" in a.attrs["href"]]


def test_thank_you_page_is_cacheable_by_a_cdn(client, seed_campaign):
    response = client.get(f"/en/p/{SEED_SLUG}/thanks/")

    assert "public" in response.headers["Cache-Control"]
    assert "stale-while-revalidate" not in response.headers["Cache-Control"]
    assert "stale-while-revalidate=" in response.headers["CDN-Cache-Control"]
    assert not response.cookies


def test_organizer_copies_an_embed_snippet_per_language(
    admin_client, seed_campaign, settings
):
    settings.SITE_URL = "https://petition.example.org"

    response = admin_client.get(f"/admin/petition/petition/{seed_campaign.pk}/change/")

    page = parse_page(response.content.decode())
    snippets = {area.attrs["id"]: area.text for area in page.all("textarea")}
    assert snippets["embed-en"].startswith(
        f'<iframe src="https://petition.example.org/en/p/{SEED_SLUG}/widget/"'
    )
    assert f"/fr/p/{SEED_SLUG}/widget/" in snippets["embed-fr"]
    # The title is escaped inside the attribute it fills.
    assert 'title="Petition: No more caged families' in snippets["embed-en"]
