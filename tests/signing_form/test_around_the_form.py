"""Around the form: which petitions take signatures, the signing page on
its own, the confirmation email, the thank-you page and its share links."""

import pytest
from django.conf import settings as django_settings
from django.db.models import ProtectedError

from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.factories import PetitionFactory, SignatureFactory
from tests.html_tools import parse_page
from tests.signing import confirmation_link, form_data
from tests.signing_form.pages import SIGN_URL, THANKS_URL

pytestmark = pytest.mark.django_db


def test_confirmation_email_is_multipart_and_names_the_petition(sign, mailoutbox):
    sign(full_name="Jane Doe")

    message = mailoutbox[0]
    assert message.to == ["jane@example.org"]
    assert "No more caged families" in message.subject
    assert "\n" not in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    link = confirmation_link(message)
    assert link in html
    assert message.body.startswith("Hello Jane,")
    # Names are typed by anyone: only the first name travels in our emails.
    assert "Doe" not in message.body
    assert "Doe" not in html


def test_closed_petition_takes_no_signatures(client):
    closed = PetitionFactory(is_open=False)

    response = client.post(f"/en/p/{closed.slug}/sign/", form_data())

    assert response.status_code == 200
    assert "This petition is closed" in response.content.decode()
    assert Signature.objects.count() == 0


def test_unpublished_petition_takes_no_signatures(client):
    draft = PetitionFactory(published_at=None)

    response = client.post(f"/en/p/{draft.slug}/sign/", form_data())

    assert response.status_code == 404
    assert Signature.objects.count() == 0


def test_signing_page_works_without_the_campaign_page(client):
    response = client.get(SIGN_URL)

    page = parse_page(response.content.decode())
    assert response.status_code == 200
    assert len(page.all("h1")) == 1
    form = page.all("form")[0]
    assert form.attrs["action"] == SIGN_URL
    assert form.attrs["method"] == "post"


def test_petition_without_confirmation_counts_at_once(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    petition = PetitionFactory(requires_confirmation=False)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/p/{petition.slug}/sign/", form_data())

    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.confirmed_at is not None
    assert mailoutbox[0].subject.startswith("Thank you for signing")
    assert (
        "Thank you for signing"
        in client.get(f"/en/p/{petition.slug}/thanks/").content.decode()
    )


def test_thank_you_page_offers_plain_share_links(client):
    page = parse_page(client.get(THANKS_URL).content.decode())

    hrefs = [a.attrs["href"] for a in page.all("a")]
    for prefix in (
        "mailto:?",
        "https://x.com/intent/post?",
        "https://www.facebook.com/sharer/sharer.php?",
        "https://wa.me/?",
        "https://bsky.app/intent/compose?",
    ):
        assert any(h.startswith(prefix) for h in hrefs), prefix
    assert (
        page.by_id("share-url").attrs["value"]
        == f"{django_settings.SITE_URL}/en/p/{SEED_SLUG}/?source=link"
    )
    assert all(
        e.attrs.get("src", "").startswith("/static/") for e in page.all("script")
    )


def test_petition_with_signatures_cannot_be_deleted_by_accident():
    signature = SignatureFactory()

    with pytest.raises(ProtectedError):
        signature.petition.delete()
    assert Signature.objects.count() == 1
