"""The email worker under a surge: several emails at once, tasks claimed in
batches, never one task sent twice by two workers, nothing lost when a
worker is killed mid-batch, a refusal retried alone, and a send rate that
all workers together keep to."""

import os
import signal
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.signals import task_finished
from django_tasks_db.models import DBTaskResult

from signatures.models import Signature
from signatures.worker import claim_tasks
from tests.backing_services import MailServer, wait_until
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.servers import start_worker, stop_worker, worker_env
from tests.signing import form_data, run_email_worker

pytestmark = [
    # Workers open their own connections, as in production: these tests commit.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs DATABASE_URL=postgres://...: SQLite runs one writer at a time",
)


@pytest.fixture
def mail_server(mail_server, settings):
    """conftest's real SMTP server, with emails queued in the database."""
    settings.TASKS = DATABASE_QUEUE
    return mail_server


def sign(client, count: int, start: int = 0) -> list[str]:
    """`count` people sign, each from their own address; their emails."""
    addresses = [f"s{n}@example.org" for n in range(start, start + count)]
    for n, address in enumerate(addresses, start):
        client.post(
            f"/en/p/{SEED_SLUG}/sign/",
            form_data(email=address),
            REMOTE_ADDR=f"198.51.100.{n % 250}",
        )
    return addresses


def recipients(mail_server: MailServer) -> Counter:
    return Counter(message["To"] for message in mail_server.received)


def email_tasks():
    return DBTaskResult.objects.filter(queue_name="email")


@needs_postgres
def test_a_worker_sends_on_as_many_sessions_at_once_as_it_has_threads(
    client, mail_server, settings
):
    settings.EMAIL_WORKER_THREADS = 6
    # A quarter of a second per message, as a slow provider: one session at
    # a time would send these one after the other.
    mail_server.delay = 0.25
    addresses = sign(client, 24)

    run_email_worker()

    assert recipients(mail_server) == Counter(addresses)
    assert mail_server.most_at_once == 6


def test_ready_tasks_are_claimed_in_one_transaction_whatever_their_number(
    client, mail_server
):
    sign(client, 12)

    def claim(count: int) -> list[DBTaskResult]:
        return claim_tasks(
            count=count, worker_id="w1", backend_name="default", queue_names=["email"]
        )

    with CaptureQueriesContext(connection) as two:
        first = claim(2)
    with CaptureQueriesContext(connection) as ten:
        rest = claim(100)

    assert len(first) == 2
    assert len(rest) == 10
    # One SELECT ... FOR UPDATE and one UPDATE, inside their transaction.
    assert len(ten.captured_queries) == len(two.captured_queries) <= 4
    assert {task.id for task in first}.isdisjoint(task.id for task in rest)
    running = email_tasks().filter(status=TaskResultStatus.RUNNING)
    assert running.count() == 12
    assert all(task.worker_ids == ["w1"] for task in running)


@needs_postgres
def test_a_task_another_worker_is_claiming_is_skipped_not_taken_twice(
    client, mail_server
):
    sign(client, 10)
    held = threading.Event()
    done = threading.Event()
    taken_there: list[DBTaskResult] = []

    def other_worker() -> None:
        # Claims three and holds their rows locked, mid-transaction.
        try:
            with transaction.atomic():
                taken_there.extend(
                    DBTaskResult.objects.ready()
                    .select_for_update(skip_locked=True)
                    .order_by("enqueued_at")[:3]
                )
                held.set()
                done.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        taken_here = claim_tasks(
            count=100, worker_id="w2", backend_name="default", queue_names=["email"]
        )
    finally:
        done.set()
        thread.join()

    assert len(taken_here) == 7
    assert {t.id for t in taken_here}.isdisjoint(t.id for t in taken_there)


@needs_postgres
def test_two_workers_send_every_email_exactly_once(client, mail_server):
    mail_server.delay = 0.02
    env = worker_env(mail_server.port, EMAIL_WORKER_THREADS="8")
    workers = [start_worker("run_worker", env) for _ in range(2)]
    try:
        # Signed while both workers are polling: they race for every task.
        addresses = sign(client, 150)
        sent = wait_until(
            lambda: len(mail_server.received) >= len(addresses), timeout=60
        )
    finally:
        outputs = [stop_worker(worker) for worker in workers]

    assert sent, outputs
    assert recipients(mail_server) == Counter(addresses)  # each exactly once
    assert not email_tasks().exclude(status=TaskResultStatus.SUCCESSFUL).exists()
    # Both took part.
    assert len({task.worker_ids[0] for task in email_tasks()}) == 2


