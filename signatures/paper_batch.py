"""A stack of signatures collected on paper, as an organizer typed it in
(signatures/services/paper.py): where it came from, who added it, and what
it held. Imported by signatures/models.py, which the app loads."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petition.models import Petition


class PaperBatch(models.Model):
    petition = models.ForeignKey(
        Petition,
        on_delete=models.PROTECT,
        related_name="paper_batches",
        verbose_name=_("petition"),
    )
    event = models.CharField(
        _("event"),
        max_length=200,
        help_text=_(
            "Where the signatures were collected: a rally, a door-to-door day."
        ),
    )
    collected_on = models.DateField(_("collected on"))
    collected_by = models.CharField(_("collected by"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    imported = models.PositiveIntegerField(_("signatures added"), default=0)
    skipped = models.PositiveIntegerField(
        _("duplicates skipped"),
        default=0,
        help_text=_("Rows of people who had already signed: reported, not counted."),
    )

    class Meta:
        verbose_name = _("paper batch")
        verbose_name_plural = _("paper batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} ({self.collected_on:%Y-%m-%d})"
