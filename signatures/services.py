"""Everything that happens to a signature: created, confirmed, counted, emailed."""

import logging
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from math import floor, log10

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_tasks_db import DatabaseBackend

from petition.models import Petition
from petition.services import petition_current_version_id
from signatures.emails import EmailKind
from signatures.models import PROVINCES, ModerationAction, Signature
from signatures.net import ip_hash
from signatures.normalize import (
    canonical_email,
    first_name,
    mask_email,
    province_for_postal_code,
)
from signatures.tasks import send_signature_email

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SigningOutcome:
    signature: Signature
    created: bool


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
) -> SigningOutcome:
    """Store a signature once per canonical email, and email the signer.

    A second signing with the same address stores no new row and tells the
    signer by email, never on the page, so the form does not reveal who has
    signed. While a signature is unconfirmed, the latest submission replaces
    the earlier one: whoever confirms from the inbox confirms what they typed.

    `needs_review` (a Signature.Review reason) keeps a new signature pending,
    counted only once its emailed link is used, on every petition.
    """
    counted_now = not petition.requires_confirmation and not needs_review
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
    }
    signature = Signature(
        petition=petition,
        email_canonical=canonical_email(email),
        status=Signature.Status.CONFIRMED if counted_now else Signature.Status.PENDING,
        confirmed_at=timezone.now() if counted_now else None,
        review_reason=needs_review,
        **details,
    )
    try:
        # The unique constraint settles races: the second insert of the same
        # address waits for the first, then fails here.
        with transaction.atomic():
            signature.save(force_insert=True)
            if counted_now:
                transaction.on_commit(lambda: _tally(petition.pk, 1))
            _email_signer(
                signature,
                EmailKind.THANKS if counted_now else EmailKind.CONFIRM,
                first=True,
            )
    except IntegrityError:
        existing = Signature.objects.filter(
            petition=petition, email_canonical=signature.email_canonical
        ).first()
        if existing is None:
            raise
        kind = _kind_for_repeat(existing)
        same_row = Signature.objects.filter(pk=existing.pk, status=existing.status)
        if existing.status == Signature.Status.PENDING:
            # Signed again: the retention clock starts again too.
            same_row.update(**details, created_at=timezone.now())
        elif existing.status == Signature.Status.WITHDRAWN and same_row.update(
            **details,
            status=signature.status,
            confirmed_at=signature.confirmed_at,
            created_at=timezone.now(),
        ):
            # Signing again after withdrawing: a new signature in all but its row.
            kind = EmailKind.THANKS if counted_now else EmailKind.CONFIRM
            if counted_now:
                transaction.on_commit(lambda: _tally(petition.pk, 1))
        _email_signer(existing, kind)
        return SigningOutcome(existing, created=False)
    return SigningOutcome(signature, created=True)


