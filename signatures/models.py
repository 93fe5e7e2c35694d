import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from petition.models import Petition, PetitionVersion
from signatures.choices import PROVINCES, SubmissionReview
from signatures.consent import (
    ConsentText,  # noqa: F401  (a model of this app: imported, it is registered)
    UpdatesConsentRecord,
)

# Models of this app kept in modules of their own: imported, they are
# registered, and `from signatures.models import ...` finds them here.
from signatures.held import HeldSubmission  # noqa: F401
from signatures.moderation import ModerationAction  # noqa: F401
from signatures.normalize import canonical_email, first_name
from signatures.paper_batch import PaperBatch

# Lowercase letters and digits without look-alikes (0/o, 1/l/i): read aloud
# or retyped from a link, a code survives.
_REFERRAL_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
REFERRAL_CODE_LENGTH = 12


def new_referral_code() -> str:
    """A random public code for a signer's own share links: 31**12 (about
    2**59) of them, so none can be guessed, and nothing in it tells who
    signed, or when, or how many did before."""
    return "".join(
        secrets.choice(_REFERRAL_ALPHABET) for _ in range(REFERRAL_CODE_LENGTH)
    )


class SignatureQuerySet(models.QuerySet["Signature"]):
    def counted(self) -> "SignatureQuerySet":
        """The signatures in the public count (Signature.COUNTED)."""
        return self.filter(Signature.COUNTED)

    def deliverable(self) -> "SignatureQuerySet":
        """Those whose address our email may still be sent to: no hard bounce
        or spam complaint reported for it (signatures/bounces.py)."""
        return self.filter(email_undeliverable_at__isnull=True)

    def undeliverable(self) -> "SignatureQuerySet":
        return self.filter(email_undeliverable_at__isnull=False)

    def of_inbox(self, canonical: str) -> "SignatureQuerySet":
        """Rows of this inbox (a canonical address), including "+tag" forms
        stored before tags were folded at its provider and left unfolded
        where the plain form was already taken (migration 0010)."""
        local, _at, domain = canonical.rpartition("@")
        if local and domain in settings.EMAIL_CANONICAL_PROVIDERS.values():
            return self.filter(
                Q(email_canonical=canonical)
                | Q(
                    email_canonical__startswith=f"{local}+",
                    email_canonical__endswith=f"@{domain}",
                )
            )
        return self.filter(email_canonical=canonical)

    def matching(
        self,
        *,
        petition: Petition | None = None,
        email_domain: str = "",
        ip_hash: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> "SignatureQuerySet":
        """Signatures from one source of abuse: a domain, an address, a time
        window."""
        signatures = self
        if petition is not None:
            signatures = signatures.filter(petition=petition)
        if email_domain:
            # Canonical as stored: IDN domains in ASCII, googlemail.com as gmail.com.
            domain = canonical_email("x@" + email_domain.strip().lstrip("@"))
            signatures = signatures.filter(
                email_canonical__endswith="@" + domain.split("@")[-1]
            )
        if ip_hash:
            # A whole hash, or the start of one as a log line shows it ("ip-…").
            wanted = ip_hash.strip().removeprefix("ip-")
            signatures = signatures.filter(ip_hash__startswith=wanted)
        if since is not None:
            signatures = signatures.filter(created_at__gte=since)
        if until is not None:
            signatures = signatures.filter(created_at__lt=until)
        return signatures

    def locked(self, signature: "Signature") -> "Signature | None":
        """The row as it stands, locked until the transaction ends: a double
        click's second request waits here, then sees what the first one did."""
        return self.select_for_update().filter(pk=signature.pk).first()


class Signature(UpdatesConsentRecord):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        INVALIDATED = "invalidated", _("invalidated")
        WITHDRAWN = "withdrawn", _("withdrawn by the signer")

    # The one rule of what counts: the public count, the tally, exports, the
    # dashboard (SignatureQuerySet.counted(), and is_counted for one row).
    COUNTED = Q(status=Status.CONFIRMED)

    # Shared with HeldSubmission (signatures/choices.py).
    Review = SubmissionReview

    class Undeliverable(models.TextChoices):
        """Why our email no longer goes to an address, as its provider said."""

        BOUNCED = "bounced", _("hard bounce")
        COMPLAINED = "complained", _("spam complaint")

    # What links name instead of the sequential key, which would tell how
    # many people have signed.
    public_id = models.UUIDField(
        _("public id"), unique=True, default=uuid.uuid4, editable=False
    )
    petition = models.ForeignKey(
        Petition,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("petition"),
    )
    full_name = models.CharField(_("full name"), max_length=100)
    email = models.CharField(_("email as typed"), max_length=254)
    # Null for a paper signer who wrote no address (PaperBatch): unique per
    # petition like any address, while any number of nulls may stand ("" would
    # be one address that only one such signer could have).
    email_canonical = models.CharField(  # noqa: DJ001
        _("canonical email"),
        max_length=254,
        null=True,
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
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("signed at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    invalidated_at = models.DateTimeField(_("invalidated at"), null=True, blank=True)
    invalidation_reason = models.CharField(
        _("reason for invalidation"), max_length=200, blank=True
    )
    review_reason = models.CharField(
        _("marked for review"),
        max_length=16,
        choices=Review,
        blank=True,
        help_text=_(
            "Why the signing form looked automated. Kept after confirmation: "
            "a confirmed signature had a person read its email."
        ),
    )
    email_undeliverable_at = models.DateTimeField(
        _("email undeliverable since"),
        null=True,
        blank=True,
        help_text=_(
            "The email provider reported a hard bounce or a spam complaint for "
            "this address: nothing more is sent to it."
        ),
    )
    email_undeliverable_reason = models.CharField(
        _("why email is undeliverable"),
        max_length=12,
        choices=Undeliverable,
        blank=True,
    )
    anonymised_at = models.DateTimeField(
        _("anonymised at"),
        null=True,
        blank=True,
        help_text=_("Personal data removed; the signature still counts."),
    )
    ip_hash = models.CharField(
        _("IP address hash"),
        max_length=64,
        help_text=_("A keyed hash of the signer's IP address; never the address."),
    )
    petition_version = models.ForeignKey(
        PetitionVersion,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("petition version signed"),
        help_text=_("The text of the petition as it stood when this person signed."),
    )
    source = models.CharField(
        _("source"),
        max_length=40,
        blank=True,
        help_text=_(
            "The channel named by the link the signer came from "
            "(?source=whatsapp, ...), as first submitted."
        ),
    )
    # Null for rows signed before codes existed: they get one when first
    # needed (services.signing.signature_referral_code) rather than in a
    # migration that would rewrite, and lock, every row of the largest table.
    referral_code = models.CharField(
        _("referral code"),
        max_length=REFERRAL_CODE_LENGTH,
        unique=True,
        null=True,
        blank=True,
        default=new_referral_code,
        editable=False,
        help_text=_("A random public code carried by this signer's own share links."),
    )
    referred_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred by"),
        help_text=_("The signer whose share link brought this one."),
    )
    paper_batch = models.ForeignKey(
        PaperBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
        verbose_name=_("paper batch"),
        help_text=_("Collected on paper and added by an organizer, if so."),
    )

    objects = SignatureQuerySet.as_manager()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        permissions = [("export_signature", _("Can export signatures"))]
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
            # The admin's default order, date filters and attack time windows.
            models.Index(fields=["created_at"], name="signature_created_idx"),
            # Finding a signer by email or postal code; spotting one source.
            models.Index(fields=["email_canonical"], name="signature_email_idx"),
            models.Index(fields=["postal_code"], name="signature_postal_code_idx"),
            models.Index(fields=["ip_hash"], name="signature_ip_hash_idx"),
            # The admin's "marked for review" filter; only marked rows indexed.
            models.Index(
                fields=["review_reason", "created_at"],
                condition=~Q(review_reason=""),
                name="signature_review_idx",
            ),
            # The admin's "email undeliverable" filter: only marked rows.
            models.Index(
                fields=["created_at"],
                condition=Q(email_undeliverable_at__isnull=False),
                name="signature_undeliverable_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @classmethod
    def unsaved(cls, *, petition, email_canonical: str, **details) -> "Signature":
        """A new signature, counted at once only where its petition asks for
        no confirmation and nothing marked it for review."""
        counted_now = not (
            petition.requires_confirmation or details.get("review_reason")
        )
        return cls(
            petition=petition,
            email_canonical=email_canonical,
            status=cls.Status.CONFIRMED if counted_now else cls.Status.PENDING,
            confirmed_at=timezone.now() if counted_now else None,
            **details,
        )

    @property
    def first_name(self) -> str:
        return first_name(self.full_name)

    @property
    def is_counted(self) -> bool:
        """Signature.COUNTED, for a row already loaded."""
        return self.status == self.Status.CONFIRMED
