"""Everything that happens to a signature: created, confirmed, counted, emailed."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from core.net import ip_hash
from petition.models import Petition
from petition.services import petition_current_version_id
from signatures.counts import recount_on_next_read, tally, tally_after_commit
from signatures.emails import EmailKind
from signatures.models import HeldSubmission, ModerationAction, Signature
from signatures.normalize import (
    canonical_email,
    mask_email,
    province_for_postal_code,
)
from signatures.tasks import (
    ERASED_RESEND_ARGS,
    follow_up_resend,
    follow_up_submission,
    send_signature_email,
)
from signatures.tasks import may_email as _may_email

logger = logging.getLogger(__name__)


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
    }
    email_canonical = canonical_email(email)
    signature = Signature.unsaved(
        petition=petition, email_canonical=email_canonical, **details
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
        _queue(
            follow_up_submission,
            submission_id=str(submission.pk),
            signature_public_id=str(signature.public_id),
        )


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
        row = _locked(signature)
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
        Signature.objects.filter(pk=row.pk).update(
            status=Signature.Status.CONFIRMED, confirmed_at=timezone.now(), **changes
        )
        # Counted now: no other held link may change it.
        _held_for(row).delete()
        petition_id = row.petition_id
        transaction.on_commit(lambda: tally(petition_id, 1))
    return True


def _held_for(signature: Signature) -> QuerySet[HeldSubmission]:
    return HeldSubmission.objects.filter(
        petition_id=signature.petition_id, email_canonical=signature.email_canonical
    )


def confirmation_resend(*, petition: Petition, email: str) -> bool:
    """Email a fresh link (or an "already counted" note) if this address
    signed. The background task looks the address up: this request does the
    same for every address. False, sending nothing, on a petition that is
    closed or no longer published."""
    if not petition.is_taking_signatures:
        return False
    _queue(
        follow_up_resend,
        petition_id=petition.pk,
        email_canonical=canonical_email(email),
    )
    return True


# --- Email ------------------------------------------------------------------


def _email_signer(signature: Signature, kind: EmailKind) -> bool:
    """Queue an email; False when the hourly allowance for the address is spent."""
    if not _may_email(signature):
        logger.info("Email to signature %s skipped: hourly limit reached", signature.pk)
        return False
    _queue(send_signature_email, signature_id=signature.pk, kind=kind.value)
    return True


def signatures_mark_undeliverable(*, email: str, reason: str) -> int:
    """Send nothing more to this address: its email provider reported a hard
    bounce or a spam complaint. Every signature with the address, on every
    petition, is marked (a later one inherits the mark when its first email
    would go, see tasks.follow_up_submission); a mark already there keeps its
    first time and reason. Returns how many were marked now.

    The signatures themselves do not change: they count as before. Nothing
    here clears a mark: a bounce is the provider's word on the inbox, while
    anyone can type the address into our form again."""
    return (
        Signature.objects.filter(_same_inbox(canonical_email(email)))
        .deliverable()
        .update(
            email_undeliverable_at=timezone.now(), email_undeliverable_reason=reason
        )
    )


def _queue(task: Task, **kwargs) -> None:
    if _tasks_in_database():
        # The task row commits with the change that asked for it, or not at
        # all: no signature without its email, and one commit, not two.
        task.enqueue(**kwargs)
    else:
        # Elsewhere the email could go before the change commits, or for a
        # change that is rolled back.
        transaction.on_commit(partial(task.enqueue, **kwargs))


def _tasks_in_database() -> bool:
    return isinstance(send_signature_email.get_backend(), DatabaseBackend)


# --- Moderation (organizers) -------------------------------------------------


def _record(
    *,
    kind: ModerationAction.Kind,
    user: AbstractBaseUser | None,
    count: int,
    reason: str = "",
    criteria: dict | None = None,
) -> ModerationAction:
    return ModerationAction.objects.create(
        kind=kind,
        performed_by=user if user is not None and user.is_authenticated else None,
        count=count,
        reason=reason,
        criteria=criteria or {},
    )


def signatures_invalidate(
    *,
    signatures: QuerySet[Signature],
    reason: str,
    user: AbstractBaseUser | None,
    criteria: dict | None = None,
) -> int:
    """Take signatures out of counts and exports, keeping them for review.
    Withdrawn ones stay withdrawn: restoring must never count them again."""
    signatures = signatures.exclude(
        status__in=[Signature.Status.INVALIDATED, Signature.Status.WITHDRAWN]
    )
    with transaction.atomic():
        tally_after_commit(signatures, -1)
        count = signatures.update(
            status=Signature.Status.INVALIDATED,
            invalidated_at=timezone.now(),
            invalidation_reason=reason,
        )
        _record(
            kind=ModerationAction.Kind.INVALIDATE,
            user=user,
            count=count,
            reason=reason,
            criteria=criteria,
        )
    return count


def signatures_restore(
    *, signatures: QuerySet[Signature], user: AbstractBaseUser | None
) -> int:
    """Undo an invalidation: back to confirmed if it had been, else pending."""
    invalidated = signatures.filter(status=Signature.Status.INVALIDATED)
    with transaction.atomic():
        # Those that had been confirmed come back into the count.
        tally_after_commit(invalidated, +1, counted=Q(confirmed_at__isnull=False))
        count = invalidated.update(
            status=Case(
                When(
                    confirmed_at__isnull=False, then=Value(Signature.Status.CONFIRMED)
                ),
                default=Value(Signature.Status.PENDING),
            ),
            invalidated_at=None,
            invalidation_reason="",
        )
        _record(kind=ModerationAction.Kind.RESTORE, user=user, count=count)
    return count


@dataclass(frozen=True)
class ResendOutcome:
    sent: int
    # Pending signers left alone: their petition is closed or unpublished...
    not_open: int
    # ...or their address is known not to take our email.
    undeliverable: int


def signatures_resend_confirmation(
    *, signatures: QuerySet[Signature], user: AbstractBaseUser | None
) -> ResendOutcome:
    """Email the confirmation link again to pending signers, within each
    address's hourly allowance; none to those of a petition that is closed
    or unpublished, whose link would confirm nothing, nor to an address
    reported undeliverable."""
    sent = 0
    _pending, taking = _resend_reach(signatures)
    for signature in (
        taking.deliverable().select_related("petition").iterator(chunk_size=1000)
    ):
        sent += _email_signer(signature, EmailKind.CONFIRM)
    _record(kind=ModerationAction.Kind.RESEND, user=user, count=sent)
    return ResendOutcome(sent=sent, **resend_left_alone(signatures=signatures))


def resend_left_alone(*, signatures: QuerySet[Signature]) -> dict[str, int]:
    """The pending signers a resend leaves alone, by why (ResendOutcome's
    fields): for the organizer's warning before, and the report after."""
    pending, taking = _resend_reach(signatures)
    return {
        "not_open": pending.count() - taking.count(),
        "undeliverable": taking.undeliverable().count(),
    }


