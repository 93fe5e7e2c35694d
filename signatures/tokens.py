"""Signed, expiring confirmation links: no table of tokens to keep or clean."""

from django.conf import settings
from django.core import signing

from signatures.models import Signature

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


def confirmation_token(signature: Signature) -> str:
    return signing.dumps(signature.pk, salt=_CONFIRM_SALT)


def signature_from_token(token: str) -> Signature:
    try:
        pk = signing.loads(
            token, salt=_CONFIRM_SALT, max_age=settings.SIGNATURE_CONFIRMATION_MAX_AGE
        )
    except signing.SignatureExpired:
        # Authentic but old: the signature it names is still worth finding.
        raise ExpiredToken(
            _signature(signing.loads(token, salt=_CONFIRM_SALT))
        ) from None
    except signing.BadSignature:
        raise InvalidToken from None
    signature = _signature(pk)
    if signature is None:
        raise InvalidToken
    return signature


def _signature(pk: object) -> Signature | None:
    if not isinstance(pk, int):
        return None
    return Signature.objects.select_related("petition").filter(pk=pk).first()


def manage_token(signature: Signature) -> str:
    """For the link in every email that lets a signer withdraw, erase or stop
    updates. It does not expire: a signer may act years later."""
    return signing.dumps(signature.pk, salt=_MANAGE_SALT)


def signature_from_manage_token(token: str) -> Signature:
    try:
        pk = signing.loads(token, salt=_MANAGE_SALT)
    except signing.BadSignature:
        raise InvalidToken from None
    signature = _signature(pk)
    if signature is None or signature.anonymised_at is not None:
        raise InvalidToken  # erased or anonymised since, or never ours
    return signature
