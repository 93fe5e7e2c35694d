"""Consent to campaign updates ended by an organizer, at the signer's
request (by telephone, by letter, by a reply to an update): recorded as
such on each signature, and under moderation actions."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet

from signatures.consent import Withdrawal, withdrawn_now
from signatures.models import ModerationAction, Signature
from signatures.services.moderation import record_action


def signatures_stop_updates(
    *, signatures: QuerySet[Signature], user: User | None, criteria: dict | None = None
) -> int:
    """Stop campaign updates to these signers; returns how many had them on.
    Their signatures count as before."""
    with transaction.atomic():
        count = signatures.filter(wants_updates=True).update(
            **withdrawn_now(Withdrawal.ORGANIZER)
        )
        record_action(
            kind=ModerationAction.Kind.STOP_UPDATES,
            user=user,
            count=count,
            criteria=criteria,
        )
    return count
