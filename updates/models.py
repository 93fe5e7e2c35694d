"""Campaign updates: what an organizer writes to the signers who asked for
news, and one delivery row per signer, made before the first email goes, so
that a send interrupted at any point resumes without writing to anyone
twice."""

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from petition.models import Petition
from signatures.models import Signature


class UpdateQuerySet(models.QuerySet["Update"]):
    def sent(self) -> "UpdateQuerySet":
        """The updates the petition page lists: sent, or being sent."""
        return self.filter(status__in=[Update.Status.SENDING, Update.Status.SENT])


class Update(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")

    petition = models.ForeignKey(
        Petition,
        on_delete=models.PROTECT,
        related_name="updates",
        verbose_name=_("petition"),
    )
    subject_en = models.CharField(_("subject (English)"), max_length=150, blank=True)
    body_en = models.TextField(
        _("text (English)"),
        blank=True,
        help_text=_(
            "Markdown, as in the petition: **bold**, *italic*, [text](https://…)."
        ),
    )
    subject_fr = models.CharField(_("subject (French)"), max_length=150, blank=True)
    body_fr = models.TextField(_("text (French)"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    sending_started_at = models.DateTimeField(_("sending started at"), null=True)
    sent_at = models.DateTimeField(_("sent at"), null=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    # When a task is queued to come back for deliveries not yet done (a
    # retry due, a lost worker's): one such task, not one per chain.
    resume_at = models.DateTimeField(null=True, editable=False)

    objects = UpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign update")
        verbose_name_plural = _("campaign updates")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject_en or self.subject_fr or str(_("(no subject)"))

    def shown_language(self, language: str) -> str:
        """`language` if the update is written in it (subject and text),
        else the first language it is written in: an organizer may write
        one only, and every recipient then gets that one."""
        others = [code for code, _name in settings.LANGUAGES if code != language]
        for code in [language, *others]:
            if self.is_written_in(code):
                return code
        return language

    def is_written_in(self, language: str) -> bool:
        return bool(
            (getattr(self, f"subject_{language}", "") or "").strip()
            and (getattr(self, f"body_{language}", "") or "").strip()
        )

    def subject(self, language: str) -> str:
        return getattr(self, f"subject_{self.shown_language(language)}", "")

    def body(self, language: str) -> str:
        return getattr(self, f"body_{self.shown_language(language)}", "")

    def progress(self) -> dict[str, int]:
        """How many deliveries are in each state, for the organizer."""
        counts = self.deliveries.aggregate(
            **{
                state: Count("pk", filter=Q(status=state))
                for state in UpdateDelivery.Status.values
            }
        )
        return {state: counts[state] or 0 for state in UpdateDelivery.Status.values}


def recipients_of(petition: Petition):
    """Who gets this petition's updates: confirmed signers who ticked the box
    and have not stopped updates since (unsubscribed, withdrew: both clear
    wants_updates; erased: no row), not invalidated (not confirmed), not
    anonymised, and whose address has not bounced or complained."""
    return (
        Signature.objects.filter(petition=petition, wants_updates=True)
        .counted()
        .deliverable()
        .filter(anonymised_at__isnull=True)
    )


class UpdateDelivery(models.Model):
    """One signer's copy of one update. Made for every recipient when the
    organizer presses "send", each one then claimed, sent and marked in
    turn: never sent twice, whatever stops the workers."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        # Stopped updates, withdrew, was invalidated or bounced meanwhile.
        SKIPPED = "skipped", _("skipped")
        # One email (feminine in French), not a webhook delivery.
        FAILED = "failed", pgettext_lazy("one update email", "failed")
        # A worker stopped while sending it: the mail server may have taken
        # it, so it is not sent again.
        UNCERTAIN = "uncertain", _("interrupted, not sent again")

    update = models.ForeignKey(
        Update, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Erasing a signer erases their copy too: only the update's counts stay.
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before: a mail server that said "try again later".
    retry_after = models.DateTimeField(null=True)
    claimed_at = models.DateTimeField(null=True)
    sent_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("update delivery")
        verbose_name_plural = _("update deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["update", "signature"], name="update_delivery_once"
            )
        ]
        indexes = [
            models.Index(fields=["update", "status"], name="update_delivery_status_idx")
        ]

    def __str__(self) -> str:
        return f"{self.update_id}/{self.signature_id}: {self.status}"
