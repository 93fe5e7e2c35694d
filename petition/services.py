"""Business actions on petitions."""

import functools
import hashlib
import json
import time

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from petition.kept import KeptInProcess
from petition.models import TEXT_FIELDS, Petition, PetitionVersion


def _normalised(text: str | None) -> str:
    # Browsers send text areas with CRLF line ends; the stored text may have LF.
    return (text or "").replace("\r\n", "\n").strip()


def _snapshot(petition: Petition) -> dict:
    """The whole text in every language. Stripped as the admin's form strips,
    so saving an unchanged text gives the same fingerprint."""
    languages = [code for code, _ in settings.LANGUAGES]
    snapshot = {
        f"{field}_{language}": _normalised(getattr(petition, f"{field}_{language}"))
        for field in TEXT_FIELDS
        for language in languages
    }
    # The untranslated columns hold the default language's text.
    snapshot.update(
        {field: snapshot[f"{field}_{settings.LANGUAGE_CODE}"] for field in TEXT_FIELDS}
    )
    snapshot["footnotes"] = [
        {
            "number": footnote.number,
            "url": footnote.url,
            **{
                f"text_{language}": getattr(footnote, f"text_{language}") or ""
                for language in languages
            },
        }
        for footnote in petition.footnotes.order_by("number")
    ]
    return snapshot


def content_hash(snapshot: dict) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()


def petition_version_record(
    *, petition: Petition, user: AbstractBaseUser | None = None
) -> PetitionVersion:
    """Keep the text as it stands now, if it changed since the last version.

    Returns the current version: the one new signatures point at.
    """
    snapshot = _snapshot(petition)
    digest = content_hash(snapshot)
    if (
        petition.current_version is not None
        and petition.current_version.content_hash == digest
    ):
        return petition.current_version
    with transaction.atomic():
        # One recorder at a time per petition: simultaneous first signers or
        # two organizers saving at once must not both number a version.
        locked = Petition.objects.select_for_update(of=("self",)).get(pk=petition.pk)
        current = locked.current_version
        if current is not None and current.content_hash == digest:
            version = current
        else:
            last = petition.versions.aggregate(last=Max("number"))["last"] or 0
            version = PetitionVersion.objects.create(
                petition=petition,
                number=last + 1,
                content_hash=digest,
                created_by=user if user is not None and user.is_authenticated else None,
                **snapshot,
            )
            Petition.objects.filter(pk=petition.pk).update(current_version=version)
    petition.current_version = version
    return version


def petition_current_version_id(petition: Petition) -> int:
    """The version a signature made now agrees to; recorded on first need."""
    if petition.current_version_id is None:
        # `petition` may be the copy this process's threads share (see
        # petition_published), perhaps a second old: record the text as the
        # database has it now, on an instance of our own.
        fresh = Petition.objects.get(pk=petition.pk)
        return petition_version_record(petition=fresh).pk
    return petition.current_version_id


# slug ("" for the featured petition) -> the petition, or None
_published_recently: KeptInProcess[Petition | None] = KeptInProcess(max_entries=256)


def _clock() -> float:
    return time.monotonic()


def petition_published(
    *, slug: str | None = None, fresh: bool = False
) -> Petition | None:
    """The published petition at `slug` (without one, the featured petition),
    as the database had it at most PAGE_CACHE_SECONDS ago, or now if `fresh`.

    Every page view starts here, so the answer is kept in this process for
    that long rather than queried each time: under load that one query was
    over half the cost of the count endpoint. The instance is shared by this
    process's threads: read it, never change it. An organizer's edit shows
    on pages within PAGE_CACHE_SECONDS, as the rendered page already does;
    signing checks petition_takes_signatures as well.
    """

    def query() -> Petition | None:
        if slug is None:
            return Petition.objects.featured()
        return Petition.objects.published().filter(slug=slug).first()

    return _published_recently.get_or_make(slug or "", query, now=_clock(), fresh=fresh)


@functools.cache
def _takes_signatures_sql() -> str:
    meta = Petition._meta
    column = {name: meta.get_field(name).column for name in ("is_open", "published_at")}
    # Names from the model, quoted; the values go as parameters.
    return (
        f"SELECT 1 FROM {connection.ops.quote_name(meta.db_table)} "  # noqa: S608
        f"WHERE {connection.ops.quote_name(meta.pk.column)} = %s "
        f"AND {connection.ops.quote_name(column['is_open'])} "
        f"AND {connection.ops.quote_name(column['published_at'])} <= %s"
    )


def petition_takes_signatures(petition: Petition) -> bool:
    """Open and published as the database has it now, not as kept for pages:
    a petition closed in another process takes no signature at all.

    Every signature asks, so it is one plain query: the same question through
    the ORM (published().filter(...).exists()) cost five times the CPU, a
    sixth of the whole sign POST."""
    with connection.cursor() as cursor:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(_takes_signatures_sql(), [petition.pk, now])
        return cursor.fetchone() is not None


def petition_published_forget() -> None:
    """Drop what petition_published keeps (between tests, say)."""
    _published_recently.clear()


def petition_saved(*, using: str, **kwargs) -> None:
    """On every save in this process, so an organizer sees their own edit at
    once: forget now, and again once the save commits, since another thread
    may read the old row in between and keep it."""
    _published_recently.clear()
    transaction.on_commit(_published_recently.clear, using=using)
