from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from signatures.services.retention import signatures_anonymise_closed


class Command(BaseCommand):
    help = (
        "Remove signers' personal data from petitions closed for more than "
        "--days, keeping the counts. Schedule it daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.RETENTION_AFTER_CLOSE_DAYS,
            help="Days after closing (default: RETENTION_AFTER_CLOSE_DAYS, %(default)s).",
        )

    def handle(self, *args, days: int, **options) -> None:
        anonymised = signatures_anonymise_closed(closed_for=timedelta(days=days))
        self.stdout.write(
            f"Anonymised {anonymised} signatures on petitions closed over {days} days ago."
        )
