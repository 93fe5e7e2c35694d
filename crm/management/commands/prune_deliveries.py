from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from crm.retention import deliveries_prune


class Command(BaseCommand):
    help = (
        "Delete the log of finished webhook and Action Network deliveries "
        "once older than --days (they hold signers' data). Schedule it daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.WEBHOOKS_LOG_DAYS,
            help="Age in days (default: WEBHOOKS_LOG_DAYS, %(default)s).",
        )

    def handle(self, *args, days: int, **options) -> None:
        deleted = deliveries_prune(older_than=timedelta(days=days))
        self.stdout.write(f"Deleted {deleted} deliveries older than {days} days.")
