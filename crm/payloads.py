"""What each receiver is sent about a signature: the Standard Webhooks
event's `data`, and the body of Action Network's record-signature helper."""

from django.conf import settings

from petition.models import Petition
from signatures.models import Signature
from signatures.normalize import first_name


def split_name(full_name: str) -> tuple[str, str]:
    """(first, last) as a CRM files them: the first name as the public list
    shows it (titles such as "Dr." skipped), the rest as the last name."""
    given = first_name(full_name)
    words = full_name.replace(",", " ").split()
    rest = words[words.index(given) + 1 :] if given in words else words[1:]
    return given, " ".join(rest)


def petition_data(petition: Petition) -> dict:
    return {
        "slug": petition.slug,
        "title": petition.text(settings.LANGUAGE_CODE).title,
        "url": settings.SITE_URL + petition.get_absolute_url(),
    }


def _time(value) -> str | None:
    return value.isoformat() if value else None


def signature_data(signature: Signature) -> dict:
    """The signature as the organization's CRM needs it: the person, what
    they agreed to, where they came from. The referrer is named by their
    public referral code, never by who they are."""
    given, family = split_name(signature.full_name)
    return {
        "id": str(signature.public_id),
        "status": signature.status,
        "first_name": given,
        "last_name": family,
        "email": signature.email,
        "postal_code": signature.postal_code,
        "province": signature.province,
        "country": str(signature.country),
        "language": signature.language,
        "consent": {
            "updates": signature.wants_updates,
            "show_name_publicly": signature.show_name_publicly,
            # What was agreed to, as on record (signatures/consent.py).
            "updates_wording": (
                signature.updates_consent_text.wording
                if signature.updates_consent_text
                else ""
            ),
            "updates_version": (
                signature.updates_consent_text.version
                if signature.updates_consent_text
                else ""
            ),
            "updates_given_at": _time(signature.updates_consent_at),
            "updates_withdrawn_at": _time(signature.updates_withdrawn_at),
            "updates_withdrawn_via": signature.updates_withdrawn_via,
        },
        "source": signature.source,
        "referral_code": signature.referral_code or "",
        "referred_by_code": (
            signature.referred_by.referral_code or ""
            if signature.referred_by_id and signature.referred_by
            else ""
        ),
        "signed_at": _time(signature.created_at),
        "confirmed_at": _time(signature.confirmed_at),
    }


def action_network_body(signature: Signature, *, tags: list[str]) -> dict:
    """The record-signature helper's body
    (https://actionnetwork.org/docs/v2/record_signature_helper): the person,
    matched there by email address, and the tags to add to them."""
    given, family = split_name(signature.full_name)
    postal = {"postal_code": signature.postal_code, "country": str(signature.country)}
    if signature.province:
        postal["region"] = signature.province
    return {
        "person": {
            "given_name": given,
            "family_name": family,
            "email_addresses": [{"address": signature.email}],
            "postal_addresses": [postal],
            "languages_spoken": [signature.language],
        },
        "add_tags": list(tags),
    }
