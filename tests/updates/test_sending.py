"""Sending a campaign update: to each consenting signer once, in their
language, through the real SMTP server, with who sends it, their postal
address, a one-click unsubscribe and the signer's own link; never to anyone
who stopped, withdrew, was invalidated, bounced or was erased; and never
twice, however the sending is cut off."""

import json
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crm.models import Delivery, WebhookEndpoint
from signatures.consent import Withdrawal
from signatures.models import Signature
from tests.conftest import DATABASE_QUEUE
from tests.signing import run_email_worker
from tests.updates.conftest import POSTAL_ADDRESS, consenting
from updates.models import Update, UpdateDelivery
from updates.services import UpdateNotReady, update_send
from updates.tasks import claim_next, deliver

pytestmark = pytest.mark.django_db
# The worker's threads read what the test wrote: these tests commit for real.
committing = pytest.mark.django_db(transaction=True)


def _send(update, capture) -> int:
    with capture(execute=True):
        return update_send(update=update, user=None)


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(("html",)).get_content()


def test_each_consenting_signer_gets_the_update_once_in_their_language(
    mail_server, update, signers, django_capture_on_commit_callbacks
):
    count = _send(update, django_capture_on_commit_callbacks)

    assert count == 2
    by_address = {m["To"]: m for m in mail_server.received}
    assert sorted(by_address) == ["anne@example.org", "eloise@example.org"]
    assert len(mail_server.received) == 2
    english, french = by_address["anne@example.org"], by_address["eloise@example.org"]
    assert english["Subject"] == "We delivered the petition"
    assert french["Subject"] == "Nous avons remis la pétition"
    assert "12 000 signatures" in _text(french)
    assert "<strong>12 000 signatures</strong>" in _html(french)
    assert "Bonjour Éloïse" in _text(french)
    update.refresh_from_db()
    assert update.status == Update.Status.SENT
    assert update.progress()["sent"] == 2