def _resend_reach(
    signatures: QuerySet[Signature],
) -> tuple[QuerySet[Signature], QuerySet[Signature]]:
    """The pending signers, and those of them on a petition still taking
    signatures (whose link would confirm something)."""
    pending = signatures.filter(status=Signature.Status.PENDING)
    return pending, pending.filter(petition__in=Petition.objects.taking_signatures())


def signatures_erase(
    *, signatures: QuerySet[Signature], user: AbstractBaseUser | None, reason: str = ""
) -> int:
    """Delete signers' personal data at their request; only the count of
    erased signatures is kept, in the moderation record."""
    with transaction.atomic():
        tally_after_commit(signatures, -1)
        # What their addresses typed since, awaiting confirmation, goes too:
        # one statement, however large the wave.
        HeldSubmission.objects.filter(
            Exists(
                signatures.filter(
                    petition_id=OuterRef("petition_id"),
                    email_canonical=OuterRef("email_canonical"),
                )
            )
        ).delete()
        _forget_resend_requests(signatures)
        count, _ = signatures.delete()
        _record(kind=ModerationAction.Kind.ERASE, user=user, count=count, reason=reason)
    return count


def _forget_resend_requests(signatures: QuerySet[Signature]) -> None:
    """Take these signatures' addresses out of the requests for a new link
    queued or done (the task's arguments name the address, and retention
    deletes those rows only days later, once finished). One statement.

    Blanked, not deleted: a worker may be running the task, and its row must
    still be there when the worker records the result (django-tasks-db saves
    it with update_fields, which fails on a deleted row and stops the worker).
    The worker never writes the arguments back; a task yet to run finds no
    one. The JSON keys are read as text (KT), the same on SQLite and
    PostgreSQL; the petition's id is cast back to a number for the match."""
    DBTaskResult.objects.filter(task_path=follow_up_resend.module_path).annotate(
        named_petition=Cast(KT("args_kwargs__kwargs__petition_id"), IntegerField()),
        named_email=KT("args_kwargs__kwargs__email_canonical"),
    ).filter(
        Exists(
            signatures.filter(
                petition_id=OuterRef("named_petition"),
                email_canonical=OuterRef("named_email"),
            )
        )
    ).update(args_kwargs=ERASED_RESEND_ARGS)


