"""One-click unsubscribe (RFC 8058) and the privacy page."""

import pytest
from django.test import Client

from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.html_tools import parse_page
from tests.privacy.links import unsubscribe_url

pytestmark = pytest.mark.django_db


def test_mail_program_unsubscribes_in_one_post_without_a_form(sign):
    url = unsubscribe_url(sign(wants_updates="on"))
    mail_program = Client(enforce_csrf_checks=True)

    response = mail_program.post(
        url,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    signature = Signature.objects.get()
    assert not signature.wants_updates
    assert signature.status == Signature.Status.CONFIRMED


def test_prefetching_the_unsubscribe_link_unsubscribes_nobody(client, sign):
    url = unsubscribe_url(sign(wants_updates="on"))

    response = client.get(url)

    assert response.status_code == 200
    assert parse_page(response.content.decode()).all("button")[0].text == (
        "Stop updates"
    )
    assert Signature.objects.get().wants_updates


def test_privacy_page_says_what_is_kept_why_and_for_how_long(client, settings):
    settings.RETENTION_UNCONFIRMED_DAYS = 30
    settings.RETENTION_AFTER_CLOSE_DAYS = 183
    settings.PRIVACY_CONTACT_EMAIL = "privacy@example.org"

    response = client.get("/en/privacy/")

    assert response.status_code == 200
    text = parse_page(response.content.decode()).visible_text
    for heading in ["What we keep", "Why", "Who sees it", "For how long"]:
        assert heading in text
    assert "deleted after 30 days" in text
    assert "About 6 months after a petition closes" in text
    assert "privacy@example.org" in text


def test_privacy_page_is_in_french_too(client):
    response = client.get("/fr/privacy/")

    assert response.status_code == 200
    assert "Ce que nous gardons" in response.content.decode()


def test_privacy_page_is_linked_from_the_form_and_every_page(client, seed_campaign):
    page = parse_page(client.get(f"/en/p/{SEED_SLUG}/").content.decode())

    links = [a.attrs["href"] for a in page.all("a")]
    assert links.count("/en/privacy/") == 2  # beside the form, and in the footer
