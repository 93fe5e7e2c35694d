"""Every email the site sends, each from a subject/text/html template triplet
under templates/emails/, in the signer's language."""

import contextlib
import copy
import dataclasses
import smtplib
import threading
import time
from email.utils import parseaddr
from enum import StrEnum

from anymail.message import AnymailMessage
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.context_processors import site_name
from core.ratelimits import take_one
from petition.models import Organizer
from signatures.models import HeldSubmission, Signature
from signatures.sharing import tagged_url
from signatures.tokens import confirmation_token, manage_token


class EmailKind(StrEnum):
    CONFIRM = "confirm_signature"
    ALREADY_SIGNED = "already_signed"
    THANKS = "signature_counted"


# What a phone's inbox shows of a subject before cutting it off.
SUBJECT_MAX_CHARS = 60


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


def one_line(text: str) -> str:
    # One line, whatever a template or a petition title holds.
    return " ".join(text.split())


def _shortened(title: str, room: int) -> str:
    """The title cut after a whole word to fit `room` characters, with an
    ellipsis; a first word longer than that is cut inside."""
    if len(title) <= room:
        return title
    cut = title[: max(room - 1, 0)]
    if title[len(cut)] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" :;,.–—-«“\"'’(") + "…"


def _subject(kind: "EmailKind", context: dict) -> str:
    """The subject from its template, the petition's title shortened when
    the whole would not fit a phone's inbox."""
    template = f"emails/{kind}.subject.txt"
    subject = one_line(render_to_string(template, context))
    if len(subject) <= SUBJECT_MAX_CHARS:
        return subject
    text = context["text"]
    title = one_line(text.title)
    room = SUBJECT_MAX_CHARS - (len(subject) - len(title))
    short = dataclasses.replace(text, title=_shortened(title, room))
    return one_line(render_to_string(template, {**context, "text": short}))


# Longer than any given name: a greeting would then be something else typed
# into the form, and the generic one is used.
GREETING_NAME_MAX_CHARS = 30


def greeting_name(signature: Signature) -> str:
    """The first name only. Whoever signs types the name, and may type
    someone else's address: the email then carries one short word of theirs
    (the name rules keep web addresses out), never the rest."""
    name = signature.first_name
    return name if len(name) <= GREETING_NAME_MAX_CHARS else ""


