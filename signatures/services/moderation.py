"""Organizers' actions on signatures, each one recorded (who, when, how
many): invalidate, restore, resend the confirmation, erase, export."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from crm import events
from crm.models import EventType
from petition.models import Petition
from signatures.counts import tally_after_commit
from signatures.emails import EmailKind
from signatures.models import (
    HeldSubmission,
    ModerationAction,
    Signature,
    SignatureQuerySet,
)
from signatures.services.email import email_signer, forget_resend_requests


def record_action(
    *,
    kind: ModerationAction.Kind,
    user: User | None,
    count: int,
    reason: str = "",
    criteria: dict | None = None,
) -> ModerationAction:
    """The record of one action: by an organizer (`user`), or by a signer or
    the retention rules (no user)."""
    return ModerationAction.objects.create(
        kind=kind,
        performed_by=user,
        count=count,
        reason=reason,
        criteria=criteria or {},
    )


def signatures_invalidate(
    *,
    signatures: QuerySet[Signature],
    reason: str,
    user: User | None,
    criteria: dict | None = None,
) -> int:
    """Take signatures out of counts and exports, keeping them for review.
    Withdrawn ones stay withdrawn: restoring must never count them again."""
    signatures = signatures.exclude(
        status__in=[Signature.Status.INVALIDATED, Signature.Status.WITHDRAWN]
    )
    with transaction.atomic():
        watched = events.watched_ids(EventType.SIGNATURE_INVALIDATED, signatures)
        tally_after_commit(signatures, -1)
        count = signatures.update(
            status=Signature.Status.INVALIDATED,
            invalidated_at=timezone.now(),
            invalidation_reason=reason,
        )
        events.safely(events.signatures_event, EventType.SIGNATURE_INVALIDATED, watched)
        record_action(
            kind=ModerationAction.Kind.INVALIDATE,
            user=user,
            count=count,
            reason=reason,
            criteria=criteria,
        )
    return count


def signatures_restore(*, signatures: QuerySet[Signature], user: User | None) -> int:
    """Undo an invalidation: back to confirmed if it had been, else pending."""
    invalidated = signatures.filter(status=Signature.Status.INVALIDATED)
    with transaction.atomic():
        watched = events.watched_ids(EventType.SIGNATURE_RESTORED, invalidated)
        # Those that had been confirmed come back into the count.
        tally_after_commit(invalidated, +1, counted=Q(confirmed_at__isnull=False))
        count = invalidated.update(
            status=Case(
                When(
                    confirmed_at__isnull=False, then=Value(Signature.Status.CONFIRMED)
                ),
                default=Value(Signature.Status.PENDING),
            ),
            invalidated_at=None,
            invalidation_reason="",
        )
        events.safely(events.signatures_event, EventType.SIGNATURE_RESTORED, watched)
        record_action(kind=ModerationAction.Kind.RESTORE, user=user, count=count)
    return count


@dataclass(frozen=True)
class ResendOutcome:
    sent: int
    # Pending signers left alone: their petition is closed or unpublished...
    not_open: int
    # ...or their address is known not to take our email.
    undeliverable: int


def signatures_resend_confirmation(
    *, signatures: SignatureQuerySet, user: User | None
) -> ResendOutcome:
    """Email the confirmation link again to pending signers, within each
    address's hourly allowance; none to those of a petition that is closed
    or unpublished, whose link would confirm nothing, nor to an address
    reported undeliverable."""
    sent = 0
    _pending, taking = _resend_reach(signatures)
    # The queued emails (in the database) and their record commit together.
    with transaction.atomic():
        for signature in (
            taking.deliverable().select_related("petition").iterator(chunk_size=1000)
        ):
            sent += email_signer(signature, EmailKind.CONFIRM)
        record_action(kind=ModerationAction.Kind.RESEND, user=user, count=sent)
    return ResendOutcome(sent=sent, **resend_left_alone(signatures=signatures))


def resend_left_alone(*, signatures: SignatureQuerySet) -> dict[str, int]:
    """The pending signers a resend leaves alone, by why (ResendOutcome's
    fields): for the organizer's warning before, and the report after."""
    pending, taking = _resend_reach(signatures)
    return {
        "not_open": pending.count() - taking.count(),
        "undeliverable": taking.undeliverable().count(),
    }


def _resend_reach(
    signatures: SignatureQuerySet,
) -> tuple[SignatureQuerySet, SignatureQuerySet]:
    """The pending signers, and those of them on a petition still taking
    signatures (whose link would confirm something)."""
    pending = signatures.filter(status=Signature.Status.PENDING)
    return pending, pending.filter(petition__in=Petition.objects.taking_signatures())


def signatures_erase(
    *, signatures: QuerySet[Signature], user: User | None, reason: str = ""
) -> int:
    """Delete signers' personal data at their request; only the count of
    erased signatures is kept, in the moderation record."""
    with transaction.atomic():
        tally_after_commit(signatures, -1)
        # What their addresses typed since, awaiting confirmation, goes too:
        # one statement, however large the wave.
        HeldSubmission.objects.filter(
            Exists(
                signatures.filter(
                    petition_id=OuterRef("petition_id"),
                    email_canonical=OuterRef("email_canonical"),
                )
            )
        ).delete()
        forget_resend_requests(signatures)
        events.safely(events.signatures_erased, signatures)
        count, _ = signatures.delete()
        record_action(
            kind=ModerationAction.Kind.ERASE, user=user, count=count, reason=reason
        )
    return count


def record_export(*, user: User | None, criteria: dict) -> ModerationAction:
    """Recorded when the download starts; its count is filled in at the end."""
    return record_action(
        kind=ModerationAction.Kind.EXPORT, user=user, count=0, criteria=criteria
    )
