"""Paper signatures: a batch typed in from sheets collected at an event,
checked row by row by the web form's rules, deduplicated by its rule (one
signature per address and petition), added all together as confirmed, or
not at all. Paper signers get no email (a link would let whoever reads the
inbox decide whether a signature made in person counts); their rows keep
their batch. An address signed online but never confirmed is confirmed by
the paper row, never skipped (it would count no one). A row without an
address is matched by name and postal code: a match is reported as a likely
duplicate, never counted twice.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import cache, partial

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm import events
from crm.models import EventType
from petition.models import Petition
from petition.services import petition_current_version_id
from signatures.consent import updates_consent_given
from signatures.counts import tally
from signatures.models import HeldSubmission, ModerationAction, PaperBatch, Signature
from signatures.normalize import (
    canonical_email,
    fold_whitespace,
    province_for_postal_code,
    without_case_or_accents,
    without_disguises,
)
from signatures.paper_csv import RawRow
from signatures.paper_forms import PaperRowForm, country_code
from signatures.services.moderation import record_action

SOURCE = "paper"

_YES = {"yes", "y", "oui", "o", "x", "1", "true", "vrai"}
_NO = {"", "no", "n", "non", "0", "false", "faux"}
_LANGUAGES = {
    "en": "en",
    "english": "en",
    "anglais": "en",
    "fr": "fr",
    "french": "fr",
    "francais": "fr",
}


@dataclass(frozen=True)
class RowError:
    row: int
    field: object  # the field's label, translated when shown
    message: object


@dataclass(frozen=True)
class Duplicate:
    row: int
    name: str
    why: object


@dataclass(frozen=True)
class PaperRow:
    """A row that passed every check, as it will be stored."""

    number: int
    details: dict
    email_canonical: str | None
    # Signed online, never confirmed: this row confirms it, not skipped.
    confirms_pending: bool = False


@dataclass
class BatchCheck:
    """What a batch would do: the rows to add, the errors that stop it, the
    duplicates it skips."""

    total: int = 0
    rows: list[PaperRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    def errors_by_row(self) -> dict[int, list[RowError]]:
        by_row: dict[int, list[RowError]] = {}
        for error in self.errors:
            by_row.setdefault(error.row, []).append(error)
        return by_row


class PaperBatchInvalid(Exception):
    def __init__(self, check: BatchCheck) -> None:
        super().__init__(f"{len(check.errors)} rows with errors")
        self.check = check


def _name_key(name: str, postal_code: str, country: str) -> tuple[str, str, str]:
    """How two rows without an address are compared: the name as a reader
    sees it, without case or accents, and where they live."""
    text = without_case_or_accents(without_disguises(name))
    return fold_whitespace(text), postal_code, country


def _yes_no(value: str) -> bool | None:
    answer = value.strip().casefold()
    if answer in _YES:
        return True
    return False if answer in _NO else None


def _language(value: str, default: str) -> str | None:
    if not value.strip():
        return default
    return _LANGUAGES.get(without_case_or_accents(value.strip()))


def _full_name(values: dict[str, str]) -> str:
    if "full_name" in values:
        return values["full_name"]
    return " ".join(
        part for part in (values.get("first_name"), values.get("last_name")) if part
    )


def _checked(raw: RawRow, language: str) -> tuple[PaperRow | None, list[RowError]]:
    values = raw.values
    form = PaperRowForm(
        data={
            "full_name": _full_name(values),
            "email": values.get("email", ""),
            "country": country_code(values.get("country", "")),
            "postal_code": values.get("postal_code", ""),
        }
    )
    errors = [
        RowError(
            raw.number, form.fields[name].label if name in form.fields else "", message
        )
        for name, messages in form.errors.items()
        for message in messages
    ]
    wants_updates = _yes_no(values.get("wants_updates", ""))
    if wants_updates is None:
        errors.append(
            RowError(raw.number, _("Updates"), _("Write yes or no (oui or non)."))
        )
    row_language = _language(values.get("language", ""), language)
    if row_language is None:
        errors.append(RowError(raw.number, _("Language"), _("Write en or fr.")))
    if raw.extra_cells:
        errors.append(
            RowError(
                raw.number,
                "",
                _("This row has more cells than the header row has columns."),
            )
        )
    if errors:
        return None, errors
    cleaned = form.cleaned_data
    email = cleaned["email"]
    country = cleaned["country"]
    postal_code = cleaned.get("postal_code", "")
    details = {
        "full_name": cleaned["full_name"],
        "email": email,
        "country": country,
        "postal_code": postal_code,
        "province": province_for_postal_code(postal_code) if country == "CA" else "",
        # Nobody can be written to without an address.
        "wants_updates": bool(wants_updates and email),
        "language": row_language,
    }
    canonical = canonical_email(email) if email else None
    return PaperRow(raw.number, details, canonical), []


def paper_batch_check(
    *, petition: Petition, rows: list[RawRow], language: str
) -> BatchCheck:
    """Every row through the web form's rules, then the duplicates found:
    of people who signed already (online or on paper), and within the batch."""
    check = BatchCheck(total=len(rows))
    valid: list[PaperRow] = []
    for raw in rows:
        row, errors = _checked(raw, language)
        check.errors.extend(errors)
        if row is not None:
            valid.append(row)
    emails = {row.email_canonical for row in valid if row.email_canonical}
    signed = Signature.objects.filter(petition=petition)
    by_email = {}
    pending = set()
    for canonical, batch_id, status in signed.filter(
        email_canonical__in=emails
    ).values_list("email_canonical", "paper_batch_id", "status"):
        if status == Signature.Status.PENDING:
            # Never counted: skipping the row would count this person never.
            pending.add(canonical)
        else:
            by_email[canonical] = batch_id
    by_name = {
        _name_key(name, postal_code, country): batch_id
        for name, postal_code, country, batch_id in signed.filter(
            postal_code__in={
                row.details["postal_code"] for row in valid if not row.email_canonical
            }
        ).values_list("full_name", "postal_code", "country", "paper_batch_id")
    }
    seen_emails: dict[str, int] = {}
    seen_names: dict[tuple[str, str, str], int] = {}
    for row in valid:
        name = row.details["full_name"]
        key = _name_key(name, row.details["postal_code"], row.details["country"])
        why = _duplicate(row, key, by_email, by_name, seen_emails, seen_names)
        if why:
            check.duplicates.append(Duplicate(row.number, name, why))
            continue
        if row.email_canonical:
            seen_emails[row.email_canonical] = row.number
            row = replace(row, confirms_pending=row.email_canonical in pending)
        seen_names.setdefault(key, row.number)
        check.rows.append(row)
    return check


def _duplicate(row, key, by_email, by_name, seen_emails, seen_names) -> object:
    """Why a row is someone already counted ("" if it is not)."""
    canonical = row.email_canonical
    if canonical and canonical in by_email:
        return _already_signed(by_email[canonical], _("this email address"))
    if canonical and canonical in seen_emails:
        return format_lazy(
            _("Same email address as row {row}."), row=seen_emails[canonical]
        )
    if canonical:
        return ""
    if key in by_name:
        return _already_signed(by_name[key], _("this name and postal code"))
    if key in seen_names:
        return format_lazy(
            _("Likely the same person as row {row}: same name and postal code."),
            row=seen_names[key],
        )
    return ""


def _already_signed(paper_batch_id: int | None, what: object) -> object:
    if paper_batch_id is None:
        return format_lazy(_("Already signed online with {what}."), what=what)
    return format_lazy(_("Already added from paper with {what}."), what=what)


def _paper_consent(batch: PaperBatch) -> Callable[[dict], dict]:
    """Consent to updates, on record for a paper signer who ticked the
    sheet's box: the site's own wording in their language (the sheet is to
    print the same words: README), from the form "paper-batch-<id>", looked
    up once per language, not per row."""
    form = f"paper-batch-{batch.pk}"
    given = cache(partial(updates_consent_given, form_version=form))
    return lambda row: given(language=row["language"]) if row["wants_updates"] else {}


def _confirm_pending(
    *, petition: Petition, rows: list[PaperRow], batch: PaperBatch, consent, now
) -> set[int]:
    """Confirm the online signatures these signers never confirmed, in the
    words on paper (whoever typed the address online may not be them);
    their held submissions go. Returns their keys."""
    keys = set()
    for row in rows:
        pending = Signature.objects.filter(
            petition=petition,
            email_canonical=row.email_canonical,
            status=Signature.Status.PENDING,
        )
        key = pending.values_list("pk", flat=True).first()
        if key is None:
            continue  # confirmed or withdrawn since the check
        pending.update(
            status=Signature.Status.CONFIRMED,
            confirmed_at=now,
            review_reason="",
            paper_batch=batch,
            **row.details,
            **consent(row.details),
        )
        HeldSubmission.objects.filter(
            petition=petition, email_canonical=row.email_canonical
        ).delete()
        keys.add(key)
    return keys


def paper_batch_import(
    *,
    petition: Petition,
    rows: list[RawRow],
    language: str,
    event: str,
    collected_on: date,
    collected_by: str,
    user: User | None,
) -> PaperBatch:
    """Add the batch, all of it or nothing: checked again here (the preview
    the organizer saw may be minutes old), its rows stored as confirmed
    paper signatures, the count moved once by as many, and the import put
    on record. Raises PaperBatchInvalid, adding nothing, if any row has an
    error."""
    with transaction.atomic():
        # One import at a time per petition (two adding the same stack would
        # miss each other's rows without an address); NO KEY: web signers'
        # inserts do not wait for it.
        Petition.objects.select_for_update(no_key=True).filter(pk=petition.pk).first()
        check = paper_batch_check(petition=petition, rows=rows, language=language)
        if check.errors:
            raise PaperBatchInvalid(check)
        batch = PaperBatch.objects.create(
            petition=petition,
            event=event,
            collected_on=collected_on,
            collected_by=collected_by,
            created_by=user,
            rows=check.total,
        )
        now = timezone.now()
        consent = _paper_consent(batch)
        # Signed on the day of the event; the hour is not known.
        signed_at = min(
            now, timezone.make_aware(datetime.combine(collected_on, time(12)))
        )
        version_id = petition_current_version_id(petition)
        # A web signer who signs between the check and this insert keeps
        # their signature: the unique address rule skips the paper row.
        Signature.objects.bulk_create(
            [
                Signature(
                    petition=petition,
                    email_canonical=row.email_canonical,
                    status=Signature.Status.CONFIRMED,
                    created_at=signed_at,
                    confirmed_at=now,
                    ip_hash="",
                    petition_version_id=version_id,
                    source=SOURCE,
                    paper_batch=batch,
                    **row.details,
                    **consent(row.details),
                )
                for row in check.rows
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        confirmed = _confirm_pending(
            petition=petition,
            rows=[row for row in check.rows if row.confirms_pending],
            batch=batch,
            consent=consent,
            now=now,
        )
        batch.imported = batch.signatures.count()
        batch.skipped = check.total - batch.imported
        batch.save(update_fields=["imported", "skipped"])
        record_action(
            kind=ModerationAction.Kind.PAPER,
            user=user,
            count=batch.imported,
            reason=str(batch)[:200],
            criteria={
                "paper_batch": batch.pk,
                "petition": petition.pk,
                "rows": batch.rows,
                "duplicates_skipped": batch.skipped,
            },
        )
        # The whole batch moves the count once, by as many as were added.
        transaction.on_commit(partial(tally, petition.pk, batch.imported))
        # The organization's systems hear of paper signers as of web ones
        # (created, then confirmed); checked once, not per row, as a batch
        # with no one listening should cost nothing more.
        if events.anyone_listens(
            EventType.SIGNATURE_CREATED, EventType.SIGNATURE_CONFIRMED
        ):
            for signature in batch.signatures.select_related("petition"):
                if signature.pk in confirmed:
                    events.safely(
                        events.signature_event,
                        EventType.SIGNATURE_CONFIRMED,
                        signature,
                    )
                else:
                    events.safely(events.signature_created, signature)
    return batch