@needs_postgres
def test_a_worker_killed_mid_batch_loses_no_email(client, mail_server, settings):
    addresses = sign(client, 10)
    env = worker_env(mail_server.port, EMAIL_WORKER_THREADS="4", EMAIL_TIMEOUT="30")
    mail_server.mode = "stall"  # takes each message, never answers
    worker = start_worker("run_worker", env)
    try:
        four_in_flight = wait_until(
            lambda: email_tasks().filter(status=TaskResultStatus.RUNNING).count() == 4,
            timeout=30,
        )
        assert four_in_flight
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.communicate()
    cut_off = set(email_tasks().filter(status=TaskResultStatus.RUNNING))
    assert len(cut_off) == 4  # one batch, one per thread; the rest still queued
    assert email_tasks().filter(status=TaskResultStatus.READY).count() == 6
    # Long enough ago that no send of theirs can still be under way.
    email_tasks().filter(status=TaskResultStatus.RUNNING).update(
        started_at=timezone.now()
        - timedelta(seconds=settings.TASK_STALLED_AFTER_SECONDS + 1)
    )
    mail_server.mode = "accept"

    recovery = start_worker("run_worker", env, "--requeue-every", "0.5")
    try:
        sent = wait_until(lambda: len(mail_server.received) >= 10, timeout=60)
    finally:
        output = stop_worker(recovery)

    assert sent, output
    assert recipients(mail_server) == Counter(addresses)
    for task in cut_off:
        task.refresh_from_db()
        assert task.status == TaskResultStatus.SUCCESSFUL
        assert len(task.worker_ids) == 2  # the killed worker, then the next


@needs_postgres
def test_sigterm_finishes_the_emails_in_flight_and_leaves_the_rest_queued(
    client, mail_server
):
    sign(client, 12)
    mail_server.delay = 1.5
    env = worker_env(mail_server.port, EMAIL_WORKER_THREADS="4")
    worker = start_worker("run_worker", env)
    try:
        assert wait_until(lambda: mail_server.most_at_once == 4, timeout=30)
        worker.send_signal(signal.SIGTERM)  # as a supervisor stops it
        worker.wait(30)
    finally:
        output = stop_worker(worker)

    assert worker.returncode == 0, output
    sent = len(mail_server.received)
    assert sent >= 4  # those under way when it was told to stop
    # Nothing left RUNNING for the sweep to find a quarter of an hour later.
    assert email_tasks().filter(status=TaskResultStatus.SUCCESSFUL).count() == sent
    assert email_tasks().filter(status=TaskResultStatus.READY).count() == 12 - sent


def test_a_refusal_mid_batch_retries_that_email_alone(client, mail_server, settings):
    settings.EMAIL_WORKER_THREADS = 4
    addresses = sign(client, 12)
    mail_server.refuse = {
        "s3@example.org": "451-rcpt",  # greylisted: try again later
        "s7@example.org": "550-rcpt",  # no such mailbox: for good
    }
    started = timezone.now()

    run_email_worker()

    delivered = [a for a in addresses if a not in mail_server.refuse]
    assert recipients(mail_server) == Counter(delivered)
    retries = email_tasks().filter(status=TaskResultStatus.READY)
    assert [task.args_kwargs["kwargs"]["attempt"] for task in retries] == [2]
    [retry] = retries
    assert retry.run_after > started + timedelta(seconds=30)  # backed off
    signature_id = retry.args_kwargs["kwargs"]["signature_id"]
    assert Signature.objects.get(pk=signature_id).email == "s3@example.org"
    failed = email_tasks().filter(status=TaskResultStatus.FAILED)
    assert failed.count() == 2  # each refused send, recorded once


def test_a_task_whose_outcome_cannot_be_recorded_does_not_stop_the_worker(
    client, mail_server, settings
):
    settings.EMAIL_WORKER_THREADS = 1
    sign(client, 3)
    # Recording the first task's outcome fails, as when the database is away
    # for longer than django-tasks-db's three tries: a failure that escapes
    # its run_task.
    failures = [1, 1]

    def recording_fails(**kwargs) -> None:
        if failures:
            failures.pop()
            raise RuntimeError("the outcome could not be recorded")

    task_finished.connect(recording_fails)
    done = threading.Event()

    def batch() -> None:
        try:
            run_email_worker()
        finally:
            done.set()

    try:
        threading.Thread(target=batch, daemon=True).start()
        finished = done.wait(30)
    finally:
        task_finished.disconnect(recording_fails)

    assert finished, "the worker's last thread died and its loop waits for ever"
    assert len(mail_server.received) == 3
    assert email_tasks().filter(status=TaskResultStatus.SUCCESSFUL).count() == 2


@needs_postgres
def test_workers_together_keep_to_the_send_rate(client, mail_server, settings):
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("needs REDIS_URL: the rate is shared through Redis")
    addresses = sign(client, 30)
    env = worker_env(
        mail_server.port,
        EMAIL_WORKER_THREADS="4",
        EMAIL_MAX_PER_SECOND="5",
        REDIS_URL=os.environ["REDIS_URL"],
    )
    workers = [start_worker("run_worker", env) for _ in range(2)]
    try:
        sent = wait_until(lambda: len(mail_server.received) >= 30, timeout=60)
    finally:
        outputs = [stop_worker(worker) for worker in workers]

    assert sent, outputs
    assert recipients(mail_server) == Counter(addresses)
    # 30 emails at 5 a second between them fill six calendar seconds: the
    # first and the last are at least four seconds apart. Each worker
    # counting alone would send 10 a second, within three.
    span = mail_server.received_at[-1] - mail_server.received_at[0]
    assert span >= 4
    # Counted by when the server accepted each: a slot taken in the last
    # milliseconds of one second can be accepted in the next.
    per_second = Counter(int(at) for at in mail_server.received_at)
    assert max(per_second.values()) <= 5 + 1
