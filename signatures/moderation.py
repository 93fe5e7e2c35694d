"""The record of organizers' actions on signatures, for accountability.
Imported by signatures/models.py, which the app loads."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ModerationAction(models.Model):
    """One organizer action on signatures: who, when, what and how many."""

    class Kind(models.TextChoices):
        INVALIDATE = "invalidate", _("invalidated")
        RESTORE = "restore", _("restored")
        RESEND = "resend", _("confirmation resent")
        ERASE = "erase", _("personal data erased")
        EXPORT = "export", _("exported")
        WITHDRAW = "withdraw", _("withdrawn by the signer")
        ANONYMISE = "anonymise", _("anonymised")
        PAPER = "paper", _("paper signatures added")
        STOP_UPDATES = "stop_updates", _("campaign updates stopped")

    kind = models.CharField(_("action"), max_length=12, choices=Kind)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    performed_at = models.DateTimeField(_("at"), default=timezone.now)
    count = models.PositiveIntegerField(_("signatures"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    criteria = models.JSONField(_("which signatures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation actions")
        ordering = ["-performed_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.count}"
