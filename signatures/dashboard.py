"""Figures for organizers: each one aggregated by the database in one query,
so the number of queries does not grow with the number of signatures."""

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone
from django_countries import countries
from django_tasks import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from petition.models import Petition
from signatures.charts import Chart, bar_chart
from signatures.funnel import Funnel, petition_funnel
from signatures.models import PROVINCES, Signature
from signatures.tasks import send_signature_email
from visits.services import petition_views

CHART_DAYS = 120
CHART_HOURS = 48

_NOT_INVALIDATED = ~Q(status=Signature.Status.INVALIDATED)


def _days(counts: dict[date, int], today: date) -> list[tuple[str, int]]:
    if not counts:
        return []
    start = max(min(counts), today - timedelta(days=CHART_DAYS - 1))
    return [
        (
            (start + timedelta(days=n)).isoformat(),
            counts.get(start + timedelta(days=n), 0),
        )
        for n in range((today - start).days + 1)
    ]


def _hours(counts: dict[datetime, int], now: datetime) -> list[tuple[str, int]]:
    # Stepped in UTC, labelled in local time: a daylight-saving change neither
    # drops an hour nor merges two.
    this_hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    by_hour = {hour.astimezone(UTC): n for hour, n in counts.items()}
    hours = [this_hour - timedelta(hours=n) for n in range(CHART_HOURS - 1, -1, -1)]
    return [
        (timezone.localtime(hour).strftime("%Y-%m-%d %H:00"), by_hour.get(hour, 0))
        for hour in hours
    ]


def _short_hour(label: str) -> str:
    """ "2026-11-27 14:00" as "11-27 14:00": the year is this one."""
    return label[5:]


TOP_REFERRERS = 10


@dataclass(frozen=True)
class SourceRow:
    """One channel (a landing link's ?source=; "" for none)."""

    source: str
    received: int
    confirmed: int

    @property
    def confirmation_rate(self) -> float | None:
        """Confirmed among those received, invalidated ones left out."""
        return self.confirmed / self.received if self.received else None


@dataclass(frozen=True)
class Referrer:
    """A signer whose own share links brought others: their public code
    only (the admin links it to the signature)."""

    code: str
    signature_id: int
    confirmed: int


@dataclass(frozen=True)
class Dashboard:
    computed_at: datetime
    confirmed: int
    pending: int
    invalidated: int
    withdrawn: int
    opted_in: int
    # Addresses the email provider reported as bouncing or complaining.
    undeliverable: int
    per_day: Chart
    per_hour: Chart
    views_per_day: Chart
    funnel: Funnel
    by_province: list[tuple[str, int]]
    by_country: list[tuple[str, int]]
    by_source: list[SourceRow]
    top_referrers: list[Referrer]


