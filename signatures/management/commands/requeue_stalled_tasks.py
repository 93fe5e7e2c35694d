from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from signatures.tasks import requeue_stalled_tasks


class Command(BaseCommand):
    help = (
        "Queue again the tasks left running by a worker that died (killed, out "
        "of memory, host gone), so their emails are sent. `run_worker` does "
        "this as it starts and every minute."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            metavar="SECONDS",
            help=(
                "Only tasks started at least this long ago (default: "
                "TASK_STALLED_AFTER_SECONDS; at least ten times EMAIL_TIMEOUT)."
            ),
        )

    def handle(self, *args, older_than: int | None, verbosity: int, **options) -> None:
        if older_than is None:
            older_than = settings.TASK_STALLED_AFTER_SECONDS
        # Any sooner and an email still being sent would go out twice.
        if older_than < 10 * settings.EMAIL_TIMEOUT:
            raise CommandError(
                f"--older-than must be at least {10 * settings.EMAIL_TIMEOUT} "
                "seconds (ten times EMAIL_TIMEOUT)."
            )
        count = requeue_stalled_tasks(older_than=timedelta(seconds=older_than))
        if verbosity:
            self.stdout.write(f"Stalled tasks queued again: {count}")
