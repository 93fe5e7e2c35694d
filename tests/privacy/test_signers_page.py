"""The signer's own page, from the link in every email: what we hold,
withdraw, erase, stop updates, and the edge cases a careful signer runs
into."""

import json
import re
import time
import uuid

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from petition.public import public_stats
from signatures.emails import EmailKind, build_signature_email
from signatures.models import ModerationAction, Signature
from signatures.services.signing import confirmation_resend
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.factories import PetitionFactory, SignatureFactory
from tests.html_tools import parse_page
from tests.privacy.links import (
    count_of,
    manage_link,
    queued_requests_for_a_new_link,
)
from tests.signing import confirmation_link

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_links_to_the_signers_own_page(kind, seed_campaign):
    signature = SignatureFactory(petition=seed_campaign)

    message = build_signature_email(signature, kind)

    assert manage_link(message)
    html = message.alternatives[0].content
    assert "Manage your signature" in html
    assert re.search(r'href="https?://[^"]+/en/signature/[^"/]+/"', html)


@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_offers_one_click_unsubscribe(kind, seed_campaign):
    signature = SignatureFactory(petition=seed_campaign)

    headers = build_signature_email(signature, kind).message()

    assert re.fullmatch(
        r"<https?://[^>]+/en/signature/[^/>]+/unsubscribe/>",
        headers["List-Unsubscribe"],
    )
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_opening_the_link_shows_what_we_hold_and_changes_nothing(
    client, sign, seed_campaign
):
    link = manage_link(sign(wants_updates="on"))

    response = client.get(link)

    assert response.status_code == 200
    page = parse_page(response.content.decode())
    assert "Jane Doe" in page.text
    assert "j•••@example.org" in page.text
    assert {b.attrs["value"] for b in page.all("button")} == {
        "stop_updates",
        "withdraw",
        "erase",
    }
    assert all(form.attrs["method"] == "post" for form in page.all("form"))
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.wants_updates
    assert "no-store" in response.headers["Cache-Control"]


def test_signer_withdraws_from_the_email_and_the_count_drops(
    client, sign, seed_campaign, django_capture_on_commit_callbacks
):
    link = manage_link(sign())
    assert count_of(seed_campaign) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, {"action": "withdraw"})

    assert response.status_code == 200
    assert "Your signature is withdrawn" in response.content.decode()
    # The page's own address holds the token: no link passes it on.
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert Signature.objects.get().status == Signature.Status.WITHDRAWN
    assert count_of(seed_campaign) == 0
    assert (
        parse_page(client.get(f"/en/p/{SEED_SLUG}/").content.decode())
        .all("progress")[0]
        .attrs["value"]
        == "0"
    )
    assert ModerationAction.objects.get().kind == ModerationAction.Kind.WITHDRAW


def test_signer_erases_their_data_and_the_count_drops(
    client, sign, seed_campaign, django_capture_on_commit_callbacks
):
    link = manage_link(sign())
    assert count_of(seed_campaign) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, {"action": "erase"})

    assert response.status_code == 200
    assert "Your data is erased" in response.content.decode()
    assert not Signature.objects.exists()
    assert count_of(seed_campaign) == 0
    record = ModerationAction.objects.get()
    assert record.kind == ModerationAction.Kind.ERASE
    assert record.performed_by is None
    assert "jane" not in json.dumps(record.criteria).lower() + record.reason.lower()
    # The link goes nowhere now: nothing is left to show.
    assert client.get(link).status_code == 404


