"""Sending one delivery: signed as the Standard Webhooks specification says
(or with Action Network's API key), retried with growing delays, and the
receiver switched off, its organizers told, once it has failed for
WEBHOOKS_DISABLE_AFTER_HOURS without a single success."""

import json
import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from standardwebhooks import Webhook

from crm import safe_http
from crm.models import TEST_EVENT, ActionNetworkTarget, Delivery, WebhookEndpoint
from crm.notices import tell_organizers_switched_off

logger = logging.getLogger(__name__)

ACTION_NETWORK_API = "https://actionnetwork.org/api/v2/"


def _now() -> datetime:
    """The clock, one place for tests to pin it."""
    return timezone.now()


def retry_delay(attempt: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min, about 2 h, then every 6 h: quick for a
    blip, patient for an outage, and never a flood on a receiver that is
    coming back."""
    return min(timedelta(seconds=30 * 4 ** (attempt - 1)), timedelta(hours=6))


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":")).encode()


def signed_headers(
    *, secret: str, event_id: str, body: bytes, at: datetime
) -> dict[str, str]:
    """webhook-id, webhook-timestamp and webhook-signature: an HMAC-SHA256
    with the endpoint's secret over "{id}.{timestamp}.{body}"."""
    # The library reads the time as UTC whatever its zone says: give it UTC.
    at = at.astimezone(UTC)
    signature = Webhook(secret).sign(msg_id=event_id, timestamp=at, data=body.decode())
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def action_network_url(target: ActionNetworkTarget) -> str:
    base = settings.ACTION_NETWORK_API_URL or ACTION_NETWORK_API
    return f"{base.rstrip('/')}/petitions/{target.action_network_petition}/signatures/"


def _send(delivery: Delivery, at: datetime) -> safe_http.Answer:
    body = body_of(delivery)
    if delivery.endpoint is not None:
        endpoint = delivery.endpoint
        return safe_http.post(
            endpoint.url,
            body=body,
            headers=signed_headers(
                secret=endpoint.secret, event_id=delivery.event_id, body=body, at=at
            ),
        )
    target = delivery.action_network
    if target is None:
        raise ValueError("A delivery without a receiver")  # the check forbids it
    return safe_http.post(
        action_network_url(target),
        body=body,
        headers={"OSDI-API-Token": target.api_key or settings.ACTION_NETWORK_API_KEY},
    )


@task(queue_name="webhooks")
def deliver(delivery_id: int) -> None:
    """Send one delivery, once; a failure is recorded, and retried by a new
    task, never raised: the task itself succeeds either way."""
    delivery = (
        Delivery.objects.select_related("endpoint", "action_network")
        .filter(pk=delivery_id, status__in=Delivery.WAITING)
        .first()
    )
    if delivery is None:
        return  # sent, cancelled or erased since
    receiver = delivery.receiver
    is_test = delivery.event_type == TEST_EVENT
    if not receiver.is_active and not is_test:
        delivery.status = Delivery.Status.CANCELLED
        delivery.last_error = "The receiver was switched off."
        delivery.save(update_fields=["status", "last_error"])
        return
    at = _now()
    delivery.attempts += 1
    delivery.last_attempt_at = at
    delivery.next_attempt_at = None
    try:
        answer = _send(delivery, at)
    except safe_http.AddressRefused as refused:
        _failed(delivery, code=None, error=f"Refused: {refused}", at=at)
        return
    except OSError as error:
        _failed(delivery, code=None, error=f"{type(error).__name__}: {error}", at=at)
        return
    if 200 <= answer.status < 300:
        _succeeded(delivery, code=answer.status, at=at)
    else:
        _failed(
            delivery,
            code=answer.status,
            error=f"HTTP {answer.status}: {' '.join(answer.text.split())}",
            at=at,
        )


_LOGGED = [
    "status",
    "attempts",
    "last_attempt_at",
    "next_attempt_at",
    "last_response_code",
    "last_error",
    "delivered_at",
]


def _succeeded(delivery: Delivery, *, code: int, at: datetime) -> None:
    delivery.status = Delivery.Status.DELIVERED
    delivery.last_response_code = code
    delivery.last_error = ""
    delivery.delivered_at = at
    with transaction.atomic():
        delivery.save(update_fields=_LOGGED)
        type(delivery.receiver).objects.filter(pk=delivery.receiver.pk).update(
            failing_since=None
        )


def _failed(delivery: Delivery, *, code: int | None, error: str, at: datetime) -> None:
    delivery.last_response_code = code
    delivery.last_error = error[:300]
    receiver = delivery.receiver
    model = type(receiver)
    with transaction.atomic():
        receiver = model.objects.select_for_update().get(pk=receiver.pk)
        failing_since = receiver.failing_since or at
        if receiver.failing_since is None:
            model.objects.filter(pk=receiver.pk).update(failing_since=at)
        give_up_receiver = receiver.is_active and at - failing_since >= timedelta(
            hours=settings.WEBHOOKS_DISABLE_AFTER_HOURS
        )
        can_retry = (
            not give_up_receiver
            and delivery.event_type != TEST_EVENT
            and delivery.attempts < settings.WEBHOOKS_DELIVERY_ATTEMPTS
            and deliver.get_backend().supports_defer
        )
        if can_retry:
            delivery.status = Delivery.Status.RETRYING
            delivery.next_attempt_at = at + retry_delay(delivery.attempts)
            deliver.using(run_after=delivery.next_attempt_at).enqueue(
                delivery_id=delivery.pk
            )
        else:
            delivery.status = Delivery.Status.FAILED
        delivery.save(update_fields=_LOGGED)
        if give_up_receiver:
            _switch_off(receiver, since=failing_since, at=at, error=error)
    logger.warning(
        "Delivery %s (%s) to %s %s failed, attempt %s: %s%s",
        delivery.pk,
        delivery.event_type,
        model.__name__,
        receiver.pk,
        delivery.attempts,
        error[:120],
        "; will retry" if can_retry else "",
    )


def _switch_off(
    receiver: WebhookEndpoint | ActionNetworkTarget,
    *,
    since: datetime,
    at: datetime,
    error: str,
) -> None:
    """Off, with the reason; what was still waiting for it is failed, and
    the organizers are told once the switch commits."""
    hours = settings.WEBHOOKS_DISABLE_AFTER_HOURS
    reason = f"Every delivery failed for {hours} hours (since {since:%Y-%m-%d %H:%M} UTC); last: {error}"[
        :200
    ]
    type(receiver).objects.filter(pk=receiver.pk).update(
        is_active=False, disabled_at=at, disabled_reason=reason
    )
    receiver.deliveries.filter(status__in=Delivery.WAITING).update(
        status=Delivery.Status.FAILED, next_attempt_at=None
    )
    logger.error("%s %s switched off: %s", type(receiver).__name__, receiver.pk, reason)
    transaction.on_commit(lambda: tell_organizers_switched_off(receiver, reason=reason))


def switch_on(receivers) -> int:
    """Back on, as if new: its failures forgotten."""
    return receivers.update(
        is_active=True, disabled_at=None, disabled_reason="", failing_since=None
    )
