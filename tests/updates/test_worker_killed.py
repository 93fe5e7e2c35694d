"""A worker process killed (SIGKILL) in the middle of sending an update: the
next worker sends the rest, and nobody gets it twice. What the dead worker
was sending at that moment is marked interrupted, never sent again: the mail
server may have taken it."""

import os
import signal
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.backing_services import MailServer, wait_until
from tests.conftest import DATABASE_QUEUE
from tests.figures import report
from tests.servers import start_worker, stop_worker, worker_env
from tests.updates.conftest import POSTAL_ADDRESS, consenting
from updates.models import Update, UpdateDelivery
from updates.services import update_send

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 12


@pytest.fixture
def slow_mail_server():
    server = MailServer()
    server.delay = 0.3  # each message answered late, as across a network
    server.start()
    yield server
    server.close()


def test_an_update_cut_off_by_a_killed_worker_is_finished_without_duplicates(
    settings, slow_mail_server, update, django_capture_on_commit_callbacks
):
    if connection.vendor != "postgresql":
        pytest.skip("a worker in another process needs a database it can share")
    settings.TASKS = DATABASE_QUEUE
    settings.UPDATE_SEND_CHAINS = 2
    for n in range(RECIPIENTS):
        consenting(update.petition, email=f"s{n:02}@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        update_send(update=update, user=None)
    env = worker_env(
        slow_mail_server.port,
        ORGANIZER_POSTAL_ADDRESS=POSTAL_ADDRESS,
        UPDATE_SEND_BATCH="3",
        EMAIL_WORKER_THREADS="4",
    )

    worker = start_worker("run_worker", env)
    try:
        started = wait_until(lambda: len(slow_mail_server.received) >= 3, timeout=30)
        assert started, "the worker never got as far as sending"
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.communicate()
    cut_off = UpdateDelivery.objects.filter(status="sending").count()
    assert UpdateDelivery.objects.filter(status="pending").exists()

    # Long enough later that nothing the dead worker began can still be
    # under way: its tasks look stalled, its claims old.
    long_ago = timezone.now() - timedelta(
        seconds=settings.TASK_STALLED_AFTER_SECONDS + 1
    )
    DBTaskResult.objects.filter(status="RUNNING").update(started_at=long_ago)
    UpdateDelivery.objects.filter(status="sending").update(claimed_at=long_ago)
    recovery = start_worker("run_worker", env, "--requeue-every", "0.5")
    try:
        finished = wait_until(
            lambda: Update.objects.get(pk=update.pk).status == "sent", timeout=60
        )
    finally:
        output = stop_worker(recovery)

    assert finished, output
    received = Counter(m["To"] for m in slow_mail_server.received)
    assert max(received.values()) == 1, "someone got the update twice"
    statuses = Counter(UpdateDelivery.objects.values_list("status", flat=True))
    assert statuses["sent"] + statuses["uncertain"] == RECIPIENTS
    assert statuses["uncertain"] == cut_off
    sent_to = set(
        UpdateDelivery.objects.filter(status="sent").values_list(
            "signature__email", flat=True
        )
    )
    assert sent_to <= set(received)
    report(
        f"email worker killed (SIGKILL) while sending an update to {RECIPIENTS}: "
        f"the next worker finished it; {statuses['sent']} sent, "
        f"{statuses['uncertain']} interrupted and not sent again, 0 twice"
    )