@pytest.mark.parametrize("part", [_text, _html])
def test_every_update_names_its_sender_their_address_and_the_ways_out(
    part, mail_server, update, signers, django_capture_on_commit_callbacks
):
    _send(update, django_capture_on_commit_callbacks)

    message = next(m for m in mail_server.received if m["To"] == "anne@example.org")
    content = part(message)
    assert POSTAL_ADDRESS in content
    assert "Sent by" in content
    assert re.search(r"https?://[^\s\"]+/en/signature/[^/\s\"]+/unsubscribe/", content)
    # The signer's own page, to manage the signature.
    assert re.search(r"https?://[^\s\"]+/en/signature/[^/\s\"]+/(?=[\"\s])", content)
    assert re.fullmatch(
        r"<https?://[^>]+/en/signature/[^/>]+/unsubscribe/>",
        str(message["List-Unsubscribe"]).strip(),
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_nobody_who_stopped_withdrew_was_invalidated_or_bounced_receives_it(
    mail_server, update, signers, django_capture_on_commit_callbacks
):
    erased = consenting(update.petition, email="erased@example.org")
    erased.delete()

    _send(update, django_capture_on_commit_callbacks)

    received = {m["To"] for m in mail_server.received}
    for never in (
        "unticked",
        "unsubscribed",
        "withdrawn",
        "invalidated",
        "pending",
        "bounced",
    ):
        assert signers[never].email not in received, never
    assert "erased@example.org" not in received


@committing
def test_a_signer_who_unsubscribes_once_sending_began_is_skipped(
    settings, mail_server, update, signers, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE
    _send(update, django_capture_on_commit_callbacks)
    french = signers["french"]
    Signature.objects.filter(pk=french.pk).update(
        wants_updates=False,
        updates_withdrawn_at=timezone.now(),
        updates_withdrawn_via=Withdrawal.ONE_CLICK,
    )

    run_email_worker()

    assert [m["To"] for m in mail_server.received] == ["anne@example.org"]
    assert UpdateDelivery.objects.get(signature=french).status == "skipped"
    update.refresh_from_db()
    assert update.status == Update.Status.SENT


@committing
def test_a_send_cut_off_between_two_emails_resumes_without_writing_to_anyone_twice(
    settings, mail_server, update, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE
    # The organization's systems listen (crm/): they hear of the update once.
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/")
    for n in range(6):
        consenting(update.petition, email=f"s{n}@example.org")
    _send(update, django_capture_on_commit_callbacks)
    update.refresh_from_db()
    # A worker sends two, then is killed having claimed a third: the mail
    # server may or may not have taken it.
    for _sent in range(2):
        deliver(update, claim_next(update))
    cut_off = claim_next(update)
    assert len(mail_server.received) == 2
    # Long enough ago that no send could still be under way.
    UpdateDelivery.objects.filter(pk=cut_off.pk).update(
        claimed_at=timezone.now()
        - timedelta(seconds=settings.TASK_STALLED_AFTER_SECONDS + 1)
    )

    run_email_worker()

    addresses = [m["To"] for m in mail_server.received]
    assert len(addresses) == len(set(addresses)) == 5
    assert cut_off.signature.email not in addresses
    statuses = sorted(UpdateDelivery.objects.values_list("status", flat=True))
    assert statuses == ["sent"] * 5 + ["uncertain"]
    update.refresh_from_db()
    assert update.status == Update.Status.SENT

    run_email_worker()  # again: nothing more goes
    assert len(mail_server.received) == 5
    (event,) = Delivery.objects.filter(event_type="update.sent")
    assert event.payload["data"]["recipients"] == 6
    assert "@" not in json.dumps(event.payload)  # no signer's address


@committing
def test_a_send_cut_off_by_an_error_after_some_emails_resumes_with_the_rest(
    settings, mail_server, update, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE
    settings.UPDATE_SEND_BATCH = 2
    settings.UPDATE_SEND_CHAINS = 1
    for n in range(5):
        consenting(update.petition, email=f"s{n}@example.org")
    _send(update, django_capture_on_commit_callbacks)
    # The mail server goes away after the first two: nothing to talk to.
    update.refresh_from_db()
    for _sent in range(2):
        deliver(update, claim_next(update))
    mail_server.close()
    deliver(update, claim_next(update))
    assert UpdateDelivery.objects.filter(status="pending").count() == 3

    restarted = type(mail_server)()
    restarted.start()
    settings.EMAIL_PORT = restarted.port
    UpdateDelivery.objects.update(retry_after=None)  # the retry is due
    try:
        run_email_worker()
    finally:
        restarted.close()

    first = [m["To"] for m in mail_server.received]
    rest = [m["To"] for m in restarted.received]
    assert len(first) == 2
    assert sorted(first + rest) == [f"s{n}@example.org" for n in range(5)]


@committing
def test_a_greylisted_signer_is_tried_again_later_not_dropped(
    settings, mail_server, update, signers, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE
    mail_server.refuse["anne@example.org"] = "451-rcpt"
    _send(update, django_capture_on_commit_callbacks)

    run_email_worker()

    delivery = UpdateDelivery.objects.get(signature=signers["english"])
    assert delivery.status == "pending"
    assert delivery.retry_after > timezone.now()
    update.refresh_from_db()
    assert update.status == Update.Status.SENDING

    del mail_server.refuse["anne@example.org"]
    # A minute later: the retry is due, and so is the task that comes back for it.
    UpdateDelivery.objects.filter(pk=delivery.pk).update(retry_after=timezone.now())
    waiting = DBTaskResult.objects.filter(status="READY")
    assert waiting.exists()
    waiting.update(run_after=timezone.now())
    run_email_worker()

    assert sorted(m["To"] for m in mail_server.received) == [
        "anne@example.org",
        "eloise@example.org",
    ]
    update.refresh_from_db()
    assert update.status == Update.Status.SENT


def test_an_update_goes_out_only_once(
    mail_server, update, signers, django_capture_on_commit_callbacks
):
    _send(update, django_capture_on_commit_callbacks)

    with pytest.raises(UpdateNotReady):
        _send(update, django_capture_on_commit_callbacks)
    assert len(mail_server.received) == 2


def test_no_update_goes_without_the_organizers_postal_address(
    settings, mail_server, update, signers, django_capture_on_commit_callbacks
):
    settings.ORGANIZER_POSTAL_ADDRESS = ""

    with pytest.raises(UpdateNotReady, match="ORGANIZER_POSTAL_ADDRESS"):
        _send(update, django_capture_on_commit_callbacks)
    assert not mail_server.received
    assert not UpdateDelivery.objects.exists()


def test_an_update_written_in_english_only_reaches_french_signers_in_english(
    mail_server, update, signers, django_capture_on_commit_callbacks
):
    update.subject_fr = update.body_fr = ""
    update.save()

    _send(update, django_capture_on_commit_callbacks)

    french = next(m for m in mail_server.received if m["To"] == "eloise@example.org")
    assert french["Subject"] == "We delivered the petition"


def test_one_click_unsubscribe_from_an_update_works_from_the_mail_provider(
    mail_server, update, signers, django_capture_on_commit_callbacks
):
    _send(update, django_capture_on_commit_callbacks)
    message = next(m for m in mail_server.received if m["To"] == "anne@example.org")
    header = str(message["List-Unsubscribe"]).strip()
    path = re.sub(r"^<https?://[^/]+", "", header).rstrip(">")

    # As a mail provider posts it: another origin, no CSRF token or cookie.
    response = Client(enforce_csrf_checks=True).post(
        path,
        {"List-Unsubscribe": "One-Click"},
        HTTP_ORIGIN="https://mail.example.com",
        HTTP_SEC_FETCH_SITE="cross-site",
    )

    assert response.status_code == 200
    anne = Signature.objects.get(pk=signers["english"].pk)
    assert not anne.wants_updates
    assert anne.updates_withdrawn_via == Withdrawal.ONE_CLICK


def test_an_update_keeps_to_the_send_rate(
    settings, mail_server, update, django_capture_on_commit_callbacks
):
    settings.EMAIL_MAX_PER_SECOND = 3
    for n in range(9):
        consenting(update.petition, email=f"s{n}@example.org")

    _send(update, django_capture_on_commit_callbacks)

    assert len(mail_server.received) == 9
    # Nine at three a second fill three calendar seconds: more than one
    # second from the first to the last, where unthrottled they take a few
    # milliseconds. (A slot taken at the end of one second can be accepted
    # in the next: hence the one extra.)
    assert mail_server.received_at[-1] - mail_server.received_at[0] > 1
    per_second = Counter(int(at) for at in mail_server.received_at)
    assert max(per_second.values()) <= 3 + 1
