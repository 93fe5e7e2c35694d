import logging
import smtplib
from datetime import timedelta

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from core.ratelimits import take_one
from core.redaction import redact
from crm import events
from petition.models import Petition
from signatures import emails
from signatures.counts import tally
from signatures.emails import EmailKind
from signatures.models import HeldSubmission, Signature

logger = logging.getLogger(__name__)


class EmailNotSent(Exception):
    """The send failed; the message says why, with addresses masked."""


def retry_delay(attempt: int) -> timedelta:
    """1, 5, 25, 125 ... minutes: quick for a blip, patient for an outage."""
    return timedelta(minutes=5 ** (attempt - 1))


def _refused_for_good(error: Exception) -> bool:
    """A recipient refused with a 5xx code (no such mailbox) stays refused,
    and so does one an email provider rejects (on its suppression list after
    a hard bounce or a complaint) or finds invalid: Anymail then raises
    AnymailRecipientsRefused. A 4xx is "try again later": greylisting answers
    every first attempt from an unknown sender that way, so giving up on it
    would lose the email.

    Anything else a provider answers is tried again, within
    EMAIL_SEND_ATTEMPTS: its 5xx, a 429 (over the rate), a network failure or
    time-out, and its other 4xx too. Those are mostly the account's, not this
    email's (a revoked key, credits run out, a sender not verified yet, an
    account under review): the operator mends it, and the emails queued in
    the meantime still go."""
    if isinstance(error, AnymailRecipientsRefused):
        return True
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _message in error.recipients.values()
    )


@task(queue_name="email")
def send_signature_email(
    signature_id: int, kind: str, attempt: int = 1, submission_id: str = ""
) -> None:
    try:
        signature = Signature.objects.select_related("petition").get(pk=signature_id)
    except Signature.DoesNotExist:
        return  # erased since: nothing to send
    submission = None
    if submission_id:
        submission = HeldSubmission.objects.filter(pk=submission_id).first()
        if submission is None:
            return  # used, purged or erased since: its link would not work
    _deliver(signature, EmailKind(kind), submission=submission, attempt=attempt)


def _deliver(
    signature: Signature,
    kind: EmailKind,
    *,
    submission: HeldSubmission | None = None,
    attempt: int = 1,
) -> None:
    if signature.email_undeliverable_at is not None:
        # Its provider reported a hard bounce or a complaint for the address:
        # another email would hurt the site's standing with mail servers.
        logger.info(
            "Email to signature %s not sent: address undeliverable", signature.pk
        )
        return
    try:
        emails.send_signature_email(signature, kind, submission=submission)
    # smtplib's errors and network failures alike, and an email provider's
    # (AnymailError, most of which are not OSErrors); ValueError: an address
    # the message cannot carry (see emails.build_signature_email, and
    # Anymail's AnymailInvalidAddress), never retried.
    except (OSError, ValueError, AnymailError) as error:
        can_retry = (
            not isinstance(error, ValueError)
            and not _refused_for_good(error)
            and attempt < settings.EMAIL_SEND_ATTEMPTS
            and send_signature_email.get_backend().supports_defer
        )
        logger.warning(
            "Sending %s email for signature %s failed (attempt %s)%s",
            kind.value,
            signature.pk,
            attempt,
            "; will retry" if can_retry else "",
            exc_info=True,
        )
        if can_retry:
            send_signature_email.using(
                run_after=timezone.now() + retry_delay(attempt)
            ).enqueue(
                signature_id=signature.pk,
                kind=kind.value,
                attempt=attempt + 1,
                submission_id=str(submission.pk) if submission else "",
            )
        # The task's result row keeps the traceback: let it hold no address.
        raise EmailNotSent(redact(f"{type(error).__name__}: {error}")) from None


# --- After a signing or a request for a new link -------------------------------
#
# The request does the same work for an address that has signed and one that
# has not (an insert, and this task queued), so neither its answer nor its
# timing tells them apart. Looking the address up, and deciding what to email,
# happen here, in the background.


def kind_for_repeat(signature: Signature) -> EmailKind:
    if signature.status == Signature.Status.PENDING:
        return EmailKind.CONFIRM
    return EmailKind.ALREADY_SIGNED


def may_email(signature: Signature) -> bool:
    """At most SIGNATURE_EMAILS_PER_ADDRESS_PER_HOUR emails per hour about one
    signature, so our forms cannot be used to flood someone's inbox."""
    # Keyed by a hash: the cache never holds the address itself.
    digest = salted_hmac(
        "signatures.email-throttle",
        f"{signature.petition_id}:{signature.email_canonical}",
    ).hexdigest()
    return take_one(
        group="signature-emails",
        key=digest,
        rate=f"{settings.SIGNATURE_EMAILS_PER_ADDRESS_PER_HOUR}/h",
    )


def _signature_at(petition: Petition, email_canonical: str) -> Signature | None:
    # A plain get, on the petition already at hand: a worker runs this for
    # every signing, and compiling a join with the petition's columns (or the
    # ORDER BY of first()) cost more CPU than the query itself.
    try:
        signature = Signature.objects.get(
            petition=petition, email_canonical=email_canonical
        )
    except Signature.DoesNotExist:
        return None
    signature.petition = petition
    return signature