def signature_confirm(*, signature: Signature) -> bool:
    """Count a pending signature. Idempotent: True only the first time."""
    confirmed = Signature.objects.filter(
        pk=signature.pk, status=Signature.Status.PENDING
    ).update(status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
    if confirmed:
        petition_id = signature.petition_id
        transaction.on_commit(lambda: _tally(petition_id, 1))
    return bool(confirmed)


def confirmation_resend(*, petition: Petition, email: str) -> None:
    """Email a fresh link (or an "already counted" note) if this address signed."""
    signature = Signature.objects.filter(
        petition=petition, email_canonical=canonical_email(email)
    ).first()
    # A withdrawn signer gets nothing: "you had already signed" would be
    # untrue, and signing again is the way back.
    if signature is not None and signature.status != Signature.Status.WITHDRAWN:
        _email_signer(signature, _kind_for_repeat(signature))


# --- Counting ---------------------------------------------------------------


@dataclass(frozen=True)
class PetitionStats:
    count: int
    goal: int
    recent_signers: list[tuple[str, str]]

    @property
    def recent_signers_display(self) -> list[tuple[str, str]]:
        names = dict(PROVINCES)
        return [(name, str(names.get(code, ""))) for name, code in self.recent_signers]

    @property
    def percent(self) -> int:
        return min(100, floor(100 * self.count / self.goal)) if self.goal else 100


def progress_goal(count: int, goal: int) -> int:
    """The organizers' goal, then 1-2.5-5 steps (1,000, 2,500, 5,000, ...) once passed."""
    if count < goal:
        return goal
    magnitude = 10 ** floor(log10(max(count, 1)))
    for step in (1, 2.5, 5, 10):
        target = int(step * magnitude)
        if target > count:
            return target
    return 10 * magnitude  # pragma: no cover - the loop always returns


# Kept well past their freshness, so a stale value can be served while one
# process refreshes it.
_STALE_FOR = 3600
_DAY = 24 * 3600


def _stats_key(petition_id: int) -> str:
    return f"signatures:stats:{petition_id}"


def _confirmations_key(petition_id: int) -> str:
    return f"signatures:confirmations:{petition_id}"


def _now() -> float:
    return time.time()


def _tally(petition_id: int, delta: int) -> None:
    """Add to the running tally of changes to the count since the last
    recount: confirmations up, invalidations and erasures down. The count shown
    is always the last recount plus this tally, so it moves at once."""
    key = _confirmations_key(petition_id)
    cache.add(key, 0, _DAY)
    with suppress(ValueError):
        cache.incr(key, delta)
        cache.touch(key, _DAY)  # incr on a key that just expired leaves no expiry


def _tally_after_commit(
    signatures: QuerySet[Signature], sign: int, *, counted: Q | None = None
) -> None:
    """Tally the counted signatures among `signatures` (confirmed ones, unless
    said otherwise), per petition, once the surrounding change is committed."""
    per_petition = dict(
        signatures.filter(counted or Q(status=Signature.Status.CONFIRMED))
        .order_by()
        .values("petition")
        .annotate(n=Count("pk"))
        .values_list("petition", "n")
    )
    for petition_id, n in per_petition.items():
        transaction.on_commit(
            lambda petition_id=petition_id, n=n: _tally(petition_id, sign * n)
        )


def _compute_stats(
    petition: Petition, recent: int
) -> tuple[int, list[tuple[str, str]]]:
    counted = Signature.objects.counted().filter(petition=petition)
    rows = (
        counted.filter(show_name_publicly=True)
        .order_by("-confirmed_at")
        .values_list("full_name", "province")[:recent]
    )
    return counted.count(), [(first_name(name), province) for name, province in rows]


def petition_stats(petition: Petition, *, recent: int = 5) -> PetitionStats:
    """The public count and latest public signers, at most a few seconds old.

    Counted by the database at most once per SIGNATURE_COUNT_CACHE_SECONDS:
    when the cached figures go stale, one request recounts while the others
    keep serving the stale ones. Confirmations since the last count are added
    from a tally, so a signer who just confirmed sees the count include them.
    """
    stats_key = _stats_key(petition.pk)
    tally_key = _confirmations_key(petition.pk)
    cached = cache.get_many([stats_key, tally_key])
    entry = cached.get(stats_key)
    tally = cached.get(tally_key, 0)
    if entry is None or (
        _now() >= entry["fresh_until"] and cache.add(f"{stats_key}:recount", 1, 30)
    ):
        # Read the tally first: a change tallied after this read may also be
        # in the count below, off by one until the next recount.
        count, signers = _compute_stats(petition, recent)
        entry = {
            "count": count,
            "signers": signers,
            "tally": tally,
            "fresh_until": _now() + settings.SIGNATURE_COUNT_CACHE_SECONDS,
        }
        cache.set(stats_key, entry, _STALE_FOR)
        cache.delete(f"{stats_key}:recount")
    count = max(0, entry["count"] + tally - entry["tally"])
    return PetitionStats(
        count=count,
        goal=progress_goal(count, petition.goal),
        recent_signers=entry["signers"],
    )


# --- Email ------------------------------------------------------------------


def _kind_for_repeat(signature: Signature) -> EmailKind:
    if signature.status == Signature.Status.PENDING:
        return EmailKind.CONFIRM
    return EmailKind.ALREADY_SIGNED


def _may_email(signature: Signature) -> bool:
    """At most SIGNATURE_EMAILS_PER_ADDRESS_PER_HOUR emails per hour about one
    signature, so our forms cannot be used to flood someone's inbox."""
    # Keyed by a hash: the cache never holds the address itself.
    digest = salted_hmac(
        "signatures.email-throttle",
        f"{signature.petition_id}:{signature.email_canonical}",
    ).hexdigest()
    key = f"signatures:emails-sent:{digest}"
    cache.add(key, 0, 3600)
    try:
        sent = cache.incr(key)
        cache.touch(key, 3600)
    except ValueError:
        sent = 1
    return sent <= settings.SIGNATURE_EMAILS_PER_ADDRESS_PER_HOUR


def _email_signer(
    signature: Signature, kind: EmailKind, *, first: bool = False
) -> bool:
    """Queue an email; False when the hourly allowance for the address is
    spent. The first email of a new signature always goes, without touching
    the allowance: the allowance limits repeats, and the busiest path (a new
    signer) saves three cache round trips."""
    if not first and not _may_email(signature):
        logger.info("Email to signature %s skipped: hourly limit reached", signature.pk)
        return False
    enqueue = partial(
        send_signature_email.enqueue, signature_id=signature.pk, kind=kind.value
    )
    if _tasks_in_database():
        # The task row commits with the change that asked for it, or not at
        # all: no signature without its email, and one commit, not two.
        enqueue()
    else:
        # Elsewhere the email could go before the change commits, or for a
        # change that is rolled back.
        transaction.on_commit(enqueue)
    return True


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
        _tally_after_commit(signatures, -1)
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
        _tally_after_commit(invalidated, +1, counted=Q(confirmed_at__isnull=False))
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


def signatures_resend_confirmation(
    *, signatures: QuerySet[Signature], user: AbstractBaseUser | None
) -> int:
    """Email the confirmation link again to pending signers, within each
    address's hourly allowance; returns how many emails were queued."""
    sent = 0
    pending = signatures.filter(status=Signature.Status.PENDING).select_related(
        "petition"
    )
    for signature in pending.iterator(chunk_size=1000):
        sent += _email_signer(signature, EmailKind.CONFIRM)
    _record(kind=ModerationAction.Kind.RESEND, user=user, count=sent)
    return sent


def signatures_erase(
    *, signatures: QuerySet[Signature], user: AbstractBaseUser | None, reason: str = ""
) -> int:
    """Delete signers' personal data at their request; only the count of
    erased signatures is kept, in the moderation record."""
    with transaction.atomic():
        _tally_after_commit(signatures, -1)
        count, _ = signatures.delete()
        _record(kind=ModerationAction.Kind.ERASE, user=user, count=count, reason=reason)
    return count


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
        signatures = signatures.filter(ip_hash=ip_hash.strip())
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
        transaction.on_commit(lambda: _tally(petition_id, -1))
    if row.show_name_publicly:
        # The first name may be among the latest signers shown: recount now.
        transaction.on_commit(lambda: cache.delete(_stats_key(petition_id)))


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
    "anonymised_at",
    "ip_hash",
]


def signer_data(*, email: str, user: AbstractBaseUser | None) -> dict:
    """Everything held about one email address, on every petition: what an
    organizer sends a person who asks what we hold about them. Recorded,
    with the address masked."""
    canonical = canonical_email(email)
    signatures = (
        Signature.objects.filter(email_canonical=canonical)
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
    }


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
