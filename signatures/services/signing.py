"""Signing: a signature stored and its email queued, a link used, a fresh
link asked for."""

from django.db import transaction
from django.utils import timezone

from core.net import ip_hash
from crm import events
from crm.models import EventType
from petition.models import Petition
from petition.services import petition_current_version_id
from signatures.consent import (
    CONSENT_GIVEN_FIELDS,
    consent_on_applying,
    updates_consent_given,
)
from signatures.counts import tally
from signatures.models import HeldSubmission, Signature, new_referral_code
from signatures.normalize import canonical_email, province_for_postal_code
from signatures.services.email import queue
from signatures.tasks import follow_up_resend, follow_up_submission


def signature_create(
    *,
    petition: Petition,
    full_name: str,
    email: str,
    country: str,
    postal_code: str,
    wants_updates: bool,
    show_name_publicly: bool,
    language: str,
    ip_address: str,
    needs_review: str = "",
    source: str = "",
    referral_code: str = "",
) -> None:
    """Store a signature once per canonical email, and email the signer.

    A submission for an address that already has a signature changes nothing:
    what it typed is held apart, and the email sent for it (by the background
    task, which alone looks the address up) carries a link that applies it.
    Only the inbox's owner can use that link, so no one else can rewrite a
    signature, and the owner's first link still confirms what they typed.

    The request does the same work either way: the insert (doing nothing for
    a known address), the held row, one task. Neither the page, nor its
    timing, nor the statements run tell whether the address had signed.

    `needs_review` (a Signature.Review reason) keeps a new signature pending,
    counted only once its emailed link is used, on every petition; held, it
    marks the signature its link confirms.

    `source` (a cleaned slug) and `referral_code` (another signer's code on
    this petition; an unknown one is ignored) describe how a new signature
    came: only the first submission's are kept, a later one changes neither.
    """
    details = {
        "full_name": full_name,
        "email": email,
        "country": country,
        "postal_code": postal_code,
        "province": province_for_postal_code(postal_code) if country == "CA" else "",
        "wants_updates": wants_updates,
        "show_name_publicly": show_name_publicly,
        "language": language,
        "ip_hash": ip_hash(ip_address),
        "petition_version_id": petition_current_version_id(petition),
        "review_reason": needs_review,
        # The words of the box as this signer's form showed them; nothing
        # when it was left unticked.
        **(updates_consent_given(language=language) if wants_updates else {}),
    }
    email_canonical = canonical_email(email)
    referrer_id = (
        Signature.objects.filter(petition=petition, referral_code=referral_code)
        .values_list("pk", flat=True)
        .first()
        if referral_code
        else None
    )
    # Not among the held details: a later submission does not rewrite them.
    signature = Signature.unsaved(
        petition=petition,
        email_canonical=email_canonical,
        source=source,
        referred_by_id=referrer_id,
        **details,
    )
    with transaction.atomic():
        # One statement whether or not the address has a row: the unique
        # constraint settles it (and races: the second insert of the same
        # address waits for the first), without an error or a savepoint.
        Signature.objects.bulk_create([signature], ignore_conflicts=True)
        # Held for a new signature too (the task deletes it), so that both
        # cases write the same rows.
        submission = HeldSubmission.objects.create(
            petition=petition, email_canonical=email_canonical, **details
        )
        # The task tells which it was: the row it finds has this public id
        # only if this insert made it.
        queue(
            follow_up_submission,
            submission_id=str(submission.pk),
            signature_public_id=str(signature.public_id),
        )


def signature_referral_code(*, signature: Signature) -> str:
    """The signer's referral code, given one now if they signed before codes
    existed (migration 0013 left theirs empty)."""
    if signature.referral_code is None:
        Signature.objects.filter(pk=signature.pk, referral_code=None).update(
            referral_code=new_referral_code()
        )
        signature.referral_code = (
            Signature.objects.filter(pk=signature.pk)
            .values_list("referral_code", flat=True)
            .get()
        )
    return signature.referral_code or ""


def link_can_confirm(*, status: str, from_submission: bool) -> bool:
    """A confirmation link confirms a pending signature; the link emailed for
    a later submission also brings back a withdrawn one."""
    return status == Signature.Status.PENDING or (
        from_submission and status == Signature.Status.WITHDRAWN
    )


def signature_confirm(
    *, signature: Signature, submission: HeldSubmission | None = None
) -> bool:
    """Count a pending signature, as typed or, with `submission` (from the link
    emailed for a later submission), with what that submission typed; that
    link also brings back a withdrawn one. True only the first time. Nothing
    changes on a petition that is closed or no longer published."""
    if not signature.petition.is_taking_signatures:
        return False
    with transaction.atomic():
        row = Signature.objects.locked(signature)
        if row is None or not link_can_confirm(
            status=row.status, from_submission=submission is not None
        ):
            return False
        changes = {}
        if submission is not None:
            if not HeldSubmission.objects.filter(pk=submission.pk).exists():
                return False  # erased since, by its signer
            changes = {
                field: getattr(submission, field) for field in HeldSubmission.DETAILS
            }
            changes |= consent_on_applying(
                wanted=submission.wants_updates,
                held={
                    field: getattr(submission, field) for field in CONSENT_GIVEN_FIELDS
                },
                current={
                    field: getattr(row, field)
                    for field in (*CONSENT_GIVEN_FIELDS, "wants_updates")
                },
            )
        Signature.objects.filter(pk=row.pk).update(
            status=Signature.Status.CONFIRMED, confirmed_at=timezone.now(), **changes
        )
        # Counted now: no other held link may change it.
        HeldSubmission.objects.for_signature(row).delete()
        events.safely(events.signatures_event, EventType.SIGNATURE_CONFIRMED, [row.pk])
        petition_id = row.petition_id
        transaction.on_commit(lambda: tally(petition_id, 1))
    return True


def confirmation_resend(*, petition: Petition, email: str) -> bool:
    """Email a fresh link (or an "already counted" note) if this address
    signed. The background task looks the address up: this request does the
    same for every address. False, sending nothing, on a petition that is
    closed or no longer published."""
    if not petition.is_taking_signatures:
        return False
    queue(
        follow_up_resend,
        petition_id=petition.pk,
        email_canonical=canonical_email(email),
    )
    return True
