"""How the signature list is shown: a count that stays cheap at a million
rows, a date hierarchy from two index lookups, and the review and
undeliverable filters."""

from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Max, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from signatures.models import Signature, SignatureQuerySet


class CappedCountPaginator(Paginator):
    """Counts at most `cap` rows, so a page costs the same at a million rows
    as at a hundred; past the cap, filters narrow the list."""

    cap = 2_000
    # The admin's list pages through a queryset, never a plain sequence.
    object_list: QuerySet[Signature]

    @cached_property
    def count(self) -> int:
        # Unordered: counting needs no sort.
        return self.object_list.order_by()[: self.cap].count()

    @property
    def capped(self) -> bool:
        """True when there may be more rows than counted."""
        return self.count >= self.cap


class CalendarQuerySet(SignatureQuerySet):
    """For the admin's date hierarchy: every period from the first signature
    to the last, found with two index lookups instead of a DISTINCT over
    every row (periods without signatures are listed too)."""

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        first, last = (timezone.localdate(bounds[k]) for k in ("first", "last"))
        days: list[date] = []
        if kind == "year":
            days = [date(year, 1, 1) for year in range(first.year, last.year + 1)]
        elif kind == "month":
            year, month = first.year, first.month
            while (year, month) <= (last.year, last.month):
                days.append(date(year, month, 1))
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        else:
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return [timezone.make_aware(datetime.combine(day, time.min)) for day in days]


class ReviewFilter(admin.SimpleListFilter):
    """Signatures whose form looked automated, by reason: "any reason" is
    the organizers' review queue."""

    title = _("marked for review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("any", _("Any reason")),
            *Signature.Review.choices,
            ("none", _("Not marked")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.exclude(review_reason="")
        if value == "none":
            return queryset.filter(review_reason="")
        if value in Signature.Review.values:
            return queryset.filter(review_reason=value)
        return queryset


class UndeliverableFilter(admin.SimpleListFilter):
    """Signatures whose address the email provider reported as bouncing or
    complaining: nothing more is emailed to them."""

    title = _("email undeliverable")
    parameter_name = "undeliverable"

    def lookups(self, request, model_admin):
        return [
            ("any", _("Any reason")),
            *Signature.Undeliverable.choices,
            ("none", _("Deliverable")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.undeliverable()
        if value == "none":
            return queryset.deliverable()
        if value in Signature.Undeliverable.values:
            return queryset.filter(email_undeliverable_reason=value)
        return queryset
