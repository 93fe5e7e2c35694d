"""Sending an update, through the email worker (queue "email", like every
email): each chain of tasks claims one delivery at a time, sends it and
marks it, and after UPDATE_SEND_BATCH emails queues its own continuation, so
a worker stopping gently stops between two emails.

Never twice to one person: a delivery is claimed (marked "being sent",
committed) before its email goes, and only a pending one is ever claimed. A
worker killed between the claim and the mark leaves it "being sent": once
that has lasted longer than any send can (TASK_STALLED_AFTER_SECONDS, when
the stalled task is queued again), it is marked interrupted and not sent
again, since the mail server may have taken it. Everything else resumes
where it stopped.
"""

import logging
import smtplib
from datetime import timedelta

from anymail.exceptions import AnymailError
from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from django_tasks import task

from core.redaction import redact
from signatures.emails import send_message
from signatures.tasks import retry_delay
from updates import hooks
from updates.emails import build_test_email, build_update_email
from updates.models import Update, UpdateDelivery, recipients_of

logger = logging.getLogger(__name__)

Delivery = UpdateDelivery.Status
# A mail server's answer: the message was not taken.
_ANSWERED = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)


def _stalled_before():
    return timezone.now() - timedelta(seconds=settings.TASK_STALLED_AFTER_SECONDS)


@task(queue_name="email")
def send_update_test(update_id: int, language: str, to: str) -> None:
    update = Update.objects.select_related("petition").filter(pk=update_id).first()
    if update is not None:
        send_message(build_test_email(update, language=language, to=to))


@task(queue_name="email")
def send_update_deliveries(update_id: int) -> None:
    update = Update.objects.select_related("petition").filter(pk=update_id).first()
    if update is None or update.status != Update.Status.SENDING:
        return  # finished by another chain, or deleted
    settle_interrupted(update)
    for _sent in range(settings.UPDATE_SEND_BATCH):
        delivery = claim_next(update)
        if delivery is None:
            break
        deliver(update, delivery)
    else:
        # More may wait: a new task, so a stopping worker stops here.
        _continue(update)
        return
    finish_if_done(update)


def settle_interrupted(update: Update) -> int:
    """Deliveries a lost worker was sending: the mail server may have taken
    them, so they are not sent again."""
    return UpdateDelivery.objects.filter(
        update=update, status=Delivery.SENDING, claimed_at__lt=_stalled_before()
    ).update(status=Delivery.UNCERTAIN)


def claim_next(update: Update) -> UpdateDelivery | None:
    """The next pending delivery, marked "being sent" in its own committed
    transaction. Rows another chain holds are skipped, never waited for."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            UpdateDelivery.objects.select_for_update(skip_locked=True)
            .filter(update=update, status=Delivery.PENDING)
            .filter(Q(retry_after__isnull=True) | Q(retry_after__lte=now))
            .order_by("pk")
            .first()
        )
        if delivery is None:
            return None
        UpdateDelivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    delivery.attempts += 1
    return delivery


def _mark(delivery: UpdateDelivery, status: str, **fields) -> None:
    UpdateDelivery.objects.filter(pk=delivery.pk, status=Delivery.SENDING).update(
        status=status, **fields
    )


def _later(error: Exception) -> bool:
    """A mail server's "try again later" (4xx), or no server to talk to:
    the message was not taken."""
    if isinstance(error, ConnectionRefusedError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code < 500 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return False


def deliver(update: Update, delivery: UpdateDelivery) -> None:
    # Asked again now: who stopped updates, withdrew, was invalidated or
    # bounced since the send began is skipped.
    signature = (
        recipients_of(update.petition)
        .filter(pk=delivery.signature_id)
        .select_related("petition")
        .first()
    )
    if signature is None:
        _mark(delivery, Delivery.SKIPPED)
        return
    try:
        send_message(build_update_email(update, signature))
    except (OSError, ValueError, AnymailError) as error:
        logger.warning(
            "Update %s to signature %s not sent (attempt %s): %s",
            update.pk,
            signature.pk,
            delivery.attempts,
            redact(f"{type(error).__name__}: {error}"),
        )
        if _later(error) and delivery.attempts < settings.EMAIL_SEND_ATTEMPTS:
            _mark(
                delivery,
                Delivery.PENDING,
                retry_after=timezone.now() + retry_delay(delivery.attempts),
            )
        elif isinstance(error, OSError) and not isinstance(error, _ANSWERED):
            # A time-out or a dropped connection, with no answer: the server
            # may have taken it. Not sent again.
            _mark(delivery, Delivery.UNCERTAIN)
        else:
            # Refused (for good, or too often), or not an address we can send to.
            _mark(delivery, Delivery.FAILED)
        return
    _mark(delivery, Delivery.SENT, sent_at=timezone.now())


def _continue(update: Update, run_after=None) -> None:
    task = send_update_deliveries
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    task.enqueue(update_id=update.pk)


def finish_if_done(update: Update) -> None:
    """Mark the update sent once no delivery waits or is being sent; else
    come back when the next one may be tried."""
    open_deliveries = UpdateDelivery.objects.filter(
        update=update, status__in=[Delivery.PENDING, Delivery.SENDING]
    )
    if open_deliveries.exists():
        soonest = open_deliveries.aggregate(
            retry=Min("retry_after", filter=Q(status=Delivery.PENDING)),
            claimed=Min("claimed_at", filter=Q(status=Delivery.SENDING)),
        )
        times = [soonest["retry"]]
        if soonest["claimed"] is not None:
            stall = timedelta(seconds=settings.TASK_STALLED_AFTER_SECONDS)
            times.append(soonest["claimed"] + stall + timedelta(seconds=1))
        when = min((t for t in times if t is not None), default=None)
        if when is None or not send_update_deliveries.get_backend().supports_defer:
            return
        # Only if no task is due to come back sooner (every chain ends here).
        scheduled = (
            Update.objects.filter(pk=update.pk)
            .exclude(resume_at__gt=timezone.now(), resume_at__lte=when)
            .update(resume_at=when)
        )
        if scheduled:
            _continue(update, run_after=when)
        return
    with transaction.atomic():
        # One chain wins; the others find it sent.
        finished = Update.objects.filter(
            pk=update.pk, status=Update.Status.SENDING
        ).update(status=Update.Status.SENT, sent_at=timezone.now())
        if finished:
            update.refresh_from_db()
            # The organization's systems hear of it (updates/hooks.py).
            transaction.on_commit(lambda: hooks.update_sent(update))
