"""A closed or unpublished petition stays as it closed: links and resends
change nothing, send nothing and say so; the public count is the one it
closed with, while the signers' own requests still change their rows."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from petition.public import public_stats
from signatures.models import Signature
from signatures.services.moderation import signatures_invalidate
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.factories import SignatureFactory
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(client, mailoutbox, django_capture_on_commit_callbacks):
    """A pending signature, and a later submission for the same inbox;
    returns both emailed confirmation links."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/p/{SEED_SLUG}/sign/", form_data(email="ann@example.org"))
        client.post(
            f"/en/p/{SEED_SLUG}/sign/",
            form_data(email="ANN@example.org", full_name="Someone Else"),
        )
    return [confirmation_link(message) for message in mailoutbox]


def _close(petition) -> None:
    petition.is_open = False
    petition.save()  # as the admin saves it


def _unpublish(petition) -> None:
    petition.published_at = None
    petition.save()


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        (_close, 200, "This petition is closed"),
        (_unpublish, 410, "This petition is no longer available"),
    ],
    ids=["closed", "unpublished"],
)
def test_confirmation_links_change_nothing_and_say_so(
    client, seed_campaign, signed, change, status, says
):
    change(seed_campaign)

    for link in signed:
        for response in (client.get(link), client.post(link)):
            assert response.status_code == status
            page = response.content.decode()
            assert says in page
            assert "Nothing was changed" in page
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert signature.full_name == "Jane Doe"


def test_confirmation_links_say_so_in_french_too(client, seed_campaign, signed):
    _close(seed_campaign)

    page = client.get(signed[0].replace("/en/", "/fr/", 1)).content.decode()

    assert "Cette pétition est fermée" in page


def test_asking_for_a_new_link_on_a_closed_petition_sends_nothing_and_says_so(
    client, seed_campaign, signed, mailoutbox, settings
):
    settings.TASKS = DATABASE_QUEUE
    _close(seed_campaign)
    mailoutbox.clear()

    form = client.get(f"/en/p/{SEED_SLUG}/resend/")
    sent = client.post(f"/en/p/{SEED_SLUG}/resend/", {"email": "ann@example.org"})

    for response in (form, sent):
        assert response.status_code == 200
        assert "This petition is closed" in response.content.decode()
        assert "we don’t send confirmation links" in response.content.decode()
    assert DBTaskResult.objects.count() == 0
    assert mailoutbox == []


def test_asking_for_a_new_link_on_an_unpublished_petition_sends_nothing_and_says_so(
    client, seed_campaign, signed, mailoutbox, settings
):
    settings.TASKS = DATABASE_QUEUE
    _unpublish(seed_campaign)
    mailoutbox.clear()

    answers = [
        client.post(f"/en/p/{slug}/resend/", {"email": "ann@example.org"})
        for slug in (SEED_SLUG, "never-published")
    ]

    for response in answers:
        assert response.status_code == 404
        assert "no link was sent" in response.content.decode()
    # A draft's address answers as one where nothing was ever published.
    # (Each page links to itself in the other language: its own address.)
    assert answers[0].content.decode().replace(SEED_SLUG, "never-published") == (
        answers[1].content.decode()
    )
    assert DBTaskResult.objects.count() == 0
    assert mailoutbox == []


def test_expired_link_of_a_closed_petition_offers_no_new_link(
    client, seed_campaign, signed, settings
):
    _close(seed_campaign)
    settings.SIGNATURE_CONFIRMATION_MAX_AGE = -1

    page = client.get(signed[0]).content.decode()

    assert "no longer takes signatures" in page
    assert "/resend/" not in page


def test_the_admins_resend_sends_nothing_for_a_closed_petition_and_says_so(
    client, seed_campaign, mailoutbox, django_capture_on_commit_callbacks
):
    call_command("createorganizer", "organizer@example.org", stdout=StringIO())
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="organizer@example.org"))
    pending = SignatureFactory(petition=seed_campaign, pending=True)
    _close(seed_campaign)

    asked = client.post(
        "/admin/signatures/signature/",
        {"action": "resend_confirmation", "_selected_action": [pending.pk]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/admin/signatures/signature/",
            {
                "action": "resend_confirmation",
                "_selected_action": [pending.pk],
                "apply": "1",
            },
            follow=True,
        )

    assert "closed or not published: they will get nothing" in (asked.content.decode())
    assert "Nothing was sent to 1 pending signer" in done.content.decode()
    assert mailoutbox == []


def _manage_link(signature) -> str:
    from signatures.tokens import manage_token

    return f"/en/signature/{manage_token(signature)}/"


def test_the_count_is_frozen_when_the_petition_closes(client, seed_campaign):
    counted = SignatureFactory.create_batch(4, petition=seed_campaign)
    assert public_stats(seed_campaign).count == 4

    _close(seed_campaign)
    # Signers' requests and moderation still happen to the rows.
    client.post(_manage_link(counted[0]), {"action": "withdraw"})
    client.post(_manage_link(counted[1]), {"action": "erase"})
    signatures_invalidate(
        signatures=Signature.objects.filter(pk=counted[2].pk), reason="x", user=None
    )
    from django.core.cache import cache

    cache.clear()  # a recount from the rows would say 1

    assert Signature.objects.counted().filter(petition=seed_campaign).count() == 1
    assert public_stats(seed_campaign).count == 4
    assert client.get(f"/p/{SEED_SLUG}/count.json").json()["count"] == 4
    page = client.get(f"/en/p/{SEED_SLUG}/").content.decode()
    assert re.search(r"\b4\b", page)


def test_reopening_counts_the_rows_again(client, seed_campaign):
    counted = SignatureFactory.create_batch(2, petition=seed_campaign)
    _close(seed_campaign)
    client.post(_manage_link(counted[0]), {"action": "withdraw"})

    seed_campaign.is_open = True
    seed_campaign.save()

    assert public_stats(seed_campaign).count == 1
