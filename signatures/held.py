"""A later submission for an address that already signed, held until the
link emailed for it is used (signatures/services/signing.py). Imported by
signatures/models.py, which the app loads."""

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from petition.models import Petition, PetitionVersion
from signatures.choices import PROVINCES, SubmissionReview
from signatures.consent import CONSENT_GIVEN_FIELDS, UpdatesConsentGiven
from signatures.normalize import first_name

if TYPE_CHECKING:
    from signatures.models import Signature


class HeldSubmissionQuerySet(models.QuerySet["HeldSubmission"]):
    def for_signature(self, signature: "Signature") -> "HeldSubmissionQuerySet":
        """What was typed later with this signature's address, awaiting its
        link."""
        return self.filter(
            petition_id=signature.petition_id,
            email_canonical=signature.email_canonical,
        )


class HeldSubmission(UpdatesConsentGiven):
    """What a later submission for an address that already has a signature
    typed. It changes nothing until the link emailed for it is used, so only
    the owner of the inbox can put their name to it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    petition = models.ForeignKey(
        Petition,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("petition"),
    )
    full_name = models.CharField(_("full name"), max_length=100)
    email = models.CharField(_("email as typed"), max_length=254)
    email_canonical = models.CharField(_("canonical email"), max_length=254)
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
    ip_hash = models.CharField(_("IP address hash"), max_length=64)
    review_reason = models.CharField(
        _("marked for review"), max_length=16, choices=SubmissionReview, blank=True
    )
    petition_version = models.ForeignKey(
        PetitionVersion,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("petition version signed"),
    )
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    # The fields a used link copies onto the signature.
    DETAILS = (
        "full_name",
        "email",
        "country",
        "postal_code",
        "province",
        "wants_updates",
        "show_name_publicly",
        "language",
        "ip_hash",
        "petition_version_id",
        # A link used proves the inbox, not the form: the mark stays.
        "review_reason",
        # What its updates box said (services.signing.signature_confirm
        # keeps an earlier agreement on record when it was left unticked).
        *CONSENT_GIVEN_FIELDS,
    )

    objects = HeldSubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("submission awaiting confirmation")
        verbose_name_plural = _("submissions awaiting confirmation")
        indexes = [
            models.Index(
                fields=["petition", "email_canonical"], name="held_address_idx"
            ),
            models.Index(fields=["created_at"], name="held_created_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def first_name(self) -> str:
        return first_name(self.full_name)
