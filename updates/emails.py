"""The email of a campaign update, for one signer (or for the organizer's
own test): the update in the signer's language, who sends it and their
postal address (Canada's anti-spam law asks for both in every message), a
one-click unsubscribe and a link to the signer's own page."""

from anymail.message import AnymailMessage
from django.conf import settings
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core.context_processors import site_name
from petition.markup import render_campaign
from signatures.emails import absolute_url, greeting_name, one_line, sender
from signatures.models import Signature
from signatures.tokens import manage_token
from updates.models import Update

TEMPLATE = "emails/campaign_update"


def render_body(update: Update, language: str) -> SafeString:
    """The text as safe HTML, rendered as the petition's own (raw HTML shown
    as typed, no images)."""
    return render_campaign(update.body(language), "", frozenset()).body


def _message(
    update: Update,
    *,
    language: str,
    to: str,
    manage_url: str,
    unsubscribe_url: str,
    greeting_name: str = "",
    subject_prefix: str = "",
    signature: Signature | None = None,
) -> AnymailMessage:
    petition = update.petition
    with translation.override(language):
        text = petition.text(language)
        context = {
            "update": update,
            "subject": update.subject(language),
            "body_markdown": update.body(language),
            "body_html": render_body(update, language),
            "text": text,
            "organizer": text.organizer,
            "site_name": site_name(),
            "greeting_name": greeting_name,
            "petition_url": absolute_url(petition.get_absolute_url()),
            "manage_url": manage_url,
            "unsubscribe_url": unsubscribe_url,
            "postal_address": settings.ORGANIZER_POSTAL_ADDRESS,
            "contact_email": settings.PRIVACY_CONTACT_EMAIL,
        }
        subject = one_line(
            subject_prefix + render_to_string(f"{TEMPLATE}.subject.txt", context)
        )
        body = render_to_string(f"{TEMPLATE}.txt", context)
        html = render_to_string(f"{TEMPLATE}.html", context)
    message = AnymailMessage(
        subject=subject,
        body=body,
        from_email=sender(language, text.organizer),
        to=[sanitize_address(to, settings.DEFAULT_CHARSET)],
        # One-click unsubscribe (RFC 8058): the mail program's own button
        # posts to the signed link, which needs nothing else.
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        tags=["campaign_update"],
        # As in the signers' other emails (signatures/emails.py): the
        # provider's bounce report names the signature, never the address.
        metadata={
            "update": str(update.pk),
            **({"signature": str(signature.public_id)} if signature else {}),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def build_update_email(update: Update, signature: Signature) -> AnymailMessage:
    language = signature.language or settings.LANGUAGE_CODE
    token = manage_token(signature)
    with translation.override(language):
        manage_url = absolute_url(reverse("signatures:manage", args=[token]))
        unsubscribe_url = absolute_url(reverse("signatures:unsubscribe", args=[token]))
    return _message(
        update,
        language=language,
        to=signature.email,
        manage_url=manage_url,
        unsubscribe_url=unsubscribe_url,
        greeting_name=greeting_name(signature),
        signature=signature,
    )


def build_test_email(update: Update, *, language: str, to: str) -> AnymailMessage:
    """The update as a signer in `language` would get it, to the organizer:
    its links lead to the privacy page, since no signature is theirs."""
    with translation.override(language):
        placeholder = absolute_url(reverse("signatures:privacy"))
        prefix = _("[Test]") + " "
    return _message(
        update,
        language=language,
        to=to,
        manage_url=placeholder,
        unsubscribe_url=placeholder,
        subject_prefix=prefix,
    )
