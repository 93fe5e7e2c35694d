from django.db import models
from django.utils.translation import gettext_lazy as _

from petition.models import Petition


class DailyViews(models.Model):
    """A petition's page views on one past day, folded from the counters in
    the shared cache (visits/counter.py) once the day is over, so a cache
    restart loses at most the day in progress."""

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="daily_views"
    )
    day = models.DateField(_("day"))
    views = models.PositiveIntegerField(_("page views"), default=0)
    # {source: views}, "" for a visit that named none: the few channels a
    # day brings, read with the row, never queried on their own.
    by_source = models.JSONField(_("page views by source"), default=dict)

    class Meta:
        verbose_name = _("page views of a day")
        verbose_name_plural = _("page views per day")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "day"], name="one_row_per_petition_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.day}: {self.views}"
