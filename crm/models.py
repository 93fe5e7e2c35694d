import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petition.models import Petition


class EventType(models.TextChoices):
    """What an endpoint may subscribe to (the Standard Webhooks `type`)."""

    SIGNATURE_CREATED = "signature.created", _("signature created")
    SIGNATURE_CONFIRMED = "signature.confirmed", _("signature confirmed")
    SIGNATURE_WITHDRAWN = "signature.withdrawn", _("signature withdrawn")
    SIGNATURE_ERASED = "signature.erased", _("signature erased")
    SIGNATURE_INVALIDATED = "signature.invalidated", _("signature invalidated")
    SIGNATURE_RESTORED = "signature.restored", _("signature restored")
    UPDATE_SENT = "update.sent", _("campaign update sent")


# Sent only by the admin's "send a test event" button, to one endpoint.
TEST_EVENT = "webhook.test"


def new_webhook_secret() -> str:
    """24 random bytes in the Standard Webhooks form: "whsec_" and base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _all_events() -> list[str]:
    return list(EventType.values)


class WebhookEndpoint(models.Model):
    url = models.URLField(
        _("URL"),
        max_length=500,
        help_text=_(
            "Where each event is POSTed. HTTPS, on an address reachable from the "
            "internet."
        ),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=_all_events)
    petition = models.ForeignKey(
        Petition,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("petition"),
        help_text=_("Only this petition's events; empty for every petition."),
    )
    # Kept as is: every delivery is signed with it. Shown once, when made.
    secret = models.CharField(
        _("signing secret"), max_length=100, default=new_webhook_secret, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    failing_since = models.DateTimeField(
        _("failing since"),
        null=True,
        blank=True,
        help_text=_("The first failed delivery since the last one that worked."),
    )
    disabled_at = models.DateTimeField(_("switched off at"), null=True, blank=True)
    disabled_reason = models.CharField(
        _("why it was switched off"), max_length=200, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell which one a receiver holds."""
        return f"whsec_…{self.secret[-4:]}"


class ActionNetworkTarget(models.Model):
    """Where one petition's signatures go in Action Network: its petition
    there, and the API key of the group that owns it."""

    petition = models.OneToOneField(
        Petition,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("petition"),
    )
    action_network_petition = models.CharField(
        _("Action Network petition id"),
        max_length=100,
        help_text=_(
            "The id in the petition's API address, "
            "https://actionnetwork.org/api/v2/petitions/<id>."
        ),
    )
    api_key = models.CharField(
        _("API key"),
        max_length=100,
        blank=True,
        help_text=_("Empty: the site's ACTION_NETWORK_API_KEY."),
    )
    tags = models.JSONField(_("tags to add"), default=list, blank=True)
    only_with_consent = models.BooleanField(
        _("only signers who asked for updates"),
        default=True,
        help_text=_(
            "Action Network subscribes a new person to the group's email list: "
            "send only those who ticked “keep me updated”."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("switched off at"), null=True, blank=True)
    disabled_reason = models.CharField(
        _("why it was switched off"), max_length=200, blank=True
    )

    class Meta:
        verbose_name = _("Action Network link")
        verbose_name_plural = _("Action Network links")

    def __str__(self) -> str:
        return f"{self.petition} → {self.action_network_petition}"


class Delivery(models.Model):
    """One event for one receiver, and how sending it went."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RETRYING = "retrying", _("retrying")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    WAITING = (Status.PENDING, Status.RETRYING)

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("webhook endpoint"),
    )
    action_network = models.ForeignKey(
        ActionNetworkTarget,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("Action Network link"),
    )
    event_id = models.CharField(_("event id"), max_length=64)
    event_type = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("payload"))
    # Which signature it is about, so erasing that signature blanks the
    # personal data its deliveries still hold.
    signature_public_id = models.UUIDField(null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_response_code = models.PositiveIntegerField(
        _("last response code"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            # A task run twice (a worker killed mid-way) emits nothing twice.
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="delivery_once_per_endpoint"
            ),
            models.UniqueConstraint(
                fields=["action_network", "event_id"],
                name="delivery_once_per_action_network",
            ),
            models.CheckConstraint(
                condition=Q(endpoint__isnull=False) | Q(action_network__isnull=False),
                name="delivery_has_receiver",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="delivery_created_idx"),
            models.Index(
                fields=["signature_public_id"],
                condition=Q(signature_public_id__isnull=False),
                name="delivery_signature_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"

    @property
    def receiver(self) -> "WebhookEndpoint | ActionNetworkTarget":
        if self.endpoint is not None:
            return self.endpoint
        if self.action_network is not None:
            return self.action_network
        raise ValueError("A delivery without a receiver")  # the check forbids it


def new_event_id(seed: str = "") -> str:
    """A Standard Webhooks message id; the same `seed` gives the same id, so
    an event emitted twice for one change is recognised as one."""
    if seed:
        return f"msg_{uuid.uuid5(uuid.NAMESPACE_URL, seed).hex}"
    return f"msg_{uuid.uuid4().hex}"
