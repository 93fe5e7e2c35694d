from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from petition.models import Petition

PROVINCES = [
    ("AB", _("Alberta")),
    ("BC", _("British Columbia")),
    ("MB", _("Manitoba")),
    ("NB", _("New Brunswick")),
    ("NL", _("Newfoundland and Labrador")),
    ("NS", _("Nova Scotia")),
    ("NT", _("Northwest Territories")),
    ("NU", _("Nunavut")),
    ("ON", _("Ontario")),
    ("PE", _("Prince Edward Island")),
    ("QC", _("Quebec")),
    ("SK", _("Saskatchewan")),
    ("YT", _("Yukon")),
]


class SignatureQuerySet(models.QuerySet["Signature"]):
    def counted(self) -> "SignatureQuerySet":
        """The signatures in the public count."""
        return self.filter(status=Signature.Status.CONFIRMED)


class Signature(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        INVALIDATED = "invalidated", _("invalidated")

    petition = models.ForeignKey(
        Petition,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("petition"),
    )
    full_name = models.CharField(_("full name"), max_length=100)
    email = models.CharField(_("email as typed"), max_length=254)
    email_canonical = models.CharField(
        _("canonical email"),
        max_length=254,
        help_text=_("The address as compared for duplicates."),
    )
    country = CountryField(_("country"))
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    province = models.CharField(
        _("province or territory"), max_length=2, blank=True, choices=PROVINCES
    )
    wants_updates = models.BooleanField(_("agreed to campaign updates"), default=False)
    show_name_publicly = models.BooleanField(
        _("agreed to show first name publicly"), default=False
    )
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("signed at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    ip_hash = models.CharField(
        _("IP address hash"),
        max_length=64,
        help_text=_("A keyed hash of the signer's IP address; never the address."),
    )
    petition_version = models.CharField(
        _("petition version signed"),
        max_length=64,
        help_text=_("Fingerprint of the petition text at the time of signing."),
    )

    objects = SignatureQuerySet.as_manager()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email_canonical"],
                name="signature_one_per_email",
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="signature_confirmed_has_time",
            ),
        ]
        indexes = [
            # The public count and the latest public signers.
            models.Index(
                fields=["petition", "status", "confirmed_at"],
                name="signature_counted_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def first_name(self) -> str:
        return self.full_name.split(" ", 1)[0]
