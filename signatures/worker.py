"""The email worker's loop: django-tasks-db's queue, claimed in batches and
worked by several threads at once.

Why not django-tasks-db's own `db_worker` loop: it claims one task per
transaction and runs it on its one thread, so a worker sends one email at a
time. A provider answers each SMTP command after tens of milliseconds, so
that is under ten emails a second, while a viral petition takes hundreds of
signatures a second. Here the main thread claims as many tasks as there are
idle threads, in one transaction, and the threads run them with
django-tasks-db's own `Worker.run_task` (results, signals and tracebacks
exactly as `db_worker` records them). The queue, the task API and the
requeueing of stalled tasks are unchanged.
"""

import logging
import os
import queue
import signal
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as DbWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from signatures import emails

logger = logging.getLogger(__name__)


def claim_tasks(
    *, count: int, worker_id: str, backend_name: str, queue_names: list[str]
) -> list[DBTaskResult]:
    """Up to `count` ready tasks, marked RUNNING by this worker, in one
    transaction. Rows another worker holds are skipped, never waited for, so
    no task is claimed twice."""
    ready = DBTaskResult.objects.ready().filter(backend_name=backend_name)
    if "*" not in queue_names:  # db_worker's "every queue"
        ready = ready.filter(queue_name__in=queue_names)
    with exclusive_transaction(ready.db):
        claimed = list(ready.select_for_update(skip_locked=True)[:count])
        started_at = timezone.now()
        # One UPDATE per list of earlier workers (nearly always just the
        # empty one): bulk_update's CASE per row costs the worker more CPU
        # than the emails' own queries.
        by_earlier_workers = defaultdict(list)
        for result in claimed:
            by_earlier_workers[tuple(result.worker_ids)].append(result)
        for earlier, results in by_earlier_workers.items():
            worker_ids = [*earlier, worker_id]
            DBTaskResult.objects.filter(pk__in=[r.pk for r in results]).update(
                status=TaskResultStatus.RUNNING,
                started_at=started_at,
                worker_ids=worker_ids,
            )
            for result in results:
                result.status = TaskResultStatus.RUNNING
                result.started_at = started_at
                result.worker_ids = worker_ids
    return claimed


class EmailWorker:
    """Claims tasks in batches and runs each on one of `threads` threads.

    The main thread claims only when at least a quarter of the threads are
    idle (one query for several tasks), and never more than it can start at
    once: a claimed task waits for no other, so what a killed worker leaves
    RUNNING is at most one task per thread, and `requeue_stalled_tasks` puts
    it back.
    """

    def __init__(
        self,
        *,
        threads: int,
        queue_names: list[str],
        backend_name: str,
        worker_id: str,
        interval: float,
        batch: bool,
    ) -> None:
        self.threads = threads
        self.queue_names = queue_names
        self.backend_name = backend_name
        self.worker_id = worker_id
        self.interval = interval
        self.batch = batch
        # Set by a signal handler, which takes no lock: a lock the main
        # thread held when the signal came would never be released.
        self._stopping = False
        self._todo: queue.SimpleQueue[DBTaskResult | None] = queue.SimpleQueue()
        self._busy = 0
        self._idle = threading.Condition()
        # django-tasks-db's own way of running one task and recording it.
        self._runner = DbWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )

    def run(self) -> None:
        logger.info(
            "Email worker %s: %s threads on queues %s",
            self.worker_id,
            self.threads,
            ",".join(self.queue_names),
        )
        workers = [
            threading.Thread(target=self._work, name=f"email-{n}")
            for n in range(self.threads)
        ]
        for thread in workers:
            thread.start()
        with self._signals_stop_the_loop():
            try:
                self._claim_while_running()
            finally:
                if self._stopping:
                    logger.warning("Stopping once the emails being sent are sent")
                for _thread in workers:
                    self._todo.put(None)
                for thread in workers:
                    thread.join()
                connections.close_all()

    def _claim_while_running(self) -> None:
        low_water = max(1, self.threads // 4)
        while not self._stopping:
            with self._idle:
                self._idle.wait_for(
                    lambda: self.threads - self._busy >= low_water or self._stopping,
                    timeout=self.interval,
                )
                free = self.threads - self._busy
            if self._stopping:
                return
            if free < low_water:
                continue
            close_old_connections()
            try:
                claimed = claim_tasks(
                    count=free,
                    worker_id=self.worker_id,
                    backend_name=self.backend_name,
                    queue_names=self.queue_names,
                )
            except DatabaseError:
                # The database away: the emails already claimed go on being
                # sent, and the queue is tried again shortly.
                logger.exception("Claiming email tasks failed; trying again")
                connections.close_all()
                claimed = []
            with self._idle:
                self._busy += len(claimed)
            for result in claimed:
                self._todo.put(result)
            if claimed:
                continue
            close_old_connections()
            with self._idle:
                if self.batch and self._busy == 0:
                    return  # --batch: everything ready has been run
                # Until the next look at the queue, or an email is sent.
                self._idle.wait(timeout=self.interval)

    def _work(self) -> None:
        try:
            while (result := self._todo.get()) is not None:
                try:
                    close_old_connections()
                    self._runner.run_task(result)
                except Exception:
                    # run_task records any failure of the task itself; what
                    # escapes it is the recording failing too (the database
                    # away for longer than django-tasks-db's three tries).
                    # The task stays RUNNING, for requeue_stalled_tasks; this
                    # thread goes on, or the pool would shrink unseen and,
                    # its last thread gone, the loop claim tasks none runs.
                    logger.exception("Task %s: its outcome was not recorded", result.id)
                finally:
                    with self._idle:
                        self._busy -= 1
                        self._idle.notify()
        finally:
            # This thread's own mail session and database connection.
            emails.forget_kept_connection()
            connections.close_all()

    @contextmanager
    def _signals_stop_the_loop(self) -> Iterator[None]:
        """SIGTERM or Ctrl-C: claim nothing more, finish what is running
        (within a second). A second one: leave at once (what was running is
        requeued later)."""
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers can only be set from the main thread
            return

        def stop(_signum: int, _frame) -> None:
            if self._stopping:
                os._exit(1)
            self._stopping = True

        handled = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
        previous = {signum: signal.signal(signum, stop) for signum in handled}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
