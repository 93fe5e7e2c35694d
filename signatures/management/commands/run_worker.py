import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from signatures.tasks import requeue_stalled_tasks

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


class Command(DbWorkerCommand):
    help = (
        "Run a task worker (django-tasks-db's db_worker, same options) that "
        "also queues again any task a dead worker left running, as it starts "
        "and every --requeue-every seconds."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--requeue-every",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="How often to look for stalled tasks (default: %(default)s).",
        )

    def handle(self, *args, requeue_every: float, **options) -> None:
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep, args=(requeue_every, stop), daemon=True, name="requeue"
        )
        sweeper.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