def _sign_afresh(submission: HeldSubmission) -> Signature | None:
    """The row that stood in the way is gone (erased since): the submission
    is a new signature after all. None if the petition no longer takes one."""
    petition = submission.petition
    if not petition.is_taking_signatures:
        return None
    signature = Signature.unsaved(
        petition=petition,
        email_canonical=submission.email_canonical,
        **{field: getattr(submission, field) for field in HeldSubmission.DETAILS},
    )
    try:
        with transaction.atomic():
            signature.save(force_insert=True)
    except IntegrityError:
        return None  # signed again meanwhile: that submission's task answers
    return signature


def _forget(submission: HeldSubmission) -> None:
    # One DELETE: Model.delete() first collects what depends on the row
    # (nothing does), which costs a worker more CPU than the query.
    HeldSubmission.objects.filter(pk=submission.pk).delete()


def _inherit_undeliverable(signature: Signature) -> None:
    """A new signature for an address already reported undeliverable, on any
    petition (services.email.signatures_mark_undeliverable), takes the same mark,
    so that not even its first email goes: the provider would refuse it, or
    it would bounce again, and each try counts against the site with mail
    servers."""
    marked = (
        Signature.objects.filter(email_canonical=signature.email_canonical)
        .undeliverable()
        .values("email_undeliverable_at", "email_undeliverable_reason")
    )
    # Any one of them (no first(): its ORDER BY is CPU for the worker).
    for known in marked[:1]:
        Signature.objects.filter(pk=signature.pk).update(**known)
        for field, value in known.items():
            setattr(signature, field, value)


def _follow_up_new(submission: HeldSubmission, signature: Signature | None) -> None:
    """The first email of a signature this submission made."""
    if signature is None:
        _forget(submission)
        return  # erased since
    _inherit_undeliverable(signature)
    counted = signature.is_counted
    # Here, not in the request, which does not know whether its insert made
    # a signature; emitted once even if this task runs again.
    events.safely(events.signature_created, signature)
    try:
        # The first email always goes, outside the hourly allowance,
        # which limits repeats (unless the address is known undeliverable).
        _deliver(signature, EmailKind.THANKS if counted else EmailKind.CONFIRM)
    finally:
        # Only once this run is over (a failed send is retried by its own
        # task): a worker killed before this point leaves the task to run
        # again, which finds everything as it was.
        if counted:
            tally(signature.petition_id, 1)
        # Everything it typed is in the signature itself.
        _forget(submission)


@task(queue_name="email")
def follow_up_submission(submission_id: str, signature_public_id: str) -> None:
    """Email the signer what this submission calls for.

    A new signature gets its first email. For an address that had signed, the
    submission changed nothing: a pending or withdrawn signer gets a link of
    its own that applies what was typed this time (only the inbox's owner can
    use it), a counted one is told they had signed already.
    """
    try:
        submission = HeldSubmission.objects.select_related("petition").get(
            pk=submission_id
        )
    except HeldSubmission.DoesNotExist:
        return  # erased since
    signature = _signature_at(submission.petition, submission.email_canonical)
    if signature is None:
        _follow_up_new(submission, _sign_afresh(submission))
        return
    if str(signature.public_id) == signature_public_id:
        # Made by that submission's own insert.
        _follow_up_new(submission, signature)
        return
    # There before it.
    held = signature.status in {Signature.Status.PENDING, Signature.Status.WITHDRAWN}
    allowed = signature.petition.is_taking_signatures and may_email(signature)
    try:
        if not allowed:
            logger.info("Email to signature %s not sent", signature.pk)
        elif held:
            _deliver(signature, EmailKind.CONFIRM, submission=submission)
        else:
            _deliver(signature, EmailKind.ALREADY_SIGNED)
    finally:
        if not (held and allowed):
            # No link names it: nothing to keep. (A counted signature does
            # not change; a closed petition takes no change.)
            _forget(submission)


# What erasing a signature leaves of the arguments of a follow_up_resend task
# that named its address (see services.email.forget_resend_requests): nothing of
# the signer's, and nothing to do.
ERASED_RESEND_ARGS = {"args": [], "kwargs": {"petition_id": 0, "email_canonical": ""}}


@task(queue_name="email")
def follow_up_resend(petition_id: int, email_canonical: str) -> None:
    """A new link, or an "already counted" note, if this address signed."""
    if not email_canonical:
        return  # the signature was erased before this ran
    petition = Petition.objects.filter(pk=petition_id).first()
    signature = _signature_at(petition, email_canonical) if petition else None
    # A withdrawn signer gets nothing: "you had already signed" would be
    # untrue, and signing again is the way back.
    if (
        signature is not None
        and signature.status != Signature.Status.WITHDRAWN
        and signature.petition.is_taking_signatures
        and may_email(signature)
    ):
        _deliver(signature, kind_for_repeat(signature))


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
