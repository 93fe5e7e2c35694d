"""Business actions on petitions."""

import functools
import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from petition.images import image_columns
from petition.models import TEXT_FIELDS, Petition, PetitionVersion

logger = logging.getLogger(__name__)


def _normalised(text: str | None) -> str:
    # Browsers send text areas with CRLF line ends; the stored text may have LF.
    return (text or "").replace("\r\n", "\n").strip()


def _snapshot(petition: Petition) -> dict[str, Any]:
    """The whole text in every language. Stripped as the admin's form strips,
    so saving an unchanged text gives the same fingerprint."""
    languages = [code for code, _ in settings.LANGUAGES]
    snapshot: dict[str, Any] = {
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
    *, petition: Petition, user: User | None = None
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
                created_by=user,
                **snapshot,
            )
            Petition.objects.filter(pk=petition.pk).update(current_version=version)
    petition.current_version = version
    return version


def petition_current_version_id(petition: Petition) -> int:
    """The version a signature made now agrees to; recorded on first need."""
    if petition.current_version_id is None:
        # `petition` may be the public read model's copy (petition/public.py),
        # shared and perhaps seconds old: record the text as the database has
        # it now, on an instance of our own.
        fresh = Petition.objects.get(pk=petition.pk)
        return petition_version_record(petition=fresh).pk
    return petition.current_version_id


# Stand-ins, found again among the compiled query's parameters.
_SOME_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
_SOME_ROW = -424242


@functools.cache
def _takes_signatures_query(vendor: str) -> tuple[str, tuple[int, int], list]:
    """PetitionQuerySet.taking_signatures() for one row, compiled once to SQL:
    where the moment and the row go among its parameters."""
    query = Petition.objects.taking_signatures(at=_SOME_MOMENT).filter(pk=_SOME_ROW)
    sql, compiled = query.values("pk").query.sql_with_params()
    params = list(compiled)
    moment = connection.ops.adapt_datetimefield_value(_SOME_MOMENT)
    return sql, (params.index(moment), params.index(_SOME_ROW)), params


def petition_takes_signatures(petition: Petition) -> bool:
    """Open and published as the database has it now, not as the public
    read model last saw it: a petition closed on another host a moment ago
    takes no signature at all.

    Every signature asks, so the rule (PetitionQuerySet.taking_signatures)
    is compiled once and then sent as plain SQL: through the ORM each time
    it cost ten times the CPU (about 0.45 ms against 0.05 ms here)."""
    sql, (at, row), params = _takes_signatures_query(connection.vendor)
    params = list(params)
    params[at] = connection.ops.adapt_datetimefield_value(timezone.now())
    params[row] = petition.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def _images_shown(names: set[str]) -> set[str]:
    """Those of `names` that some petition shows now."""
    columns = image_columns()
    shown = Q()
    for column in columns:
        shown |= Q(**{f"{column}__in": names})
    rows = Petition.objects.filter(shown).values_list(*columns)
    return {name for row in rows for name in row if name in names}


def petition_images_replaced(*, petition: Petition, before: set[str]) -> None:
    """Delete from the storage the images a save replaced or cleared, once
    it commits: an organizer who removes a picture (a face, a place)
    expects it gone, not kept at an address someone may still hold. Each
    upload's name is made of its content's hash: the same picture uploaded
    to another petition has the same name where the storage overwrites
    (django-storages' S3Storage does by default), so a name another
    petition still shows is kept."""
    gone = before - petition.image_names()

    def delete() -> None:
        for name in gone - _images_shown(gone):
            try:
                default_storage.delete(name)
            except Exception:  # whatever the storage raises: S3's, the disk's
                # The save stands; a file left behind harms nobody's page.
                logger.warning("Replaced image %s not deleted from storage", name)

    if gone:
        transaction.on_commit(delete)
