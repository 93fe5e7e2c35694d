"""Every email the site sends, each from a subject/text/html template triplet
under templates/emails/, in the signer's language."""

from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from config.context_processors import site_name
from signatures.models import Signature
from signatures.tokens import confirmation_token


class EmailKind(StrEnum):
    CONFIRM = "confirm_signature"
    ALREADY_SIGNED = "already_signed"
    THANKS = "signature_counted"


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def build_signature_email(
    signature: Signature, kind: EmailKind
) -> EmailMultiAlternatives:
    petition = signature.petition
    with translation.override(signature.language or settings.LANGUAGE_CODE):
        context = {
            "signature": signature,
            "petition": petition,
            "text": petition.text(signature.language or settings.LANGUAGE_CODE),
            "petition_url": _absolute(petition.get_absolute_url()),
            "confirm_url": _absolute(
                reverse("signatures:confirm", args=[confirmation_token(signature)])
            ),
            "site_name": site_name(),
        }
        subject = render_to_string(f"emails/{kind}.subject.txt", context)
        text = render_to_string(f"emails/{kind}.txt", context)
        html = render_to_string(f"emails/{kind}.html", context)
    message = EmailMultiAlternatives(
        # One line, whatever a template or a petition title holds.
        subject=" ".join(subject.split()),
        body=text,
        to=[signature.email],
    )
    message.attach_alternative(html, "text/html")
    return message


def send_signature_email(signature: Signature, kind: EmailKind) -> None:
    build_signature_email(signature, kind).send(fail_silently=False)