def sender(language: str, organizer: Organizer | None) -> str:
    """The site's name in the signer's language, after the organizer's
    ("Name via Site"), at DEFAULT_FROM_EMAIL's address (a name configured
    with it gives way to these): only the display name is the organizer's,
    never the address, so the mail still passes the site's SPF and DKIM."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = site_name(language)
    if organizer is not None:
        with translation.override(language):
            name = _("%(organizer)s via %(site)s") % {
                "organizer": one_line(organizer.name),
                "site": name,
            }
    name = name.replace("\\", "\\\\").replace('"', '\\"')
    # Quoted: a comma in the name would otherwise read as a second address.
    return f'"{name}" <{address or settings.DEFAULT_FROM_EMAIL}>'


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
    language = signature.language or settings.LANGUAGE_CODE
    with translation.override(language):
        petition_text = petition.text(language)
        context = {
            "signature": signature,
            "greeting_name": greeting_name(signature),
            "petition": petition,
            "text": petition_text,
            "petition_url": absolute_url(petition.get_absolute_url()),
            "confirm_url": absolute_url(
                reverse("signatures:confirm", args=[confirm_token])
            ),
            "manage_url": absolute_url(
                reverse("signatures:manage", args=[manage_token(signature)])
            ),
            "site_name": site_name(),
            "organizer": petition_text.organizer,
        }
        # The link to share carries the channel and the signer's own public
        # referral code (never who they are), so organizers can see which
        # signers brought others (signatures/dashboard.py).
        context["share_url"] = tagged_url(
            absolute_url(petition.get_absolute_url()),
            source="email",
            ref=signature.referral_code or "",
        )
        unsubscribe_url = absolute_url(
            reverse("signatures:unsubscribe", args=[manage_token(signature)])
        )
        subject = _subject(kind, context)
        text = render_to_string(f"emails/{kind}.txt", context)
        html = render_to_string(f"emails/{kind}.html", context)
    message = AnymailMessage(
        subject=subject,
        body=text,
        from_email=sender(language, petition_text.organizer),
        # Exactly one address, whatever the mail backend: the form stores no
        # other, and one stored some other way with a line break or a second
        # address in it raises ValueError here, as SMTP would when sending.
        to=[sanitize_address(signature.email, settings.DEFAULT_CHARSET)],
        # One-click unsubscribe (RFC 8058), offered by the mail program itself.
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        # For an email provider (Anymail; SMTP ignores both): the signature
        # the message is about, given back by the provider's webhook, and the
        # kind of email for its reports. Never the address: providers show
        # tags and metadata in dashboards, and a bounce is matched by its
        # recipient.
        metadata={"signature": str(signature.public_id)},
        tags=[kind.value],
    )
    message.attach_alternative(html, "text/html")
    return message


# One mail connection per thread (an email worker's), kept open across emails:
# a new SMTP session per email costs its connect, greeting, EHLO, STARTTLS and
# login, several round trips to a provider across the network; an email
# provider's API (Anymail) keeps its HTTPS connection in the same way.
#
# Not the provider's batch sending. What Anymail offers is one message to
# many recipients with `merge_data`: the provider renders one subject and body
# for all, filling in each recipient's values in its own template language
# (at Postmark and Amazon SES only from a template stored with the provider,
# `template_id`; Anymail refuses merge_data without one). Each email here is
# rendered by our own templates for one signer: their language, the title cut
# to fit, their name, their own signed confirm, manage and unsubscribe links
# (a header), and for a repeat submission what it typed. Batching would move
# these templates, their escaping and translations into five providers'
# template dialects (and two providers' dashboards), and turn one task per
# email into one API call for many, whose failures must be split back per
# task. Anymail has no call that carries several distinct messages in one
# request: send_messages() makes one API call per message. So each email is
# one API call, on a kept connection. Campaign updates, one text for many,
# are where batch sending fits.
_kept = threading.local()
# Mail servers drop a session idle for long (RFC 5321 asks them to wait at
# least 5 minutes); a quieter connection is replaced before it is used.
KEEP_IDLE_SECONDS = 60


def _backend_settings() -> tuple:
    """What a kept connection was opened with: the backend (SMTP, or the
    email provider's Anymail backend, which keeps an HTTP session to its API)
    and where it sends."""
    return (
        settings.EMAIL_BACKEND,
        settings.EMAIL_HOST,
        settings.EMAIL_PORT,
        settings.EMAIL_HOST_USER,
        repr(getattr(settings, "ANYMAIL", None)),
    )


def _kept_connection() -> tuple:
    """This thread's mail connection, and whether it was kept from an
    earlier email (rather than opened now)."""
    kept = getattr(_kept, "connection", None)
    if (
        kept is not None
        and _kept.settings == _backend_settings()
        and time.monotonic() - _kept.used_at < KEEP_IDLE_SECONDS
    ):
        return kept, True
    forget_kept_connection()
    connection = get_connection(fail_silently=False)
    # Opened here, so that sending leaves it open for the next email.
    connection.open()
    _kept.connection, _kept.settings = connection, _backend_settings()
    _kept.used_at = time.monotonic()
    return connection, False


def forget_kept_connection() -> None:
    """Close this thread's mail connection; the next email opens a new one."""
    kept = getattr(_kept, "connection", None)
    _kept.connection = None
    if kept is not None:
        with contextlib.suppress(Exception):  # already broken: nothing to close
            kept.close()


def wait_for_send_slot() -> None:
    """Return once one more email keeps every worker together within
    EMAIL_MAX_PER_SECOND in this calendar second; until then, wait for the
    next second. A backlog is spread out, never refused.

    The count per second lives in the cache: Redis in production, shared by
    every worker on every host (the local-memory cache counts per process)."""
    limit = settings.EMAIL_MAX_PER_SECOND
    if not limit:
        return
    # With the cache down the slot is given (and the outage logged): sending
    # on is better than stalling every email; a provider over its rate
    # answers 4xx, and that send is retried.
    while not take_one(group="email-send", key="all", rate=f"{limit}/s"):
        now = time.time()
        time.sleep(int(now) + 1 - now)


def send_signature_email(
    signature: Signature, kind: EmailKind, *, submission: HeldSubmission | None = None
) -> None:
    send_message(build_signature_email(signature, kind, submission=submission))


def send_message(message: EmailMultiAlternatives) -> None:
    """Send on this thread's kept connection, within EMAIL_MAX_PER_SECOND."""
    for last_try in (False, True):
        message.connection, kept = _kept_connection()
        wait_for_send_slot()
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPServerDisconnected as error:
            forget_kept_connection()
            # A kept session the server closed since the last email: once
            # more on a new one. Not after a time-out (smtplib reports it as
            # a disconnection too): a slow server may have taken the message
            # and be late to say so, and sending it again at once would send
            # it twice; the task's own retry, minutes later, sends it then.
            if last_try or not kept or isinstance(error.__context__, TimeoutError):
                raise
            continue
        except BaseException:
            # A refusal leaves the session in a state we cannot know.
            forget_kept_connection()
            raise
        _kept.used_at = time.monotonic()
        return


# --- To the organizers ---------------------------------------------------------


def send_organizer_notice(
    *, template: str, context: dict, recipients: list[str]
) -> None:
    """An email to the site's organizers (emails/<template>.subject.txt,
    .txt, .html), in the site's language: about the site, not a signer."""
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {"site_name": site_name(), **context}
        subject = one_line(render_to_string(f"emails/{template}.subject.txt", context))
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender(settings.LANGUAGE_CODE, None),
        to=recipients,
    )
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