def petition_dashboard(petition: Petition) -> Dashboard:
    """Nine queries at most: one grouped by status, consent, province and
    country (the totals and breakdowns), one by day, one over the last hours,
    one by source, one for the top referrers; and for the funnel, up to
    three for the page views (visits.services) and one by source since."""
    signatures = Signature.objects.filter(petition=petition)
    totals = {
        "confirmed": 0,
        "pending": 0,
        "invalidated": 0,
        "withdrawn": 0,
        "opted_in": 0,
        "undeliverable": 0,
    }
    provinces: dict[str, int] = {}
    countries_seen: dict[str, int] = {}
    groups = (
        signatures.values("status", "wants_updates", "province", "country")
        .annotate(
            n=Count("pk"),
            counted=Count("pk", filter=Signature.COUNTED),
            undeliverable=Count("pk", filter=Q(email_undeliverable_at__isnull=False)),
        )
        .order_by()
    )
    for group in groups:
        status, n = group["status"], group["n"]
        totals[status] += n
        totals["undeliverable"] += group["undeliverable"]
        counted = group["counted"]
        if group["wants_updates"]:
            totals["opted_in"] += counted
        if counted:
            countries_seen[group["country"]] = (
                countries_seen.get(group["country"], 0) + counted
            )
            if group["country"] == "CA":
                provinces[group["province"]] = (
                    provinces.get(group["province"], 0) + counted
                )
    now = timezone.now()
    received = signatures.filter(_NOT_INVALIDATED)
    today = timezone.localdate(now)
    per_day_both = {
        day: (n, counted)
        for day, n, counted in received.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"), counted=Count("pk", filter=Signature.COUNTED))
        .values_list("day", "n", "counted")
    }
    per_day = {day: n for day, (n, _counted) in per_day_both.items()}
    views = petition_views(petition_id=petition.pk, today=today)
    per_hour = dict(
        received.filter(created_at__gte=now - timedelta(hours=CHART_HOURS))
        .annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values("hour")
        .annotate(n=Count("pk"))
        .values_list("hour", "n")
    )
    by_source = [
        SourceRow(source=row["source"], received=row["n"], confirmed=row["counted"])
        for row in received.values("source")
        .annotate(n=Count("pk"), counted=Count("pk", filter=Signature.COUNTED))
        .order_by("-counted", "-n", "source")
    ]
    top_referrers = [
        Referrer(code=code or "", signature_id=referrer_id, confirmed=n)
        for referrer_id, code, n in signatures.counted()
        .filter(referred_by__isnull=False)
        .values("referred_by", "referred_by__referral_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "referred_by")
        .values_list("referred_by", "referred_by__referral_code", "n")[:TOP_REFERRERS]
        if referrer_id is not None  # filtered out above; for the type checker
    ]
    province_names = dict(PROVINCES)
    country_names = dict(countries)
    return Dashboard(
        computed_at=now,
        **totals,
        per_day=bar_chart(_days(per_day, today)),
        per_hour=bar_chart(_hours(per_hour, now), tick_label=_short_hour),
        views_per_day=bar_chart(_days(views.per_day, today)),
        funnel=petition_funnel(
            views=views, received=received, per_day=per_day_both, today=today
        ),
        by_province=_ranked(
            provinces, lambda code: str(province_names.get(code, "")) or "—"
        ),
        by_country=_ranked(
            countries_seen, lambda code: str(country_names.get(code, code))
        ),
        by_source=by_source,
        top_referrers=top_referrers,
    )


def _ranked(counts: dict[str, int], name) -> list[tuple[str, int]]:
    return [
        (name(code), n)
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


@dataclass(frozen=True)
class Report:
    total: int
    first: datetime | None
    last: datetime | None
    by_province: list[tuple[str, int]]
    outside_canada: int


def petition_report(petition: Petition) -> Report:
    """What the addressees receive: the total and where signers live."""
    confirmed = Signature.objects.counted().filter(petition=petition)
    summary = confirmed.aggregate(
        total=Count("pk"),
        first=Min("confirmed_at"),
        last=Max("confirmed_at"),
        outside_canada=Count("pk", filter=~Q(country="CA")),
    )
    counts = dict(
        confirmed.filter(country="CA")
        .values("province")
        .annotate(n=Count("pk"))
        .values_list("province", "n")
    )
    by_province = [(str(name), counts.get(code, 0)) for code, name in PROVINCES]
    return Report(**summary, by_province=by_province)


# --- The email queue (operators) -----------------------------------------------


@dataclass(frozen=True)
class EmailQueue:
    """The email queue as a worker sees it: how far behind the emails are."""

    waiting: int
    running: int
    failed: int
    oldest_waiting_seconds: int | None
    finished_last_minute: int

    def as_json(self) -> dict:
        return asdict(self)


def email_queue() -> EmailQueue | None:
    """One grouped query over the database queue; None when emails are not
    queued in the database (sent at once in development)."""
    if not isinstance(send_signature_email.get_backend(), DatabaseBackend):
        return None
    now = timezone.now()
    figures = DBTaskResult.objects.filter(queue_name="email").aggregate(
        waiting=Count("pk", filter=Q(status=TaskResultStatus.READY)),
        running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
        failed=Count("pk", filter=Q(status=TaskResultStatus.FAILED)),
        oldest=Min("enqueued_at", filter=Q(status=TaskResultStatus.READY)),
        finished_last_minute=Count(
            "pk",
            filter=Q(
                status=TaskResultStatus.SUCCESSFUL,
                finished_at__gte=now - timedelta(minutes=1),
            ),
        ),
    )
    oldest = figures.pop("oldest")
    return EmailQueue(
        **figures,
        oldest_waiting_seconds=int((now - oldest).total_seconds()) if oldest else None,
    )
