"""An email whose worker is killed mid-send is still sent, by the next worker.

django-tasks-db leaves such a task RUNNING for ever; `requeue_stalled_tasks`
(run by `run_worker` as it starts) queues it again. Sending is therefore
at-least-once: see signatures.tasks.requeue_stalled_tasks.
"""

import logging
import os
import signal
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from signatures.models import Signature
from tests.backing_services import MailServer, wait_until
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.figures import report
from tests.servers import start_worker, stop_worker, worker_env
from tests.signing import form_data


def task_row(status: str, started_minutes_ago: float | None) -> DBTaskResult:
    started = (
        None
        if started_minutes_ago is None
        else timezone.now() - timedelta(minutes=started_minutes_ago)
    )
    return DBTaskResult.objects.create(
        status=status,
        started_at=started,
        worker_ids=["worker-1"] if started else [],
        args_kwargs={
            "args": [],
            "kwargs": {"signature_id": 1, "kind": "confirm_signature"},
        },
        task_path="signatures.tasks.send_signature_email",
        queue_name="email",
        backend_name="default",
        run_after=timezone.now() - timedelta(hours=1),
    )


@pytest.mark.django_db
def test_only_tasks_running_far_too_long_are_queued_again(settings, caplog):
    settings.TASK_STALLED_AFTER_SECONDS = 600
    dead = task_row("RUNNING", started_minutes_ago=11)
    alive = task_row("RUNNING", started_minutes_ago=9)  # may still be sending
    done = task_row("SUCCESSFUL", started_minutes_ago=60)
    waiting = task_row("READY", started_minutes_ago=None)

    with caplog.at_level(logging.WARNING, logger="signatures.tasks"):
        call_command("requeue_stalled_tasks", verbosity=0)
        call_command("requeue_stalled_tasks", verbosity=0)  # nothing more to do

    statuses = {
        row.pk: row.status
        for row in DBTaskResult.objects.filter(
            pk__in=[dead.pk, alive.pk, done.pk, waiting.pk]
        )
    }
    assert statuses == {
        dead.pk: "READY",
        alive.pk: "RUNNING",
        done.pk: "SUCCESSFUL",
        waiting.pk: "READY",
    }
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert str(dead.pk) in messages[0]
    assert "worker-1" in messages[0]
    assert "signature_id" not in messages[0]  # never the task's arguments


@pytest.mark.django_db
def test_a_task_that_keeps_killing_its_workers_is_given_up(settings, caplog):
    settings.TASK_STALLED_AFTER_SECONDS = 600
    deadly = task_row("RUNNING", started_minutes_ago=11)
    deadly.worker_ids = ["worker-1", "worker-2", "worker-3"]
    deadly.save()

    with caplog.at_level(logging.ERROR, logger="signatures.tasks"):
        call_command("requeue_stalled_tasks", verbosity=0)

    deadly.refresh_from_db()
    assert deadly.status == "FAILED"
    assert "lost 3 workers" in caplog.text


def test_requeueing_sooner_than_a_send_can_take_is_refused(settings):
    settings.EMAIL_TIMEOUT = 30

    with pytest.raises(CommandError, match="at least 300 seconds"):
        call_command("requeue_stalled_tasks", older_than=60)


# --- End to end: a worker process killed while the mail server holds its email


@pytest.fixture
def mail_server():
    server = MailServer()
    server.start()
    yield server
    server.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seed_campaign")
def test_an_email_cut_off_by_a_killed_worker_is_sent_by_the_next_one(
    client, settings, mail_server, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/p/{SEED_SLUG}/sign/", form_data())
    signature = model_to_dict(Signature.objects.get())
    env = worker_env(mail_server.port, EMAIL_TIMEOUT="30")

    mail_server.mode = "stall"  # takes the message, never answers
    worker = start_worker("run_worker", env)
    try:
        held = wait_until(
            lambda: (
                mail_server.stalled.is_set()
                and DBTaskResult.objects.filter(status="RUNNING").exists()
            ),
            timeout=30,
        )
        assert held, "the worker never got as far as sending"
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.communicate()
    task = DBTaskResult.objects.get()
    assert task.status == "RUNNING"  # and would stay so for ever

    # Restarted at once by its supervisor: the task is seconds old, and a
    # slow send could still be under way somewhere, so nothing is requeued yet.
    mail_server.mode = "accept"
    recovery = start_worker("run_worker", env, "--requeue-every", "0.5")
    try:
        assert not wait_until(lambda: mail_server.received, timeout=2)
        # Once it has run longer than any send can, the running worker's
        # periodic sweep takes it for stalled and queues it again.
        DBTaskResult.objects.filter(pk=task.pk).update(
            started_at=timezone.now()
            - timedelta(seconds=settings.TASK_STALLED_AFTER_SECONDS + 1)
        )
        delivered = wait_until(lambda: mail_server.received, timeout=30)
    finally:
        output = stop_worker(recovery)

    assert delivered, output
    assert f"Task {task.pk} (signatures.tasks.follow_up_submission)" in output
    assert [m["To"] for m in mail_server.received] == ["jane@example.org"]
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert len(task.worker_ids) == 2  # the dead worker, then the one that sent
    assert model_to_dict(Signature.objects.get()) == signature
    report(
        "email worker killed (SIGKILL) mid-send: task requeued by a running "
        "run_worker's sweep once stalled, "
        "email delivered once, signature untouched"
    )
