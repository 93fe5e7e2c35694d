"""The organizers' funnel: page views, then signatures, then confirmations,
over the days page views have been counted (visits/)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from signatures.models import Signature
from visits.services import Views


@dataclass(frozen=True)
class FunnelRow:
    """One day, or one source: its page views, the signatures received
    (invalidated ones left out) and how many of those are confirmed."""

    label: str
    views: int
    signatures: int
    confirmed: int

    @property
    def signed_per_hundred_views(self) -> float | None:
        return 100 * self.signatures / self.views if self.views else None


@dataclass(frozen=True)
class Funnel:
    since: date | None  # the first day with a counted view; None: none yet
    total: FunnelRow
    per_day: list[FunnelRow]  # newest first
    by_source: list[FunnelRow]


def petition_funnel(
    *,
    views: Views,
    received: QuerySet[Signature],
    per_day: dict[date, tuple[int, int]],
    today: date,
) -> Funnel:
    """`per_day`: signatures received and confirmed by the day they were
    received. One query, for the signatures by source since views were
    first counted (earlier ones had no views to compare with)."""
    since = views.first_day
    if since is None:
        return Funnel(
            since=None, total=FunnelRow("", 0, 0, 0), per_day=[], by_source=[]
        )
    days = [since + timedelta(days=n) for n in range((today - since).days + 1)]
    rows = [
        FunnelRow(
            day.isoformat(),
            views.per_day.get(day, 0),
            *per_day.get(day, (0, 0)),
        )
        for day in reversed(days)
    ]
    signed = {
        source: (n, counted)
        for source, n, counted in received.filter(
            created_at__gte=timezone.make_aware(datetime.combine(since, time.min))
        )
        .values("source")
        .annotate(n=Count("pk"), counted=Count("pk", filter=Signature.COUNTED))
        .values_list("source", "n", "counted")
    }
    by_source = sorted(
        (
            FunnelRow(
                source, views.by_source.get(source, 0), *signed.get(source, (0, 0))
            )
            for source in views.by_source.keys() | signed.keys()
        ),
        key=lambda row: (-row.views, -row.signatures, row.label),
    )
    return Funnel(
        since=since,
        total=FunnelRow(
            "",
            sum(row.views for row in rows),
            sum(row.signatures for row in rows),
            sum(row.confirmed for row in rows),
        ),
        per_day=rows,
        by_source=by_source,
    )
