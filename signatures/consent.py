"""Consent to campaign updates, on record: the exact wording a signer ticked
(a versioned text, in the language the form was shown in), when and from
which form, and when and how it was withdrawn.

`Signature.wants_updates` stays the one switch that says whether updates may
go; the fields here say why it is on, and since when it is off. Canada's
anti-spam law (CASL) asks a sender to show what a person agreed to.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

# The sign form's checkbox reads this (signatures/forms.py), and the record
# keeps what it rendered: the two can never drift apart. Change the wording
# and bump UPDATES_CONSENT_VERSION, so that the records tell the texts apart
# by name as well as by their words.
UPDATES_CONSENT_LABEL = _("Keep me updated about this campaign by email")
UPDATES_CONSENT_VERSION = "updates-1"
# Which form asked: the public sign form, as of this version of it. Another
# way of collecting consent (a paper batch) records a name of its own.
SIGN_FORM_VERSION = "web-sign-form-1"


class ConsentText(models.Model):
    """One wording of a consent, as shown, in one language. Rows are added
    the first time a wording is ticked and never changed: a signature points
    at the words it agreed to."""

    version = models.CharField(_("version"), max_length=40)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    wording = models.TextField(_("wording"))
    # The words themselves tell one text from another: a translation edited
    # without a new version still gets a row of its own.
    digest = models.CharField(max_length=64, editable=False)
    first_used_at = models.DateTimeField(_("first used at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent wording")
        verbose_name_plural = _("consent wordings")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language", "digest"], name="consent_text_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.language}): {self.wording}"


def consent_text(*, language: str, version: str, wording: str) -> ConsentText:
    """The row for these words, made the first time they are used."""
    digest = hashlib.sha256(wording.encode()).hexdigest()
    text, _created = ConsentText.objects.get_or_create(
        version=version,
        language=language,
        digest=digest,
        defaults={"wording": wording},
    )
    return text


def updates_consent_given(
    *, language: str, form_version: str = SIGN_FORM_VERSION
) -> dict:
    """The consent fields of a submission whose updates box was ticked, the
    box's label rendered in the language the form was shown in."""
    with translation.override(language):
        wording = str(UPDATES_CONSENT_LABEL)
    return {
        "updates_consent_text": consent_text(
            language=language, version=UPDATES_CONSENT_VERSION, wording=wording
        ),
        "updates_consent_at": timezone.now(),
        "updates_consent_form": form_version,
    }


class Withdrawal(models.TextChoices):
    """How a signer's consent to updates ended."""

    SIGNER_PAGE = "signer_page", _("on the signer’s page")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("by the unsubscribe link in an email")
    ONE_CLICK = "one_click", _("by the mail program’s unsubscribe button")
    SIGNATURE_WITHDRAWN = "withdrawn", _("signature withdrawn by the signer")
    SIGNED_AGAIN = "signed_again", _("signed again without ticking the box")
    ORGANIZER = "organizer", _("by an organizer, at the signer’s request")
    ERASED = "erased", _("personal data erased")


class UpdatesConsentGiven(models.Model):
    """What a submission agreed to: on a signature, and on a later
    submission held until its link is used."""

    updates_consent_text = models.ForeignKey(
        ConsentText,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent wording agreed to"),
        help_text=_(
            "The exact words of the updates checkbox the signer ticked, in "
            "the language the form was shown in."
        ),
    )
    updates_consent_at = models.DateTimeField(
        _("consent to updates given at"), null=True, blank=True
    )
    updates_consent_form = models.CharField(
        _("consent given on"),
        max_length=40,
        blank=True,
        default="",
        # In the table too: rows copied in without it (bench/) still load.
        db_default="",
        help_text=_("The form, and its version, on which the box was ticked."),
    )

    class Meta:
        abstract = True


class UpdatesConsentRecord(UpdatesConsentGiven):
    """A signature's consent: given, and perhaps withdrawn since."""

    updates_withdrawn_at = models.DateTimeField(
        _("consent to updates withdrawn at"), null=True, blank=True
    )
    updates_withdrawn_via = models.CharField(
        _("consent withdrawn how"),
        max_length=16,
        choices=Withdrawal,
        blank=True,
        default="",
        db_default="",
    )

    class Meta:
        abstract = True

    def updates_consent_state(self) -> dict:
        """The record as the signer's page and exports show it."""
        text = self.updates_consent_text
        return {
            "wording": text.wording if text else "",
            "version": text.version if text else "",
            "language": text.language if text else "",
            "given_at": self.updates_consent_at,
            "form": self.updates_consent_form,
            "withdrawn_at": self.updates_withdrawn_at,
            "withdrawn_via": self.updates_withdrawn_via,
        }


def withdrawn_now(via: Withdrawal) -> dict:
    """The fields that record consent ending now, this way."""
    return {
        "wants_updates": False,
        "updates_withdrawn_at": timezone.now(),
        "updates_withdrawn_via": via,
    }


CONSENT_GIVEN_FIELDS = (
    "updates_consent_text_id",
    "updates_consent_at",
    "updates_consent_form",
)


def consent_on_applying(*, wanted: bool, held: dict, current: dict) -> dict:
    """The consent fields a signature takes when the link emailed for a later
    submission is used. `held` is that submission's consent, `current` the
    signature's record (wants_updates and the fields of UpdatesConsentRecord).

    Ticked again: the new agreement replaces the old, and nothing is
    withdrawn. Not ticked while updates were on: consent ends, recorded as
    such, and the old agreement stays on record. Otherwise nothing changes:
    an empty submission must not wipe out an earlier record."""
    if wanted:
        return {**held, "updates_withdrawn_at": None, "updates_withdrawn_via": ""}
    keep = {field: current[field] for field in CONSENT_GIVEN_FIELDS}
    if current["wants_updates"]:
        return keep | withdrawn_now(Withdrawal.SIGNED_AGAIN)
    return keep
