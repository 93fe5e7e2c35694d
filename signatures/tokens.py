"""Signed, expiring confirmation links: no table of tokens to keep or clean.

Links name a signature by its random public id, never by its sequential key,
which would tell how many people have signed. Links emailed before that
(signed key numbers) keep working: manage links never expire.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from signatures.models import HeldSubmission, Signature

_CONFIRM_SALT = "signatures.confirm"
_MANAGE_SALT = "signatures.manage"


class InvalidToken(Exception):
    """The confirmation link was altered or is not one of ours."""


class ExpiredToken(InvalidToken):
    """The confirmation link is ours but too old."""

    def __init__(self, signature: Signature | None) -> None:
        super().__init__()
        # Known from the link itself: lets the page offer a new link.
        self.signature = signature


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation link confirms: the signature, and for the link
    emailed for a later submission, the details that submission typed."""

    signature: Signature
    submission: HeldSubmission | None = None


def confirmation_token(
    signature: Signature, submission: HeldSubmission | None = None
) -> str:
    if submission is not None:
        # The signature too: using the link deletes the held row, and pressing
        # it again (double click, reload, Back) must still find what it did.
        return signing.dumps(
            {"held": str(submission.pk), "signature": str(signature.public_id)},
            salt=_CONFIRM_SALT,
        )
    return signing.dumps(str(signature.public_id), salt=_CONFIRM_SALT)


def confirmation_from_token(token: str) -> Confirmation:
    try:
        payload = signing.loads(
            token, salt=_CONFIRM_SALT, max_age=settings.SIGNATURE_CONFIRMATION_MAX_AGE
        )
    except signing.SignatureExpired:
        # Authentic but old: the signature it names is still worth finding.
        found = _confirmation(signing.loads(token, salt=_CONFIRM_SALT))
        raise ExpiredToken(found.signature if found else None) from None
    except signing.BadSignature:
        raise InvalidToken from None
    found = _confirmation(payload)
    if found is None:
        raise InvalidToken
    return found


def _confirmation(payload: object) -> Confirmation | None:
    if isinstance(payload, dict):
        return _held_confirmation(payload)
    signature = _signature(payload)
    return Confirmation(signature) if signature else None


def _held_confirmation(payload: dict) -> Confirmation | None:
    """For the link emailed for a later submission: its held row while it
    waits; once used (the row is gone), only a look at the signature it
    confirmed, never a way to change, revive or confirm anything."""
    submission = _held(payload.get("held"))
    if "signature" not in payload:
        # Emailed before links named their signature.
        if submission is None:
            return None
        signature = (
            Signature.objects.select_related("petition")
            .filter(
                petition_id=submission.petition_id,
                email_canonical=submission.email_canonical,
            )
            .first()
        )
        return Confirmation(signature, submission) if signature else None
    signature = _signature(payload["signature"])
    if signature is None:
        return None  # erased since
    if submission is None:
        # Used (or expired and purged): as the signature's own link would,
        # say it counts. Pending or withdrawn, what it held is gone: no link.
        if signature.is_counted:
            return Confirmation(signature)
        return None
    if (signature.petition_id, signature.email_canonical) != (
        submission.petition_id,
        submission.email_canonical,
    ):
        return None  # not the signature this submission was held for
    return Confirmation(signature, submission)


def _held(value: object) -> HeldSubmission | None:
    try:
        held_id = uuid.UUID(str(value))
    except ValueError:
        return None
    return HeldSubmission.objects.filter(pk=held_id).first()


def _signature(payload: object) -> Signature | None:
    signatures = Signature.objects.select_related("petition")
    # bool is an int too, and no key of ours.
    if isinstance(payload, int) and not isinstance(payload, bool):
        return signatures.filter(pk=payload).first()  # a link from before
    try:
        public_id = uuid.UUID(str(payload))
    except ValueError:
        return None
    return signatures.filter(public_id=public_id).first()


def manage_token(signature: Signature) -> str:
    """For the link in every email that lets a signer withdraw, erase or stop
    updates. It does not expire: a signer may act years later."""
    return signing.dumps(str(signature.public_id), salt=_MANAGE_SALT)


def signature_from_manage_token(token: str) -> Signature:
    try:
        payload = signing.loads(token, salt=_MANAGE_SALT)
    except signing.BadSignature:
        raise InvalidToken from None
    signature = _signature(payload)
    if signature is None or signature.anonymised_at is not None:
        raise InvalidToken  # erased or anonymised since, or never ours
    return signature
