"""What the email provider's tracking webhook reports (EMAIL_PROVIDER): a hard
bounce or a spam complaint marks the address undeliverable, and nothing more
is sent to it. Anymail's own view checks the webhook's credentials and turns
each provider's payload into a `tracking` signal; this module listens.

The event is matched by its recipient address, canonical as signatures store
it, so every signature with that address is marked, on every petition. The
signature named in the message's metadata goes in the log, to tie the report
to the email it is about.
"""

import logging
import uuid

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from django.dispatch import receiver

from signatures.models import Signature
from signatures.services.email import signatures_mark_undeliverable

logger = logging.getLogger(__name__)

Undeliverable = Signature.Undeliverable

# "rejected": the provider refused to send. Marked only when it says why and
# the reason is the address's: a hard bounce or a complaint it recorded
# earlier (whose own webhook we may have missed), or an address it finds
# invalid. Not when it blocked the message for policy, content or our own
# reputation (the next email may go), nor for an unsubscription at the
# provider, a time-out or an unknown reason.
_REJECTED_FOR = {
    RejectReason.BOUNCED: Undeliverable.BOUNCED,
    RejectReason.INVALID: Undeliverable.BOUNCED,
    RejectReason.SPAM: Undeliverable.COMPLAINED,
}


def _hard_bounce(event: AnymailTrackingEvent, esp_name: str) -> bool:
    """Anymail reports a bounce as "bounced"; some providers call a temporary
    failure a bounce too, and only their own event says which it was. A full
    mailbox or a greylisting server must not lose a signer their emails."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp_name == "Postmark":  # SoftBounce, VirusNotification: not the address
        return "HardBounce" in (raw.get("Type"), raw.get("SuppressionReason"))
    if esp_name == "Brevo":  # soft_bounce: a full mailbox, a missing MX
        return raw.get("event") in {"hard_bounce", "invalid_email"}
    if esp_name == "Amazon SES":  # Transient or Undetermined: not for good
        return (raw.get("bounce") or {}).get("bounceType") == "Permanent"
    if esp_name == "SendGrid":  # "blocked": refused for now, not the address
        return raw.get("type", "bounce") == "bounce"
    if esp_name == "Mailgun":
        # A permanent failure for a bounce, or for an address already on its
        # bounce list; not one for an unsubscription at Mailgun, a message
        # that expired after temporary failures ("old"), Mailgun's own block
        # ("espblock") or another refusal ("generic"). Temporary failures are
        # "deferred", never "bounced".
        return event.reject_reason == RejectReason.BOUNCED
    return True


def _complaint(event: AnymailTrackingEvent, esp_name: str) -> bool:
    """The signer marked our email as spam. Anymail also reports Postmark's
    SpamNotification as a complaint: the receiving server's spam filter
    flagged one message, the person did nothing (Postmark keeps the address
    active), and the next email may well arrive."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp_name == "Postmark":
        return raw.get("Type") == "SpamComplaint"
    return True


def undeliverable_reason(event: AnymailTrackingEvent, esp_name: str) -> str:
    """Why this event makes the address undeliverable, or "" if it does not."""
    if event.event_type == EventType.COMPLAINED:
        return Undeliverable.COMPLAINED if _complaint(event, esp_name) else ""
    if event.event_type == EventType.BOUNCED and _hard_bounce(event, esp_name):
        return Undeliverable.BOUNCED
    if event.event_type == EventType.REJECTED:
        return _REJECTED_FOR.get(event.reject_reason, "")
    return ""


def _signature_named(event: AnymailTrackingEvent) -> uuid.UUID | None:
    """The public id of the signature the message was about, which we send
    as its metadata (see emails.py) and the provider gives back: for the
    log, which never holds the address."""
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    try:
        return uuid.UUID(str(metadata.get("signature")))
    except ValueError:
        return None


@receiver(tracking, dispatch_uid="signatures.bounces")
def mark_undeliverable(
    sender, event: AnymailTrackingEvent, esp_name: str, **kwargs
) -> None:
    reason = undeliverable_reason(event, esp_name)
    if not reason:
        return  # delivered, opened, deferred, a soft bounce...
    if not event.recipient:
        logger.warning("%s reported %s for no address", esp_name, event.event_type)
        return
    marked = signatures_mark_undeliverable(email=event.recipient, reason=reason)
    logger.info(
        "%s reported %s (signature %s): %s signatures marked undeliverable",
        esp_name,
        event.event_type,
        _signature_named(event) or "not named",
        marked,
    )
