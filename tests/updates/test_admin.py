"""An organizer writes an update in the admin, previews it, sends a test to
themselves, sends it, and watches it go."""

import pytest

from tests.updates.conftest import POSTAL_ADDRESS
from updates.models import Update, UpdateDelivery

pytestmark = pytest.mark.django_db

ADD = "/admin/updates/update/add/"


def _change(update) -> str:
    return f"/admin/updates/update/{update.pk}/change/"


def test_an_organizer_writes_an_update_in_both_languages(
    client, organizer, seed_campaign
):
    response = client.post(
        ADD,
        {
            "petition": seed_campaign.pk,
            "subject_en": "News",
            "body_en": "Some *news*.",
            "subject_fr": "Nouvelles",
            "body_fr": "Des *nouvelles*.",
        },
    )

    assert response.status_code == 302
    update = Update.objects.get()
    assert update.status == Update.Status.DRAFT
    assert update.created_by == organizer
    page = client.get(_change(update)).content.decode()
    for button in ("Preview", "Send a test to myself", "Send to signers"):
        assert button in page


def test_the_preview_shows_each_language_rendered_safely(client, organizer, update):
    update.body_en = "Hello **all** <script>alert(1)</script>"
    update.save()

    page = client.get(f"/admin/updates/update/{update.pk}/preview/").content.decode()

    assert "<strong>all</strong>" in page
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page
    assert "Nous avons remis la pétition" in page
    assert POSTAL_ADDRESS in page


def test_a_test_goes_to_the_organizer_alone_in_each_language(
    client, organizer, update, signers, mail_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/updates/update/{update.pk}/send-test/", follow=True
        )

    assert "A test was sent to organizer@example.org" in response.content.decode()
    # Each as its signers would get it, the French one in French.
    assert sorted(m["Subject"] for m in mail_server.received) == [
        "[Essai] Nous avons remis la pétition",
        "[Test] We delivered the petition",
    ]
    assert {m["To"] for m in mail_server.received} == {"organizer@example.org"}
    update.refresh_from_db()
    assert update.status == Update.Status.DRAFT
    assert not UpdateDelivery.objects.exists()


def test_sending_asks_first_with_the_number_of_recipients_then_sends(
    client, organizer, update, signers, mail_server, django_capture_on_commit_callbacks
):
    url = f"/admin/updates/update/{update.pk}/send/"
    confirm = client.get(url).content.decode()
    assert "goes to 2 signers" in confirm
    assert not mail_server.received

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    page = client.get(response["Location"]).content.decode()
    assert "Sending to 2 signers" in page
    assert "2 sent of 2" in page
    assert len(mail_server.received) == 2
    update.refresh_from_db()
    assert update.status == Update.Status.SENT
    assert update.sent_by == organizer


def test_a_sent_update_can_no_longer_be_edited_or_sent(
    client, organizer, update, signers, mail_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/updates/update/{update.pk}/send/")

    response = client.post(f"/admin/updates/update/{update.pk}/send/", follow=True)

    assert "already been sent" in response.content.decode()
    assert len(mail_server.received) == 2
    page = client.get(_change(update)).content.decode()
    assert "Send to signers" not in page
    assert 'name="subject_en"' not in page


def test_without_a_postal_address_the_organizer_is_told_why_nothing_goes(
    client, organizer, update, signers, settings
):
    settings.ORGANIZER_POSTAL_ADDRESS = ""

    response = client.get(f"/admin/updates/update/{update.pk}/send/", follow=True)

    assert "ORGANIZER_POSTAL_ADDRESS" in response.content.decode()
    assert not UpdateDelivery.objects.exists()
