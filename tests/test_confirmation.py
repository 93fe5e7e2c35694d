"""Confirming a signature from the emailed link."""

import pytest
from django.core import signing

from signatures.models import Signature
from signatures.tokens import confirmation_token
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.html_tools import parse_page
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def emailed_link(client, mailoutbox, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/p/{SEED_SLUG}/sign/", form_data())
    return confirmation_link(mailoutbox[-1])


def test_opening_the_link_confirms_nothing_until_the_button_is_pressed(
    client, emailed_link
):
    response = client.get(emailed_link)

    assert response.status_code == 200
    page = parse_page(response.content.decode())
    button = page.all("button")[0]
    assert button.text == "Confirm my signature"
    assert page.all("form")[0].attrs["method"] == "post"
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_pressing_confirm_counts_the_signature(client, emailed_link):
    response = client.post(emailed_link)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/en/p/{SEED_SLUG}/confirmed/?ref=")
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.confirmed_at is not None
    confirmed_page = client.get(response["Location"]).content.decode()
    assert "your signature is confirmed" in confirmed_page


def test_confirming_twice_is_harmless(client, emailed_link):
    client.post(emailed_link)
    first_time = Signature.objects.get().confirmed_at

    again = client.post(emailed_link)

    assert again.status_code == 302
    assert Signature.objects.get().confirmed_at == first_time
    assert "already confirmed" in client.get(emailed_link).content.decode()


def test_confirmation_needs_the_csrf_token(emailed_link):
    from django.test import Client

    strict_client = Client(enforce_csrf_checks=True)

    response = strict_client.post(emailed_link)

    assert response.status_code == 403
    assert "Your form expired" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: signing.dumps(999_999, salt="signatures.confirm")[:-1] + "x",
        lambda token: "nonsense",
        lambda token: signing.dumps(1, salt="another.purpose"),
    ],
    ids=["altered", "forged", "nonsense", "other-salt"],
)
def test_tampered_link_gets_a_clear_page_and_confirms_nothing(
    client, emailed_link, tamper
):
    token = emailed_link.strip("/").split("/")[-1]

    for method in (client.get, client.post):
        response = method(f"/en/confirm/{tamper(token)}/")

        assert response.status_code == 400
        assert "This confirmation link doesn’t work" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_expired_link_offers_a_new_one(client, settings, emailed_link):
    settings.SIGNATURE_CONFIRMATION_MAX_AGE = -1

    response = client.post(emailed_link)

    assert response.status_code == 410
    page = parse_page(response.content.decode())
    assert "This confirmation link has expired" in page.visible_text
    form = page.all("form")[0]
    assert form.attrs["action"] == f"/en/p/{SEED_SLUG}/resend/"
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_link_to_an_erased_signature_is_refused(client):
    signature = SignatureFactory(pending=True)
    token = confirmation_token(signature)
    signature.delete()

    response = client.get(f"/en/confirm/{token}/")

    assert response.status_code == 400


def test_resend_mails_a_fresh_link_that_works(
    client, mailoutbox, emailed_link, django_capture_on_commit_callbacks
):
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/en/p/{SEED_SLUG}/resend/", {"email": " JANE@example.org"}
        )

    assert "If that address has signed this petition" in response.content.decode()
    assert len(mailoutbox) == 1
    client.post(confirmation_link(mailoutbox[0]))
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_resend_reveals_nothing_about_who_signed(
    client, mailoutbox, emailed_link, django_capture_on_commit_callbacks
):
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        signed = client.post(
            f"/en/p/{SEED_SLUG}/resend/", {"email": "jane@example.org"}
        )
        stranger = client.post(
            f"/en/p/{SEED_SLUG}/resend/", {"email": "nobody@example.org"}
        )

    assert signed.status_code == stranger.status_code == 200
    assert signed.content == stranger.content
    assert [m.to for m in mailoutbox] == [["jane@example.org"]]


def test_resend_with_a_bad_address_says_so_next_to_the_field(client):
    response = client.post(f"/en/p/{SEED_SLUG}/resend/", {"email": "not-an-email"})

    page = parse_page(response.content.decode())
    assert "Enter a valid email address" in page.by_id("id_email_error").text
    assert page.by_id("id_email").attrs["value"] == "not-an-email"


def test_invalidated_signature_cannot_be_confirmed_and_says_so(client):
    signature = SignatureFactory(status="invalidated", confirmed_at=None)
    link = f"/en/confirm/{confirmation_token(signature)}/"

    page = client.get(link).content.decode()
    client.post(link)

    assert "can’t be confirmed" in page
    assert "is counted" not in page
    signature.refresh_from_db()
    assert signature.status == "invalidated"


def test_link_for_a_withdrawn_petition_confirms_nothing_and_says_so(client):
    signature = SignatureFactory(pending=True)
    signature.petition.published_at = None
    signature.petition.save()
    link = f"/en/confirm/{confirmation_token(signature)}/"

    for response in (client.get(link), client.post(link)):
        assert response.status_code == 410
        assert "This petition is no longer available" in response.content.decode()
    signature.refresh_from_db()
    assert signature.status == "pending"
