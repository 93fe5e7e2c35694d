"""Subject access: everything held about one email address, for the person
who asks."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from signatures.consent import ConsentText
from signatures.models import HeldSubmission, ModerationAction, Signature
from signatures.normalize import canonical_email, mask_email
from signatures.services.moderation import record_action

SUBJECT_ACCESS_FIELDS = [
    "full_name",
    "email",
    "country",
    "postal_code",
    "province",
    "wants_updates",
    "show_name_publicly",
    "language",
    "status",
    "created_at",
    "confirmed_at",
    "invalidated_at",
    "invalidation_reason",
    "review_reason",
    "email_undeliverable_at",
    "email_undeliverable_reason",
    "anonymised_at",
    "ip_hash",
    # Where they came from, and their own code for the links they share.
    "source",
    "referral_code",
    # Their consent to updates: when, on which form, and how it ended (the
    # words themselves under "updates_consent_wording").
    "updates_consent_at",
    "updates_consent_form",
    "updates_withdrawn_at",
    "updates_withdrawn_via",
]

HELD_FIELDS = [
    field
    for field in HeldSubmission.DETAILS
    if field not in {"petition_version_id", "updates_consent_text_id"}
]


def signer_data(*, email: str, user: User | None) -> dict:
    """Everything held about one email address, on every petition: what an
    organizer sends a person who asks what we hold about them. Recorded,
    with the address masked."""
    canonical = canonical_email(email)
    signatures = (
        Signature.objects.of_inbox(canonical)
        .select_related(
            "petition", "petition_version", "referred_by", "updates_consent_text"
        )
        .order_by("created_at")
    )
    records = [
        {
            "petition": signature.petition.title,
            "petition_url": settings.SITE_URL + signature.petition.get_absolute_url(),
            "petition_version_signed": signature.petition_version.number,
            # The code of the link they came by: another signer's public
            # code, never who that signer is.
            "referred_by_code": (
                signature.referred_by.referral_code if signature.referred_by else None
            ),
            **{
                field: _json_value(getattr(signature, field))
                for field in SUBJECT_ACCESS_FIELDS
            },
            "updates_consent_wording": _wording(signature.updates_consent_text),
        }
        for signature in signatures
    ]
    # What was typed later with this address, until its link is used or expires.
    held = [
        {
            "petition": submission.petition.title,
            "submitted_at": submission.created_at.isoformat(),
            **{field: _json_value(getattr(submission, field)) for field in HELD_FIELDS},
            "updates_consent_wording": _wording(submission.updates_consent_text),
        }
        for submission in HeldSubmission.objects.filter(email_canonical=canonical)
        .select_related("petition", "updates_consent_text")
        .order_by("created_at")
    ]
    record_action(
        kind=ModerationAction.Kind.EXPORT,
        user=user,
        count=len(records),
        criteria={"data_held_about": mask_email(canonical)},
    )
    return {
        "email": email,
        "exported_at": timezone.now().isoformat(),
        "site": settings.SITE_URL,
        "signatures": records,
        "submissions_awaiting_confirmation": held,
    }


def _wording(text: ConsentText | None) -> dict | None:
    """The words of the updates checkbox as the signer saw them."""
    if text is None:
        return None
    return {"version": text.version, "language": text.language, "text": text.wording}


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
