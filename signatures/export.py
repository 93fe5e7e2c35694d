"""Signatures as CSV that opens safely in a spreadsheet, streamed row by row."""

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from signatures.consent import Withdrawal
from signatures.models import PROVINCES, SignatureQuerySet
from signatures.normalize import FORMULA_STARTS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def neutralise(value: object) -> str:
    """Make a cell inert: a leading quote turns a would-be formula into text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def country_names() -> dict[str, str]:
    """Code -> name in the active language, built once per export or page:
    django-countries translates again on every single lookup otherwise."""
    return {code: str(name) for code, name in countries}


def province_names() -> dict[str, str]:
    return {code: str(name) for code, name in PROVINCES}


def withdrawal_names() -> dict[str, str]:
    return {code: str(name) for code, name in Withdrawal.choices}


def _date(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes_no(value: object) -> str:
    return str(_("yes") if value else _("no"))


@dataclass(frozen=True)
class Column:
    label: "StrOrPromise"
    field: str
    shown: Callable[[object], str] | None = None
    # Codes shown by name: which table of names, built once per export.
    names: Callable[[], dict[str, str]] | None = None


COLUMNS: dict[str, Column] = {
    "full_name": Column(_("Name"), "full_name"),
    "email": Column(_("Email"), "email"),
    "postal_code": Column(_("Postal code"), "postal_code"),
    "province": Column(_("Province or territory"), "province", names=province_names),
    "country": Column(_("Country"), "country", names=country_names),
    "confirmed_at": Column(_("Confirmed at"), "confirmed_at", _date),
    "created_at": Column(_("Signed at"), "created_at", _date),
    "wants_updates": Column(_("Wants updates"), "wants_updates", _yes_no),
    "language": Column(_("Language"), "language"),
    # How the signer came: the landing link's channel, their own public
    # code, and the code of the signer whose link brought them.
    "source": Column(_("Source"), "source"),
    "referral_code": Column(_("Referral code"), "referral_code"),
    "referred_by": Column(_("Referred by"), "referred_by__referral_code"),
    # Signatures collected on paper: the batch's event, date and collectors.
    "paper_event": Column(_("Paper batch"), "paper_batch__event"),
    "paper_collected_on": Column(_("Collected on"), "paper_batch__collected_on"),
    "paper_collected_by": Column(_("Collected by"), "paper_batch__collected_by"),
    # Consent to updates on record (signatures/consent.py): the words ticked,
    # in the signer's language, when and on which form, and how it ended.
    "updates_consent_wording": Column(
        _("Consent wording"), "updates_consent_text__wording"
    ),
    "updates_consent_version": Column(
        _("Consent version"), "updates_consent_text__version"
    ),
    "updates_consent_at": Column(_("Consent given at"), "updates_consent_at", _date),
    "updates_consent_form": Column(_("Consent form"), "updates_consent_form"),
    "updates_withdrawn_at": Column(
        _("Consent withdrawn at"), "updates_withdrawn_at", _date
    ),
    "updates_withdrawn_via": Column(
        _("Consent withdrawn how"), "updates_withdrawn_via", names=withdrawal_names
    ),
}
DEFAULT_COLUMNS = ["full_name", "postal_code", "province", "country", "confirmed_at"]


class _Echo:
    """csv.writer wants a file; this one hands each line back instead."""

    def write(self, line: str) -> str:
        return line


def _formatter(column: Column) -> Callable[[object], str]:
    if column.names is not None:
        table = column.names()
        # Codes are strings; no answer is "" or None.
        return lambda value: table.get(value, value) if isinstance(value, str) else ""
    return column.shown or (lambda value: "" if value is None else str(value))


def csv_lines(
    signatures: SignatureQuerySet,
    columns: Iterable[str],
    *,
    on_done: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The confirmed signatures among `signatures`, one CSV line at a time.

    Starts with a byte-order mark so Excel reads UTF-8. Rows come from a
    server-side cursor in chunks: memory stays flat however many there are.
    """
    chosen = [COLUMNS[name] for name in columns]
    formats = [_formatter(column) for column in chosen]
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([str(column.label) for column in chosen])
    rows = (
        signatures.counted()
        .order_by("pk")
        .values_list(*[column.field for column in chosen])
        .iterator(chunk_size=5000)
    )
    count = 0
    # Inside a transaction the cursor streams; outside one PostgreSQL would
    # build the whole result (WITH HOLD) before sending the first row.
    with transaction.atomic():
        for row in rows:
            count += 1
            yield writer.writerow(
                [
                    neutralise(show(value))
                    for show, value in zip(formats, row, strict=True)
                ]
            )
    if on_done is not None:
        on_done(count)
