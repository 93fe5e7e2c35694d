"""Events emitted as signatures change: one Delivery row per receiver,
written in the transaction of the change, and its task queued so that it
runs only once that change commits. A change rolled back sends nothing; a
receiver that is down or slow never holds up or fails the change itself,
which only writes rows here.

The services of signatures/ call these at each change; another feature
calls `emit_event` for events of its own (EventType.UPDATE_SENT).
"""

import logging
from collections.abc import Iterable
from functools import partial
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks_db import DatabaseBackend

from crm.models import (
    TEST_EVENT,
    ActionNetworkTarget,
    Delivery,
    EventType,
    WebhookEndpoint,
    new_event_id,
)
from crm.payloads import action_network_body, petition_data, signature_data
from petition.models import Petition
from signatures.models import Signature

logger = logging.getLogger(__name__)

# An erased signature's deliveries keep only this of what they were to send.
ERASED_PAYLOAD = {"erased": True}


def _active_endpoints() -> list[WebhookEndpoint]:
    # A handful of rows, read once per change (or batch of changes) and
    # filtered here: the same on SQLite and PostgreSQL.
    return list(WebhookEndpoint.objects.filter(is_active=True))


def _listening(
    endpoints: list[WebhookEndpoint], event_type: str, petition_id: int | None
) -> list[WebhookEndpoint]:
    return [
        endpoint
        for endpoint in endpoints
        if event_type in endpoint.events
        and (endpoint.petition_id is None or endpoint.petition_id == petition_id)
    ]


def anyone_listens(*event_types: str) -> bool:
    """Whether any receiver wants one of these events: with none, a change
    costs one or two small queries and nothing more."""
    subscribed = WebhookEndpoint.objects.filter(is_active=True).values_list(
        "events", flat=True
    )
    if any(set(event_types) & set(events) for events in subscribed):
        return True
    return (
        EventType.SIGNATURE_CONFIRMED in event_types
        and ActionNetworkTarget.objects.filter(is_active=True).exists()
    )


def _queue(deliveries: list[Delivery]) -> None:
    from crm.delivery import deliver  # the task's module imports this one

    ids = [delivery.pk for delivery in deliveries]
    if isinstance(deliver.get_backend(), DatabaseBackend):
        # The task rows commit with the change, or not at all.
        for pk in ids:
            deliver.enqueue(delivery_id=pk)
    else:
        for pk in ids:
            transaction.on_commit(partial(deliver.enqueue, delivery_id=pk))


def _envelope(event_type: str, data: dict) -> dict:
    """The Standard Webhooks payload: type, timestamp, data."""
    return {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}


def emit_event(
    *,
    type: str,  # the Standard Webhooks name
    petition: Petition | None,
    data: dict,
    signature_public_id: UUID | None = None,
    event_id: str = "",
) -> int:
    """Send `data` as a `type` event to every active endpoint that listens
    for it (on `petition`, or on every petition). Call it inside the
    transaction of the change it reports. Returns how many deliveries were
    queued; an `event_id` already emitted queues none."""
    return _emit(
        _active_endpoints(),
        event_type=type,
        petition_id=petition.pk if petition else None,
        data=data,
        signature_public_id=signature_public_id,
        event_id=event_id,
    )


def _emit(
    active: list[WebhookEndpoint],
    *,
    event_type: str,
    petition_id: int | None,
    data: dict,
    signature_public_id: UUID | None,
    event_id: str,
) -> int:
    endpoints = _listening(active, event_type, petition_id)
    if not endpoints:
        return 0
    if event_id and Delivery.objects.filter(event_id=event_id).exists():
        return 0  # emitted already, by a task run before this one
    event_id = event_id or new_event_id()
    payload = _envelope(event_type, data)
    with transaction.atomic():
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                endpoint=endpoint,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                signature_public_id=signature_public_id,
            )
            for endpoint in endpoints
        )
        _queue(deliveries)
    return len(deliveries)


def send_test_event(*, endpoint: WebhookEndpoint) -> Delivery:
    """A `webhook.test` event to this one endpoint, active or not."""
    with transaction.atomic():
        delivery = Delivery.objects.create(
            endpoint=endpoint,
            event_id=new_event_id(),
            event_type=TEST_EVENT,
            payload=_envelope(TEST_EVENT, {"endpoint": endpoint.url}),
        )
        _queue([delivery])
    return delivery


def _to_action_network(signature: Signature, event_id: str) -> None:
    target = ActionNetworkTarget.objects.filter(
        petition_id=signature.petition_id, is_active=True
    ).first()
    if target is None or (target.only_with_consent and not signature.wants_updates):
        return
    if not signature.email:
        return  # a paper signer without one: Action Network files people by it
    if Delivery.objects.filter(action_network=target, event_id=event_id).exists():
        return
    delivery = Delivery.objects.create(
        action_network=target,
        event_id=event_id,
        event_type=EventType.SIGNATURE_CONFIRMED,
        payload=action_network_body(signature, tags=target.tags),
        signature_public_id=signature.public_id,
    )
    _queue([delivery])


