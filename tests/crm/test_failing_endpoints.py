"""A receiver that fails: signing goes on, deliveries are retried with
growing delays, and after a day of failures the receiver is switched off
and the organizers told."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from crm import delivery as sending
from crm.delivery import deliver
from crm.models import Delivery, WebhookEndpoint
from signatures.models import Signature
from signatures.services.self_service import signature_withdraw
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.crm.conftest import types_received
from tests.factories import SignatureFactory
from tests.servers import free_port
from tests.signing import form_data

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch) -> list[datetime]:
    now = [STARTED]
    monkeypatch.setattr(sending, "_now", lambda: now[0])
    return now


@pytest.fixture
def organizer_with_email(organizers_group) -> User:
    user = User.objects.create_user(
        "org@example.org", email="org@example.org", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Organizers"))
    return user


def test_signing_succeeds_while_the_endpoint_is_down(
    client, mailoutbox, django_capture_on_commit_callbacks, seed_campaign
):
    WebhookEndpoint.objects.create(url=f"http://127.0.0.1:{free_port()}/nobody")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/en/p/{SEED_SLUG}/sign/", form_data())

    assert response.status_code == 302
    assert Signature.objects.count() == 1
    assert len(mailoutbox) == 1  # the confirmation email went all the same
    logged = Delivery.objects.get()
    assert logged.event_type == "signature.created"
    assert logged.attempts == 1
    assert logged.last_response_code is None
    assert "Connection" in logged.last_error


def test_a_failing_endpoint_is_retried_later_and_later_then_switched_off_after_a_day(
    settings,
    clock,
    endpoint,
    receiver,
    mailoutbox,
    organizer_with_email,
    django_capture_on_commit_callbacks,
):
    settings.TASKS = DATABASE_QUEUE
    receiver.status = 500
    signature_withdraw(signature=SignatureFactory())
    delivery = Delivery.objects.get()

    delays = []
    while True:
        with django_capture_on_commit_callbacks(execute=True):
            deliver.call(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        if delivery.status != Delivery.Status.RETRYING:
            break
        delays.append(delivery.next_attempt_at - clock[0])
        # Queued again, to run no sooner than that.
        queued = DBTaskResult.objects.filter(task_path=deliver.module_path).latest(
            "enqueued_at"
        )
        assert queued.run_after == delivery.next_attempt_at
        clock[0] = delivery.next_attempt_at

    assert delays[:5] == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=8),
        timedelta(minutes=32),
        timedelta(minutes=128),
    ]
    assert all(later >= earlier for earlier, later in pairwise(delays))
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_response_code == 500
    assert len(receiver.received) == delivery.attempts == len(delays) + 1
    assert clock[0] - STARTED >= timedelta(hours=24)
    assert clock[0] - STARTED - delays[-1] < timedelta(hours=24)

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at == clock[0]
    assert "24 hours" in endpoint.disabled_reason
    [notice] = mailoutbox
    assert notice.to == ["org@example.org"]
    assert notice.subject == f"Switched off: {endpoint.url}"
    assert f"/admin/crm/webhookendpoint/{endpoint.pk}/change/" in notice.body


def test_an_endpoint_that_answers_again_is_no_longer_failing(
    settings, clock, endpoint, receiver
):
    settings.TASKS = DATABASE_QUEUE
    receiver.status = 503
    signature_withdraw(signature=SignatureFactory())
    delivery = Delivery.objects.get()
    deliver.call(delivery_id=delivery.pk)
    endpoint.refresh_from_db()
    assert endpoint.failing_since == STARTED

    receiver.status = 200
    clock[0] += timedelta(seconds=30)
    deliver.call(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.attempts == 2
    assert delivery.last_response_code == 200
    assert endpoint.failing_since is None
    assert endpoint.is_active
    assert types_received(receiver) == ["signature.withdrawn"] * 2
    # Each attempt signed afresh, under the same message id.
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]


def test_a_delivery_already_made_is_not_made_again(settings, endpoint, receiver):
    settings.TASKS = DATABASE_QUEUE
    signature_withdraw(signature=SignatureFactory())
    delivery = Delivery.objects.get()

    deliver.call(delivery_id=delivery.pk)
    deliver.call(delivery_id=delivery.pk)

    assert len(receiver.received) == 1


def test_the_delivery_log_is_pruned_after_its_days_but_waiting_ones_stay(
    settings, endpoint, receiver
):
    settings.TASKS = DATABASE_QUEUE
    for _ in range(2):
        signature_withdraw(signature=SignatureFactory())
    sent, waiting = Delivery.objects.order_by("pk")
    deliver.call(delivery_id=sent.pk)
    Delivery.objects.update(created_at=STARTED - timedelta(days=31))

    call_command("prune_deliveries", "--days", "30", stdout=StringIO())

    assert list(Delivery.objects.all()) == [waiting]


def run_queued(queue_name: str) -> int:
    """The tasks of one queue ready now, run as the worker runs them."""
    ready = DBTaskResult.objects.filter(
        queue_name=queue_name, status=TaskResultStatus.READY
    )
    count = 0
    for result in ready:
        result.status = TaskResultStatus.SUCCESSFUL
        result.save(update_fields=["status"])
        import_string(result.task_path).call(
            *result.args_kwargs["args"], **result.args_kwargs["kwargs"]
        )
        count += 1
    return count


def test_with_the_workers_queue_the_request_sends_nothing_itself(
    settings, client, endpoint, receiver, seed_campaign
):
    settings.TASKS = DATABASE_QUEUE

    response = client.post(f"/en/p/{SEED_SLUG}/sign/", form_data())

    assert response.status_code == 302
    assert receiver.received == []
    assert run_queued("email") == 1  # the signer's email, and the event written
    assert receiver.received == []
    assert run_queued("webhooks") == 1
    assert types_received(receiver) == ["signature.created"]
