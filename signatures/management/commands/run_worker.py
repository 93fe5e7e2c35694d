import logging
import random
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db import DatabaseBackend

from signatures.tasks import requeue_stalled_tasks
from signatures.worker import EmailWorker

logger = logging.getLogger(__name__)


def _sweep(every: float, stop: threading.Event) -> None:
    """Requeue what dead workers left running, now and every `every` seconds.

    A supervisor restarts a killed worker at once, when its task is seconds
    old and not yet taken for stalled; so every live worker keeps looking,
    not only at its start."""
    older_than = timedelta(seconds=settings.TASK_STALLED_AFTER_SECONDS)
    while True:
        try:
            close_old_connections()
            requeue_stalled_tasks(older_than=older_than)
        except Exception:
            logger.exception("Requeueing stalled tasks failed; trying again later")
        finally:
            connection.close()  # this thread's own connection
        if stop.wait(every):
            return


class Command(BaseCommand):
    help = (
        "Run an email worker: takes queued tasks in batches and runs them on "
        "EMAIL_WORKER_THREADS threads at once (signatures/worker.py says why "
        "not django-tasks-db's db_worker loop); also queues again any task a "
        "dead worker left running, as it starts and every --requeue-every "
        "seconds."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--queue-name",
            default=",".join(settings.TASK_QUEUES),
            help="Queues to work, separated by commas, or * for all (default: %(default)s).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help="How long to wait when the queue is empty (default: %(default)s).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run every task ready now, then exit.",
        )
        parser.add_argument(
            "--backend",
            dest="backend_name",
            default=DEFAULT_TASK_BACKEND_ALIAS,
            help="The django-tasks backend to work (default: %(default)s).",
        )
        parser.add_argument(
            "--worker-id",
            default=None,
            help="This worker's id, unique among workers (default: random).",
        )
        parser.add_argument(
            "--no-startup-delay",
            action="store_false",
            dest="startup_delay",
            help="Start at once, not after up to a second (spreads a fleet's start).",
        )
        parser.add_argument(
            "--requeue-every",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="How often to look for stalled tasks (default: %(default)s).",
        )

    def handle(
        self,
        *args,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        worker_id: str | None,
        startup_delay: bool,
        requeue_every: float,
        **options,
    ) -> None:
        if not isinstance(task_backends[backend_name], DatabaseBackend):
            raise CommandError(
                f"Task backend {backend_name!r} is not a database queue: set "
                "TASKS_BACKEND=database to run a worker."
            )
        # A setting, not an option: the database pool is sized from it.
        threads = settings.EMAIL_WORKER_THREADS
        if connection.vendor == "sqlite":
            # SQLite takes one writer at a time: more threads only wait on
            # each other's locks (and the embedded default runs no worker).
            threads = 1
        worker = EmailWorker(
            threads=threads,
            queue_names=queue_name.split(","),
            backend_name=backend_name,
            worker_id=worker_id or get_random_string(32),
            interval=interval,
            batch=batch,
        )
        if startup_delay and not batch:
            time.sleep(random.random())  # noqa: S311 (not a secret)
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep, args=(requeue_every, stop), daemon=True, name="requeue"
        )
        sweeper.start()
        try:
            worker.run()
        finally:
            stop.set()
