import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from config.redaction import redact
from signatures import emails
from signatures.models import Signature

logger = logging.getLogger(__name__)


class EmailNotSent(Exception):
    """The send failed; the message says why, with addresses masked."""


def retry_delay(attempt: int) -> timedelta:
    """1, 5, 25, 125 ... minutes: quick for a blip, patient for an outage."""
    return timedelta(minutes=5 ** (attempt - 1))


def _refused_for_good(error: OSError) -> bool:
    """A recipient refused with a 5xx code (no such mailbox) stays refused.
    A 4xx is "try again later": greylisting answers every first attempt from
    an unknown sender that way, so giving up on it would lose the email."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _message in error.recipients.values()
    )


@task(queue_name="email")
def send_signature_email(signature_id: int, kind: str, attempt: int = 1) -> None:
    signature = (
        Signature.objects.select_related("petition").filter(pk=signature_id).first()
    )
    if signature is None:
        return  # erased since: nothing to send
    try:
        emails.send_signature_email(signature, emails.EmailKind(kind))
    # smtplib's errors and network failures alike; ValueError: an address the
    # message cannot carry (see emails.build_signature_email), never retried.
    except (OSError, ValueError) as error:
        can_retry = (
            not isinstance(error, ValueError)
            and not _refused_for_good(error)
            and attempt < settings.EMAIL_SEND_ATTEMPTS
            and send_signature_email.get_backend().supports_defer
        )
        logger.warning(
            "Sending %s email for signature %s failed (attempt %s)%s",
            kind,
            signature_id,
            attempt,
            "; will retry" if can_retry else "",
            exc_info=True,
        )
        if can_retry:
            send_signature_email.using(
                run_after=timezone.now() + retry_delay(attempt)
            ).enqueue(signature_id=signature_id, kind=kind, attempt=attempt + 1)
        # The task's result row keeps the traceback: let it hold no address.
        raise EmailNotSent(redact(f"{type(error).__name__}: {error}")) from None


# How many workers may die running one task before it is given up.
MAX_WORKERS_PER_TASK = 3


def requeue_stalled_tasks(*, older_than: timedelta) -> int:
    """Put back in the queue the tasks whose worker died while running them;
    returns how many. Safe to run at any time, as often as wanted.

    django-tasks-db marks a task RUNNING when a worker takes it and never
    looks at it again: if that worker is killed mid-task, the task stays
    RUNNING for ever and its email is never sent. A task running for longer
    than any send can take (see TASK_STALLED_AFTER_SECONDS) has lost its
    worker, so it is made READY for the next one.

    This makes sending at-least-once, not exactly-once: a worker killed after
    the mail server accepted the message but before the task was marked done
    leaves a task that looks stalled, and the email goes out a second time.
    No worker can avoid that, since the mail server and the database cannot
    commit together; a duplicate confirmation email is harmless (its link
    confirms once), a lost one costs a signature.
    """
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        stalled = list(
            DBTaskResult.objects.select_for_update(skip_locked=True).filter(
                status=TaskResultStatus.RUNNING, started_at__lt=cutoff
            )
        )
        for result in stalled:
            if len(result.worker_ids) >= MAX_WORKERS_PER_TASK:
                # Each worker that took it died: the task itself kills them
                # (memory, a hang). Stop, or it would take every worker down.
                logger.error(
                    "Task %s (%s) lost %s workers: marked failed",
                    result.id,
                    result.task_path,
                    len(result.worker_ids),
                )
                result.status = TaskResultStatus.FAILED
                result.finished_at = timezone.now()
                result.save(update_fields=["status", "finished_at"])
                continue
            # Ids and the task's name only: its arguments are the signer's.
            logger.warning(
                "Task %s (%s) has been running since %s on worker %s, which is "
                "gone: queued again",
                result.id,
                result.task_path,
                result.started_at.isoformat(),
                result.worker_ids[-1] if result.worker_ids else "-",
            )
            result.status = TaskResultStatus.READY
            result.save(update_fields=["status"])
    return len(stalled)
