"""Retention: signatures that never counted are deleted after a while, and
signers' personal data once their petition has been closed long enough."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from crm import events
from petition.models import Petition
from signatures.consent import Withdrawal
from signatures.models import HeldSubmission, ModerationAction, Signature
from signatures.services.moderation import record_action
from signatures.tasks import follow_up_resend

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
        events.safely(events.signatures_erased, stale)
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
            record_action(
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
            # The webhook log held their data too: forgotten with them.
            events.deliveries_forget(
                list(
                    Signature.objects.filter(pk__in=ids).values_list(
                        "public_id", flat=True
                    )
                )
            )
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
                # Consent that was still on ends here, on record (the words
                # agreed to are no one's personal data).
                updates_withdrawn_at=Case(
                    When(wants_updates=True, then=Value(timezone.now())),
                    default=F("updates_withdrawn_at"),
                ),
                updates_withdrawn_via=Case(
                    When(wants_updates=True, then=Value(Withdrawal.ERASED)),
                    default=F("updates_withdrawn_via"),
                ),
                show_name_publicly=False,
                anonymised_at=timezone.now(),
            )
    if total:
        record_action(
            kind=ModerationAction.Kind.ANONYMISE,
            user=None,
            count=total,
            reason=f"Retention: {closed_for.days} days after closing",
        )
    return total
