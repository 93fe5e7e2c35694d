"""Signatures as CSV that opens safely in a spreadsheet, streamed row by row."""

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from signatures.models import PROVINCES, Signature

# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PROVINCE_NAMES = dict(PROVINCES)


def neutralise(value: object) -> str:
    """Make a cell inert: a leading quote turns a would-be formula into text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def _date(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@dataclass(frozen=True)
class Column:
    label: str
    field: str
    shown: Callable[[object], str] = str


COLUMNS: dict[str, Column] = {
    "full_name": Column(_("Name"), "full_name"),
    "email": Column(_("Email"), "email"),
    "postal_code": Column(_("Postal code"), "postal_code"),
    "province": Column(
        _("Province or territory"),
        "province",
        lambda v: str(_PROVINCE_NAMES.get(v, "")),
    ),
    "country": Column(_("Country"), "country", lambda v: str(countries.name(v))),
    "confirmed_at": Column(_("Confirmed at"), "confirmed_at", _date),
    "created_at": Column(_("Signed at"), "created_at", _date),
    "wants_updates": Column(
        _("Wants updates"), "wants_updates", lambda v: "yes" if v else "no"
    ),
    "language": Column(_("Language"), "language"),
}
DEFAULT_COLUMNS = ["full_name", "postal_code", "province", "country", "confirmed_at"]


class _Echo:
    """csv.writer wants a file; this one hands each line back instead."""

    def write(self, line: str) -> str:
        return line


def csv_lines(
    signatures: QuerySet[Signature],
    columns: Iterable[str],
    *,
    on_done: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The confirmed signatures among `signatures`, one CSV line at a time.

    Starts with a byte-order mark so Excel reads UTF-8. Rows come from a
    server-side cursor in chunks: memory stays flat however many there are.
    """
    chosen = [COLUMNS[name] for name in columns]
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([str(column.label) for column in chosen])
    rows = (
        signatures.counted()
        .order_by("pk")
        .values_list(*[column.field for column in chosen])
        .iterator(chunk_size=2000)
    )
    count = 0
    for row in rows:
        count += 1
        yield writer.writerow(
            [
                neutralise(column.shown(value))
                for column, value in zip(chosen, row, strict=True)
            ]
        )
    if on_done is not None:
        on_done(count)