def test_erasing_a_signature_leaves_its_address_in_no_request_for_a_new_link(
    client, sign, seed_campaign, settings, mailoutbox
):
    link = manage_link(sign(email="Leaving.Soon@example.org"))
    SignatureFactory(petition=seed_campaign, email="staying@example.org")
    elsewhere = PetitionFactory()
    SignatureFactory(petition=elsewhere, email="leaving.soon@example.org")
    settings.TASKS = DATABASE_QUEUE
    confirmation_resend(petition=seed_campaign, email="leaving.soon@example.org")
    asked_before = DBTaskResult.objects.get()
    asked_before.claim("worker-1")
    asked_before.set_successful(None)  # a new link was sent then
    confirmation_resend(petition=seed_campaign, email="LEAVING.SOON@example.org")
    running = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    running.claim("worker-2")  # and another is being sent right now
    confirmation_resend(petition=seed_campaign, email="leaving.soon@EXAMPLE.org")
    confirmation_resend(petition=seed_campaign, email="staying@example.org")
    confirmation_resend(petition=elsewhere, email="leaving.soon@example.org")
    mailoutbox.clear()

    client.post(link, {"action": "erase"})

    assert queued_requests_for_a_new_link() == [
        (0, ""),
        (0, ""),
        (0, ""),
        (seed_campaign.pk, "staying@example.org"),
        (elsewhere.pk, "leaving.soon@example.org"),
    ]
    still_naming = [
        row.args_kwargs["kwargs"]["petition_id"]
        for row in DBTaskResult.objects.all()
        if "leaving" in json.dumps(row.args_kwargs).lower() + row.traceback.lower()
    ]
    assert still_naming == [elsewhere.pk]
    # The send under way finishes as usual, and leaves the address out.
    running.set_successful(None)
    running.refresh_from_db()
    assert running.status == TaskResultStatus.SUCCESSFUL
    assert "leaving" not in json.dumps(running.args_kwargs)
    # The request still waiting finds no one when it runs.
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, args_kwargs__kwargs__email_canonical=""
    )
    assert waiting.count() == 1
    for row in waiting:
        row.task.call(*row.task_result.args, **row.task_result.kwargs)
    assert mailoutbox == []


def test_erasing_a_pending_signature_leaves_the_count_alone(
    client, sign, seed_campaign, django_capture_on_commit_callbacks
):
    SignatureFactory(petition=seed_campaign)
    link = manage_link(sign(confirm=False))
    assert count_of(seed_campaign) == 1

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, {"action": "erase"})

    assert Signature.objects.count() == 1
    assert count_of(seed_campaign) == 1


def test_signer_stops_updates_and_still_counts(client, sign, seed_campaign):
    link = manage_link(sign(wants_updates="on"))

    client.post(link, {"action": "stop_updates"})

    signature = Signature.objects.get()
    assert not signature.wants_updates
    assert signature.status == Signature.Status.CONFIRMED
    assert count_of(seed_campaign) == 1


def test_unknown_action_changes_nothing_and_says_so(client, sign):
    link = manage_link(sign())

    response = client.post(link, {"action": "delete everything"})

    assert response.status_code == 400
    assert "Please choose one of the buttons below." in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_the_page_needs_the_csrf_token_like_every_form(sign):
    link = manage_link(sign())

    response = Client(enforce_csrf_checks=True).post(link, {"action": "erase"})

    assert response.status_code == 403
    assert Signature.objects.exists()


def test_altered_link_is_refused_with_a_friendly_page(client, sign):
    link = manage_link(sign())
    token = link.split("/")[-2]
    forged = link.replace(
        token, signing.dumps(str(uuid.uuid4()), salt="signatures.manage")[:-2]
    )

    response = client.post(forged, {"action": "erase"})

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert Signature.objects.exists()


def test_confirmation_link_cannot_be_used_to_manage(client, sign, mailoutbox):
    sign(confirm=False)
    confirm_token = confirmation_link(mailoutbox[-1]).split("/")[-2]

    response = client.post(f"/en/signature/{confirm_token}/", {"action": "erase"})

    assert response.status_code == 404
    assert Signature.objects.exists()


def test_signing_again_after_withdrawing_starts_afresh_from_the_new_link(
    client, sign, mailoutbox, seed_campaign, django_capture_on_commit_callbacks
):
    link = manage_link(sign())  # not inside the block below: its tally runs once
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, {"action": "withdraw"})
    assert count_of(seed_campaign) == 0

    email = sign(confirm=False, full_name="Jane Q. Doe")

    # Nothing changes until the link emailed for this submission is used.
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.WITHDRAWN
    assert signature.full_name == "Jane Doe"
    assert "/confirm/" in email.body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirmation_link(email))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Jane Q. Doe"
    assert count_of(seed_campaign) == 1


