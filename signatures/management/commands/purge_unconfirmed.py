from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from signatures.services.retention import signatures_purge_unconfirmed


class Command(BaseCommand):
    help = (
        "Delete signatures that never counted (never confirmed, or withdrawn) "
        "once older than --days. Schedule it daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.RETENTION_UNCONFIRMED_DAYS,
            help="Age in days (default: RETENTION_UNCONFIRMED_DAYS, %(default)s).",
        )

    def handle(self, *args, days: int, **options) -> None:
        deleted = signatures_purge_unconfirmed(older_than=timedelta(days=days))
        self.stdout.write(
            f"Deleted {deleted} signatures not counted after {days} days."
        )
