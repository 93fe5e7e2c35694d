"""Every email the site sends, each from a subject/text/html template triplet
under templates/emails/, in the signer's language."""

import copy
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from config.context_processors import site_name
from signatures.models import HeldSubmission, Signature
from signatures.tokens import confirmation_token, manage_token


class EmailKind(StrEnum):
    CONFIRM = "confirm_signature"
    ALREADY_SIGNED = "already_signed"
    THANKS = "signature_counted"


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def build_signature_email(
    signature: Signature, kind: EmailKind, *, submission: HeldSubmission | None = None
) -> EmailMultiAlternatives:
    """The email about `signature`; with `submission`, the one for what a later
    submission typed: in its words and language, with a link that applies it."""
    confirm_token = confirmation_token(signature, submission)
    if submission is not None:
        signature = copy.copy(signature)  # shown as it would read, never saved
        for field in HeldSubmission.DETAILS:
            setattr(signature, field, getattr(submission, field))
    petition = signature.petition
    with translation.override(signature.language or settings.LANGUAGE_CODE):
        context = {
            "signature": signature,
            "petition": petition,
            "text": petition.text(signature.language or settings.LANGUAGE_CODE),
            "petition_url": _absolute(petition.get_absolute_url()),
            "confirm_url": _absolute(
                reverse("signatures:confirm", args=[confirm_token])
            ),
            "manage_url": _absolute(
                reverse("signatures:manage", args=[manage_token(signature)])
            ),
            "site_name": site_name(),
        }
        unsubscribe_url = _absolute(
            reverse("signatures:unsubscribe", args=[manage_token(signature)])
        )
        subject = render_to_string(f"emails/{kind}.subject.txt", context)
        text = render_to_string(f"emails/{kind}.txt", context)
        html = render_to_string(f"emails/{kind}.html", context)
    message = EmailMultiAlternatives(
        # One line, whatever a template or a petition title holds.
        subject=" ".join(subject.split()),
        body=text,
        # Exactly one address, whatever the mail backend: the form stores no
        # other, and one stored some other way with a line break or a second
        # address in it raises ValueError here, as SMTP would when sending.
        to=[sanitize_address(signature.email, settings.DEFAULT_CHARSET)],
        # One-click unsubscribe (RFC 8058), offered by the mail program itself.
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def send_signature_email(
    signature: Signature, kind: EmailKind, *, submission: HeldSubmission | None = None
) -> None:
    build_signature_email(signature, kind, submission=submission).send(
        fail_silently=False
    )