def test_confirmation_link_after_withdrawing_offers_to_sign_again(
    client, sign, mailoutbox
):
    sign(confirm=False)
    confirm = confirmation_link(mailoutbox[-1])
    client.post(manage_link(mailoutbox[-1]), {"action": "withdraw"})

    response = client.get(confirm)

    assert "You withdrew this signature" in response.content.decode()
    client.post(confirm)
    assert Signature.objects.get().status == Signature.Status.WITHDRAWN


def test_a_double_click_on_withdraw_lowers_the_count_once(
    client, sign, seed_campaign, django_capture_on_commit_callbacks
):
    SignatureFactory(petition=seed_campaign)
    link = manage_link(sign())
    assert count_of(seed_campaign) == 2

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(link, {"action": "withdraw"})

    assert count_of(seed_campaign) == 1
    assert ModerationAction.objects.count() == 1


def test_an_organizer_cannot_count_a_withdrawn_signature_again(
    client, sign, seed_campaign
):
    from signatures.services.moderation import signatures_invalidate, signatures_restore

    client.post(manage_link(sign()), {"action": "withdraw"})

    signatures_invalidate(signatures=Signature.objects.all(), reason="spam", user=None)
    signatures_restore(signatures=Signature.objects.all(), user=None)

    assert Signature.objects.get().status == Signature.Status.WITHDRAWN


def test_the_signers_page_masks_the_address_and_postal_code(client, sign):
    response = client.get(manage_link(sign()))

    text = parse_page(response.content.decode()).visible_text
    assert "j•••@example.org" in text
    assert "jane@example.org" not in text
    assert "K1A•••" in text
    assert "K1A 0B1" not in text
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_erasing_takes_the_first_name_off_the_page_at_once(
    client, sign, seed_campaign, django_capture_on_commit_callbacks, monkeypatch
):
    from petition import public

    link = manage_link(sign(show_name_publicly="on"))
    # Names join the latest signers when the database is next read.
    later = time.time() + settings.SIGNATURE_COUNT_CACHE_SECONDS
    monkeypatch.setattr(public, "_now", lambda: later)
    assert public_stats(seed_campaign).recent_signers[0][0] == "Jane"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, {"action": "erase"})

    assert public_stats(seed_campaign).recent_signers == []


def test_a_link_signed_with_another_key_is_refused(client, sign):
    link = manage_link(sign())
    token = link.split("/")[-2]
    pk = signing.loads(token, salt="signatures.manage")
    forged = signing.dumps(pk, salt="signatures.manage", key="not-our-secret-key")

    response = client.post(f"/en/signature/{forged}/", {"action": "erase"})

    assert response.status_code == 404
    assert Signature.objects.exists()


def test_the_link_stops_working_once_the_data_is_anonymised(client, sign):
    link = manage_link(sign())
    Signature.objects.update(anonymised_at=timezone.now())

    response = client.post(link, {"action": "withdraw"})

    assert response.status_code == 404
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_a_withdrawn_signer_asking_for_a_new_link_gets_no_false_news(
    client, sign, mailoutbox
):
    client.post(manage_link(sign()), {"action": "withdraw"})
    sent = len(mailoutbox)

    client.post(f"/en/p/{SEED_SLUG}/resend/", {"email": "jane@example.org"})

    assert len(mailoutbox) == sent


def test_signing_again_after_withdrawing_needs_the_new_link_where_no_confirmation_is_asked(
    client, sign, mailoutbox, seed_campaign, django_capture_on_commit_callbacks
):
    seed_campaign.requires_confirmation = False
    seed_campaign.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(manage_link(sign(confirm=False)), {"action": "withdraw"})
    assert count_of(seed_campaign) == 0

    # Whoever types the address cannot bring the signature back, nor change it:
    # the count would tell them the address had signed.
    email = sign(confirm=False, full_name="Jane Q. Doe")

    assert Signature.objects.get().status == Signature.Status.WITHDRAWN
    assert count_of(seed_campaign) == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirmation_link(email))
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Jane Q. Doe"
    assert count_of(seed_campaign) == 1
