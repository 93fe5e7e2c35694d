"""In the signer's hands, from the links in their emails: withdraw, erase,
stop updates. Each one recorded, with no personal data."""

from django.db import transaction

from crm import events
from crm.models import EventType
from signatures.consent import Withdrawal, withdrawn_now
from signatures.counts import recount_on_next_read, tally
from signatures.models import HeldSubmission, ModerationAction, Signature
from signatures.services.email import forget_resend_requests
from signatures.services.moderation import record_action

_BY_SIGNER = "At the signer's request"


def _signer_changed_count(row: Signature) -> None:
    petition_id = row.petition_id
    if row.is_counted:
        transaction.on_commit(lambda: tally(petition_id, -1))
    if row.show_name_publicly:
        # The first name may be among the latest signers shown: recount now.
        transaction.on_commit(lambda: recount_on_next_read(petition_id))


def signature_withdraw(*, signature: Signature) -> bool:
    """Take a signature out of the count at its signer's request; True if it
    was counted or pending. Signing again later starts afresh."""
    with transaction.atomic():
        row = Signature.objects.locked(signature)
        if row is None or row.status not in {
            Signature.Status.PENDING,
            Signature.Status.CONFIRMED,
        }:
            return False
        _signer_changed_count(row)
        # A link emailed earlier for a later submission must not bring the
        # signature back; signing again sends a new one.
        HeldSubmission.objects.for_signature(row).delete()
        Signature.objects.filter(pk=row.pk).update(
            status=Signature.Status.WITHDRAWN,
            **(
                withdrawn_now(Withdrawal.SIGNATURE_WITHDRAWN)
                if row.wants_updates
                else {}
            ),
        )
        events.safely(events.signatures_event, EventType.SIGNATURE_WITHDRAWN, [row.pk])
        record_action(
            kind=ModerationAction.Kind.WITHDRAW, user=None, count=1, reason=_BY_SIGNER
        )
    return True


def signature_erase_by_signer(*, signature: Signature) -> bool:
    """Delete everything held about this signature; only the fact that one
    was erased is kept, with no personal data."""
    with transaction.atomic():
        row = Signature.objects.locked(signature)
        if row is None:
            return False
        _signer_changed_count(row)
        # What was typed since, awaiting confirmation.
        HeldSubmission.objects.for_signature(row).delete()
        forget_resend_requests(Signature.objects.filter(pk=row.pk))
        events.safely(events.signatures_erased, Signature.objects.filter(pk=row.pk))
        row.delete()
        record_action(
            kind=ModerationAction.Kind.ERASE, user=None, count=1, reason=_BY_SIGNER
        )
    return True


def signature_stop_updates(
    *, signature: Signature, via: Withdrawal = Withdrawal.SIGNER_PAGE
) -> bool:
    """Unsubscribe from campaign updates, recording when and how; the
    signature still counts. False if updates were off already (the first
    withdrawal stays the one on record)."""
    return bool(
        Signature.objects.filter(pk=signature.pk, wants_updates=True).update(
            **withdrawn_now(via)
        )
    )