def _event_seed(event_type: str, signature: Signature) -> str:
    """Created and confirmed happen once per signature (confirmed again only
    after a withdrawal, at another time): a task that runs twice emits them
    once."""
    if event_type == EventType.SIGNATURE_CREATED:
        return f"{signature.public_id}:created"
    if event_type == EventType.SIGNATURE_CONFIRMED and signature.confirmed_at:
        return f"{signature.public_id}:confirmed:{signature.confirmed_at.isoformat()}"
    return ""


def signature_event(
    event_type: str,
    signature: Signature,
    *,
    active: list[WebhookEndpoint] | None = None,
) -> None:
    """Report one signature's change, as it now stands (to `active`, the
    active endpoints when already read for a batch)."""
    seed = _event_seed(event_type, signature)
    event_id = new_event_id(seed)
    with transaction.atomic():
        _emit(
            _active_endpoints() if active is None else active,
            event_type=event_type,
            petition_id=signature.petition_id,
            data={
                "signature": signature_data(signature),
                "petition": petition_data(signature.petition),
            },
            signature_public_id=signature.public_id,
            # Checked for an earlier emission only when it names the change.
            event_id=event_id if seed else "",
        )
        if event_type == EventType.SIGNATURE_CONFIRMED:
            _to_action_network(signature, event_id)


def watched_ids(event_type: str, signatures: QuerySet[Signature]) -> list[int]:
    """The keys of `signatures` when someone listens for `event_type`, else
    none: taken before an update changes which rows the query matches."""
    if not anyone_listens(event_type):
        return []
    return list(signatures.values_list("pk", flat=True))


def signatures_event(event_type: str, ids: Iterable[int]) -> None:
    """Report each of these signatures' change, as they now stand."""
    active = _active_endpoints()
    for signature in Signature.objects.filter(pk__in=list(ids)).select_related(
        "petition", "referred_by", "updates_consent_text"
    ):
        signature_event(event_type, signature, active=active)


def signatures_erased(signatures: QuerySet[Signature]) -> None:
    """Before `signatures` are deleted: an erase event for each, with no
    personal data (its public id, which no one can look up any more), and
    their earlier deliveries emptied of what they held about the signer;
    those not yet sent are cancelled."""
    erased = list(signatures.values_list("public_id", "petition_id"))
    if not erased:
        return
    deliveries_forget([public_id for public_id, _petition in erased])
    if not anyone_listens(EventType.SIGNATURE_ERASED):
        return
    active = _active_endpoints()
    petitions = Petition.objects.in_bulk({petition for _id, petition in erased})
    for public_id, petition_id in erased:
        _emit(
            active,
            event_type=EventType.SIGNATURE_ERASED,
            petition_id=petition_id,
            data={
                "signature": {"id": str(public_id)},
                "petition": petition_data(petitions[petition_id]),
            },
            signature_public_id=None,
            event_id="",
        )


def deliveries_forget(public_ids: list[UUID]) -> None:
    """The delivery log forgets these signatures' personal data (erased or
    anonymised): what was sent is emptied, what waits is cancelled."""
    for chunk in _chunks(public_ids, 500):
        earlier = Delivery.objects.filter(signature_public_id__in=chunk)
        earlier.filter(status__in=Delivery.WAITING).update(
            status=Delivery.Status.CANCELLED,
            last_error="The signature's personal data was removed.",
        )
        earlier.update(payload=ERASED_PAYLOAD)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def safely(report, *args) -> None:
    """Run a report where a failure must not stop the work around it (a
    signer's first email): logged, never raised."""
    try:
        with transaction.atomic():
            report(*args)
    except Exception:
        logger.exception("Webhook events not recorded for this change")


def signature_created(signature: Signature) -> None:
    """A new signature; confirmed too when its petition counted it at once."""
    if not anyone_listens(EventType.SIGNATURE_CREATED, EventType.SIGNATURE_CONFIRMED):
        return
    signature_event(EventType.SIGNATURE_CREATED, signature)
    if signature.is_counted:
        signature_event(EventType.SIGNATURE_CONFIRMED, signature)


def requeue(deliveries: QuerySet[Delivery]) -> int:
    """Send these again (those not on their way already), as new: an
    organizer's retry after mending the receiver."""
    with transaction.atomic():
        again = [
            delivery
            for delivery in deliveries.exclude(status__in=Delivery.WAITING)
            # An erased signer's: nothing left to send.
            if delivery.payload != ERASED_PAYLOAD
        ]
        Delivery.objects.filter(pk__in=[d.pk for d in again]).update(
            status=Delivery.Status.PENDING, attempts=0, next_attempt_at=None
        )
        _queue(again)
    return len(again)