def signatures_matching(
    *,
    petition: Petition | None = None,
    email_domain: str = "",
    ip_hash: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Signature]:
    """Signatures from one source of abuse: a domain, an address, a time window."""
    signatures = Signature.objects.all()
    if petition is not None:
        signatures = signatures.filter(petition=petition)
    if email_domain:
        # Canonical as stored: IDN domains in ASCII, googlemail.com as gmail.com.
        domain = canonical_email("x@" + email_domain.strip().lstrip("@")).split("@")[-1]
        signatures = signatures.filter(email_canonical__endswith=f"@{domain}")
    if ip_hash:
        # A whole hash, or the start of one as a log line shows it ("ip-…").
        wanted = ip_hash.strip().removeprefix("ip-")
        signatures = signatures.filter(ip_hash__startswith=wanted)
    if since is not None:
        signatures = signatures.filter(created_at__gte=since)
    if until is not None:
        signatures = signatures.filter(created_at__lt=until)
    return signatures


def record_export(*, user: AbstractBaseUser | None, criteria: dict) -> ModerationAction:
    """Recorded when the download starts; its count is filled in at the end."""
    return _record(
        kind=ModerationAction.Kind.EXPORT, user=user, count=0, criteria=criteria
    )


# --- In the signer's hands ----------------------------------------------------

_BY_SIGNER = "At the signer's request"


def _locked(signature: Signature) -> Signature | None:
    """The row as it stands, locked until the transaction ends: a double
    click's second request waits here, then sees what the first one did."""
    return Signature.objects.select_for_update().filter(pk=signature.pk).first()


def _signer_changed_count(row: Signature) -> None:
    petition_id = row.petition_id
    if row.status == Signature.Status.CONFIRMED:
        transaction.on_commit(lambda: tally(petition_id, -1))
    if row.show_name_publicly:
        # The first name may be among the latest signers shown: recount now.
        transaction.on_commit(lambda: recount_on_next_read(petition_id))


def signature_withdraw(*, signature: Signature) -> bool:
    """Take a signature out of the count at its signer's request; True if it
    was counted or pending. Signing again later starts afresh."""
    with transaction.atomic():
        row = _locked(signature)
        if row is None or row.status not in {
            Signature.Status.PENDING,
            Signature.Status.CONFIRMED,
        }:
            return False
        _signer_changed_count(row)
        # A link emailed earlier for a later submission must not bring the
        # signature back; signing again sends a new one.
        _held_for(row).delete()
        Signature.objects.filter(pk=row.pk).update(
            status=Signature.Status.WITHDRAWN, wants_updates=False
        )
        _record(
            kind=ModerationAction.Kind.WITHDRAW, user=None, count=1, reason=_BY_SIGNER
        )
    return True


def signature_erase_by_signer(*, signature: Signature) -> bool:
    """Delete everything held about this signature; only the fact that one
    was erased is kept, with no personal data."""
    with transaction.atomic():
        row = _locked(signature)
        if row is None:
            return False
        _signer_changed_count(row)
        _held_for(row).delete()  # what was typed since, awaiting confirmation
        _forget_resend_requests(Signature.objects.filter(pk=row.pk))
        row.delete()
        _record(kind=ModerationAction.Kind.ERASE, user=None, count=1, reason=_BY_SIGNER)
    return True


def signature_stop_updates(*, signature: Signature) -> bool:
    """Unsubscribe from campaign updates; the signature still counts."""
    return bool(
        Signature.objects.filter(pk=signature.pk, wants_updates=True).update(
            wants_updates=False
        )
    )


# --- Retention ----------------------------------------------------------------

_BATCH = 5000


def _links_expired_before() -> datetime:
    """A confirmation link expires SIGNATURE_CONFIRMATION_MAX_AGE after its
    email went, which retries may delay by a few hours: a day's margin."""
    return timezone.now() - timedelta(
        seconds=settings.SIGNATURE_CONFIRMATION_MAX_AGE, days=1
    )


