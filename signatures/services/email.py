"""The signer's emails: queued with the change that asks for them, within
each address's hourly allowance, and never to an address that bounced."""

import logging
from functools import partial

from django.db import transaction
from django.db.models import Exists, IntegerField, OuterRef, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from signatures.emails import EmailKind
from signatures.models import Signature
from signatures.normalize import canonical_email
from signatures.tasks import (
    ERASED_RESEND_ARGS,
    follow_up_resend,
    may_email,
    send_signature_email,
)

logger = logging.getLogger(__name__)


def queue(task: Task, **kwargs) -> None:
    """Enqueue `task` so that it runs only for a change that commits."""
    if _tasks_in_database():
        # The task row commits with the change that asked for it, or not at
        # all: no signature without its email, and one commit, not two.
        task.enqueue(**kwargs)
    else:
        # Elsewhere the email could go before the change commits, or for a
        # change that is rolled back.
        transaction.on_commit(partial(task.enqueue, **kwargs))


def _tasks_in_database() -> bool:
    return isinstance(send_signature_email.get_backend(), DatabaseBackend)


def email_signer(signature: Signature, kind: EmailKind) -> bool:
    """Queue an email; False when the hourly allowance for the address is spent."""
    if not may_email(signature):
        logger.info("Email to signature %s skipped: hourly limit reached", signature.pk)
        return False
    queue(send_signature_email, signature_id=signature.pk, kind=kind.value)
    return True


def signatures_mark_undeliverable(*, email: str, reason: str) -> int:
    """Send nothing more to this address: its email provider reported a hard
    bounce or a spam complaint. Every signature with the address, on every
    petition, is marked (a later one inherits the mark when its first email
    would go, see tasks.follow_up_submission); a mark already there keeps its
    first time and reason. Returns how many were marked now.

    The signatures themselves do not change: they count as before. Nothing
    here clears a mark: a bounce is the provider's word on the inbox, while
    anyone can type the address into our form again."""
    return (
        Signature.objects.of_inbox(canonical_email(email))
        .deliverable()
        .update(
            email_undeliverable_at=timezone.now(), email_undeliverable_reason=reason
        )
    )


def forget_resend_requests(signatures: QuerySet[Signature]) -> None:
    """Take these signatures' addresses out of the requests for a new link
    queued or done (the task's arguments name the address, and retention
    deletes those rows only days later, once finished). One statement.

    Blanked, not deleted: a worker may be running the task, and its row must
    still be there when the worker records the result (django-tasks-db saves
    it with update_fields, which fails on a deleted row and stops the worker).
    The worker never writes the arguments back; a task yet to run finds no
    one. The JSON keys are read as text (KT), the same on SQLite and
    PostgreSQL; the petition's id is cast back to a number for the match."""
    DBTaskResult.objects.filter(task_path=follow_up_resend.module_path).annotate(
        named_petition=Cast(KT("args_kwargs__kwargs__petition_id"), IntegerField()),
        named_email=KT("args_kwargs__kwargs__email_canonical"),
    ).filter(
        Exists(
            signatures.filter(
                petition_id=OuterRef("named_petition"),
                email_canonical=OuterRef("named_email"),
            )
        )
    ).update(args_kwargs=ERASED_RESEND_ARGS)
