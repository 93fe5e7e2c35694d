from django.core.management.base import BaseCommand
from django.utils import timezone

from petition.models import Petition
from visits.services import views_fold


class Command(BaseCommand):
    help = (
        "Keep in the database the page views the cache holds for the days "
        "that are over (the dashboard does it too when opened). Idempotent; "
        "schedule it daily, so a day is kept within the cache's 35 days."
    )

    def handle(self, *args, **options) -> None:
        today = timezone.localdate()
        petition_ids = list(Petition.objects.values_list("pk", flat=True))
        for petition_id in petition_ids:
            views_fold(petition_id=petition_id, today=today)
        self.stdout.write(f"Page views folded for {len(petition_ids)} petitions.")