def signatures_purge_unconfirmed(*, older_than: timedelta) -> int:
    """Delete signatures that never counted (never confirmed, or withdrawn
    by their signer) once older than `older_than`. Invalidated ones that had
    never been confirmed go too: mostly addresses typed in by someone else."""
    stale = Signature.objects.filter(
        Q(status__in=[Signature.Status.PENDING, Signature.Status.WITHDRAWN])
        | Q(status=Signature.Status.INVALIDATED, confirmed_at__isnull=True),
        created_at__lt=timezone.now() - older_than,
    )
    with transaction.atomic():
        count, _ = stale.delete()
        # Their links have expired: what they held can never apply.
        HeldSubmission.objects.filter(created_at__lt=_links_expired_before()).delete()
        # A request for a new link names the address in its task's arguments.
        DBTaskResult.objects.filter(
            task_path=follow_up_resend.module_path,
            status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
            finished_at__lt=_links_expired_before(),
        ).delete()
        if count:
            _record(
                kind=ModerationAction.Kind.ERASE,
                user=None,
                count=count,
                reason=f"Retention: not counted after {older_than.days} days",
            )
    return count


def signatures_anonymise_closed(*, closed_for: timedelta) -> int:
    """Remove the personal data of every signature on petitions closed for
    longer than `closed_for`, keeping each row (status, province, country,
    dates) so the counts and reports stay as they were."""
    closed = Petition.objects.filter(
        is_open=False, closed_at__lt=timezone.now() - closed_for
    )
    HeldSubmission.objects.filter(petition__in=closed).delete()
    remaining = Signature.objects.filter(
        petition__in=closed, anonymised_at__isnull=True
    ).order_by("pk")
    total = last = 0
    # By key, so each batch starts where the last one ended: no rescans.
    while ids := list(
        remaining.filter(pk__gt=last).values_list("pk", flat=True)[:_BATCH]
    ):
        last = ids[-1]
        # In batches: short transactions, however many signatures there are.
        with transaction.atomic():
            total += Signature.objects.filter(pk__in=ids).update(
                full_name="",
                email="",
                # Still unique per petition, and no longer anyone's address.
                email_canonical=Concat(
                    Value("anonymised-"), Cast("pk", output_field=CharField())
                ),
                postal_code="",
                ip_hash="",
                invalidation_reason="",  # an organizer's note may name the signer
                wants_updates=False,
                show_name_publicly=False,
                anonymised_at=timezone.now(),
            )
    if total:
        _record(
            kind=ModerationAction.Kind.ANONYMISE,
            user=None,
            count=total,
            reason=f"Retention: {closed_for.days} days after closing",
        )
    return total


# --- Subject access -----------------------------------------------------------

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
]

HELD_FIELDS = [
    field for field in HeldSubmission.DETAILS if field != "petition_version_id"
]


def _same_inbox(canonical: str) -> Q:
    """Rows of this inbox, including "+tag" forms stored before tags were
    folded at its provider and left unfolded where the plain form was
    already taken (migration 0010)."""
    local, _, domain = canonical.rpartition("@")
    if local and domain in settings.EMAIL_CANONICAL_PROVIDERS.values():
        return Q(email_canonical=canonical) | Q(
            email_canonical__startswith=f"{local}+",
            email_canonical__endswith=f"@{domain}",
        )
    return Q(email_canonical=canonical)


def signer_data(*, email: str, user: AbstractBaseUser | None) -> dict:
    """Everything held about one email address, on every petition: what an
    organizer sends a person who asks what we hold about them. Recorded,
    with the address masked."""
    canonical = canonical_email(email)
    signatures = (
        Signature.objects.filter(_same_inbox(canonical))
        .select_related("petition", "petition_version")
        .order_by("created_at")
    )
    records = [
        {
            "petition": signature.petition.title,
            "petition_url": settings.SITE_URL + signature.petition.get_absolute_url(),
            "petition_version_signed": signature.petition_version.number,
            **{
                field: _json_value(getattr(signature, field))
                for field in SUBJECT_ACCESS_FIELDS
            },
        }
        for signature in signatures
    ]
    # What was typed later with this address, until its link is used or expires.
    held = [
        {
            "petition": submission.petition.title,
            "submitted_at": submission.created_at.isoformat(),
            **{field: _json_value(getattr(submission, field)) for field in HELD_FIELDS},
        }
        for submission in HeldSubmission.objects.filter(email_canonical=canonical)
        .select_related("petition")
        .order_by("created_at")
    ]
    _record(
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


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
