"""Reading a batch of paper signatures as an organizer typed it: a CSV file
from any spreadsheet, or the same text pasted into the admin. Only the
reading is here; every value is then checked by the web form's own rules
(signatures/services/paper.py)."""

import codecs
import csv
import io
import re
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from signatures.normalize import FORMULA_STARTS, without_case_or_accents

# nginx takes at most 256 KB on an admin page (deploy/nginx.conf), and the
# preview posts the text back once more: 200 KB is over 2,000 rows of
# names, addresses and postal codes, more than one event's stack of sheets.
MAX_BYTES = 200 * 1024
MAX_ROWS = 2000

# What a column may be called, in English or French, as compared: without
# accents, case, "-" or "_" (header_key). The first of each is the one the
# admin's help and the README show.
HEADERS: dict[str, tuple[str, ...]] = {
    "full_name": (
        "name",
        "full name",
        "nom",
        "nom complet",
        "prenom et nom",
        "nom et prenom",
    ),
    "first_name": ("first name", "given name", "prenom"),
    "last_name": ("last name", "family name", "surname", "nom de famille"),
    "email": ("email", "email address", "e mail", "courriel", "adresse courriel"),
    "postal_code": ("postal code", "postcode", "zip", "zip code", "code postal"),
    "country": ("country", "pays"),
    "wants_updates": (
        "updates",
        "wants updates",
        "keep me updated",
        "nouvelles",
        "mises a jour",
        "tenez moi au courant",
    ),
    "language": ("language", "langue"),
}
_FIELD_BY_HEADER = {name: field for field, names in HEADERS.items() for name in names}


class BatchUnreadable(Exception):
    """The text as a whole cannot be read as a batch; the message says why
    and what to do."""


@dataclass(frozen=True)
class RawRow:
    """One row as typed, by field; `number` is its row in the spreadsheet
    (the header is row 1)."""

    number: int
    values: dict[str, str]
    extra_cells: bool = False


def header_key(header: str) -> str:
    text = without_case_or_accents(header.strip().strip(":*"))
    return " ".join(re.sub(r"[-_]", " ", text).split())


def decoded(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark, as Excel's
    "CSV UTF-8" writes it), else Windows-1252, which older Excel writes on
    Windows and which reads any Latin-1 text too; UTF-16 with its mark."""
    if data.startswith(b"PK\x03\x04"):
        raise BatchUnreadable(
            _(
                "This is a spreadsheet file (.xlsx or .ods), not CSV: save it "
                "as “CSV UTF-8” (Excel) or “Text CSV” (LibreOffice) and upload that."
            )
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text": UTF-16 with its byte-order mark, tabs.
        try:
            return _text(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise BatchUnreadable(_not_text()) from None
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise BatchUnreadable(_not_text()) from None
    return _text(text)


def _text(text: str) -> str:
    if "\x00" in text:
        raise BatchUnreadable(_not_text())
    return text


def _not_text():
    return _(
        "This file is not text we can read. Save the sheet as CSV (UTF-8) and "
        "upload that file."
    )


def _delimiter(header_line: str) -> str:
    """Semicolons where a French spreadsheet writes them (its decimal mark is
    a comma), tabs from a paste, else commas."""
    return max([",", ";", "\t"], key=header_line.count)


def _as_typed(cell: str) -> str:
    """A cell as the person typed it. Our export puts an apostrophe before a
    cell a spreadsheet would run as a formula: an exported file read back
    loses it again. Anything else that starts like a formula is left for the
    form's rules to refuse."""
    cell = cell.strip()
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def read_rows(text: str) -> list[RawRow]:
    """The rows of a batch, by field. Raises BatchUnreadable for what no row
    can fix: no header, a column we do not know, too many rows."""
    text = text.removeprefix("\ufeff")
    if len(text.encode()) > MAX_BYTES:
        raise BatchUnreadable(_too_large())
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise BatchUnreadable(_empty())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    try:
        records = list(reader)
    except csv.Error:
        raise BatchUnreadable(_not_text()) from None
    # The header: the first row with something in it.
    start = next(
        (n for n, record in enumerate(records) if any(c.strip() for c in record)),
        None,
    )
    if start is None:
        raise BatchUnreadable(_empty())
    fields = _fields(records[start])
    rows: list[RawRow] = []
    for index, record in enumerate(records[start + 1 :], start=start + 2):
        cells = [_as_typed(cell) for cell in record]
        if not any(cells):
            continue  # a blank line between sheets
        if len(rows) == MAX_ROWS:
            raise BatchUnreadable(_too_large())
        values = {
            field: cell
            for field, cell in zip(fields, cells, strict=False)
            if field is not None
        }
        extra = any(cells[len(fields) :]) or any(
            cell for field, cell in zip(fields, cells, strict=False) if field is None
        )
        rows.append(RawRow(number=index, values=values, extra_cells=extra))
    if not rows:
        raise BatchUnreadable(_("The batch has a header row but no signers under it."))
    return rows


def _fields(header: list[str]) -> list[str | None]:
    fields: list[str | None] = []
    for cell in header:
        key = header_key(cell)
        if not key:
            fields.append(None)  # an empty column a spreadsheet kept
            continue
        field = _FIELD_BY_HEADER.get(key)
        if field is None:
            raise BatchUnreadable(
                format_lazy(
                    _("Unknown column “{column}”. The columns are: {columns}."),
                    column=cell.strip()[:60],
                    columns=accepted_headers(),
                )
            )
        if field in fields:
            raise BatchUnreadable(
                format_lazy(
                    _("The column “{column}” appears twice."), column=cell.strip()[:60]
                )
            )
        fields.append(field)
    # "Nom" beside "Prénom" is a family name, alone it is the whole name.
    if "first_name" in fields and "full_name" in fields and "last_name" not in fields:
        fields[fields.index("full_name")] = "last_name"
    has_name = "full_name" in fields or "first_name" in fields or "last_name" in fields
    if not has_name:
        raise BatchUnreadable(
            _(
                "The first row must name the columns, with at least a name column (Name or Nom)."
            )
        )
    return fields


def accepted_headers() -> str:
    return ", ".join(
        f"{names[0]} / {french}"
        for names, french in [
            (HEADERS["full_name"], "nom"),
            (HEADERS["first_name"], "prénom"),
            (HEADERS["last_name"], "nom de famille"),
            (HEADERS["email"], "courriel"),
            (HEADERS["postal_code"], "code postal"),
            (HEADERS["country"], "pays"),
            (HEADERS["wants_updates"], "nouvelles"),
            (HEADERS["language"], "langue"),
        ]
    )


def _empty():
    return _("The batch is empty: give a header row, then one row per signer.")


def _too_large():
    return format_lazy(
        _(
            "The batch is too large: at most {rows} rows and {size} KB at a "
            "time. Split it into several batches."
        ),
        rows=MAX_ROWS,
        size=MAX_BYTES // 1024,
    )
