"""Page views for organizers: the days that are over folded from the cache
into DailyViews, and every day read back, today's live from the cache."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction

from visits import counter
from visits.models import DailyViews


@dataclass(frozen=True)
class Views:
    """A petition's page views per day (only days that had some) and per
    source (summed over those days; "" for visits that named none)."""

    per_day: dict[date, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.per_day.values())

    @property
    def first_day(self) -> date | None:
        return min(self.per_day, default=None)


def _merged(kept: dict, cached: dict) -> dict:
    return {
        source: max(kept.get(source, 0), cached.get(source, 0))
        for source in kept.keys() | cached.keys()
    }


@transaction.atomic
def views_fold(*, petition_id: int, today: date) -> dict[date, tuple[int, dict]]:
    """Keep in the database the views the cache holds for the days before
    `today`, and return what it holds for `today`.

    Idempotent: a day over no longer changes in the cache, and a row only
    ever grows (the larger of each figure is kept), so folding again, from
    any host, at any time, changes nothing; a day the cache lost (a
    restart, an eviction) keeps the row it had. Two queries at most: one
    read, and one write when a day has more than its row."""
    days = [today - timedelta(days=n) for n in range(counter.KEPT_DAYS + 1)]
    cached = counter.counted(petition_id, days)
    live = {today: cached.pop(today)} if today in cached else {}
    if not cached:
        return live
    rows = {
        row.day: row
        for row in DailyViews.objects.filter(petition_id=petition_id, day__in=cached)
    }
    changed = []
    for day, (views, by_source) in cached.items():
        row = rows.get(day, DailyViews(views=0, by_source={}))
        merged = _merged(row.by_source, by_source)
        if views > row.views or merged != row.by_source:
            changed.append(
                DailyViews(
                    petition_id=petition_id,
                    day=day,
                    views=max(row.views, views),
                    by_source=merged,
                )
            )
    if changed:
        DailyViews.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["petition", "day"],
            update_fields=["views", "by_source"],
        )
    return live


def petition_views(*, petition_id: int, today: date) -> Views:
    """Every day's views, the days over from the database once folded, today
    from the cache. Three queries at most."""
    live = views_fold(petition_id=petition_id, today=today)
    per_day: dict[date, int] = {}
    by_source: dict[str, int] = {}
    rows = DailyViews.objects.filter(petition_id=petition_id, day__lt=today)
    days = [
        *rows.values_list("day", "views", "by_source"),
        *((day, views, sources) for day, (views, sources) in live.items()),
    ]
    for day, views, sources in days:
        if views:
            per_day[day] = views
        for source, n in sources.items():
            by_source[source] = by_source.get(source, 0) + n
    return Views(per_day=dict(sorted(per_day.items())), by_source=by_source)
