import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from signatures import emails
from signatures.models import Signature

logger = logging.getLogger(__name__)


def retry_delay(attempt: int) -> timedelta:
    """1, 5, 25, 125 ... minutes: quick for a blip, patient for an outage."""
    return timedelta(minutes=5 ** (attempt - 1))


@task(queue_name="email")
def send_signature_email(signature_id: int, kind: str, attempt: int = 1) -> None:
    signature = (
        Signature.objects.select_related("petition").filter(pk=signature_id).first()
    )
    if signature is None:
        return  # erased since: nothing to send
    try:
        emails.send_signature_email(signature, emails.EmailKind(kind))
    except OSError as error:  # smtplib's errors and network failures alike
        # A refused recipient stays refused; anything else may pass later.
        can_retry = (
            not isinstance(error, smtplib.SMTPRecipientsRefused)
            and attempt < settings.EMAIL_SEND_ATTEMPTS
            and send_signature_email.get_backend().supports_defer
        )
        logger.warning(
            "Sending %s email for signature %s failed (attempt %s)%s",
            kind,
            signature_id,
            attempt,
            "; will retry" if can_retry else "",
            exc_info=True,
        )
        if can_retry:
            send_signature_email.using(
                run_after=timezone.now() + retry_delay(attempt)
            ).enqueue(signature_id=signature_id, kind=kind, attempt=attempt + 1)
        raise
