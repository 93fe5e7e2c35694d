"""The delivery log holds what was sent, signers' data included: it is kept
only as long as an organizer needs it to see what went wrong."""

from datetime import timedelta

from django.utils import timezone

from crm.models import Delivery


def deliveries_prune(*, older_than: timedelta) -> int:
    """Delete finished deliveries (delivered, failed, cancelled) made longer
    ago than `older_than`; returns how many. Those still waiting stay."""
    count, _ = (
        Delivery.objects.exclude(status__in=Delivery.WAITING)
        .filter(created_at__lt=timezone.now() - older_than)
        .delete()
    )
    return count
