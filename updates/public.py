"""The updates a petition's page lists, kept in the shared cache like the
rest of what the page shows (petition/public.py): the page makes no query
between two reads. An update that starts going out drops the entry."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString

from petition.markup import render_campaign
from updates.models import Update

logger = logging.getLogger(__name__)

# The page lists the latest few; all of them went to signers' inboxes.
SHOWN = 5
# Dropped when an update goes out; this only bounds a lost drop.
KEEP_SECONDS = 3600


@dataclass(frozen=True)
class ShownUpdate:
    language: str
    subject: str
    body: SafeString
    sent_at: datetime | None


def _key(petition_id: int, language: str) -> str:
    # Named after the columns it holds: a release that changes them reads
    # no old entry.
    return f"campaign-updates:subject,body,sent:{petition_id}:{language}"


def forget_shown_updates(petition_id: int) -> None:
    cache.delete_many([_key(petition_id, code) for code, _name in settings.LANGUAGES])


def shown_updates(petition_id: int, language: str) -> list[ShownUpdate]:
    entry = cache.get(_key(petition_id, language))
    if not isinstance(entry, list):
        try:
            updates = Update.objects.sent().filter(petition_id=petition_id)
            entry = [
                {
                    "language": update.shown_language(language),
                    "subject": update.subject(language),
                    "body": update.body(language),
                    "sent_at": update.sending_started_at.isoformat()
                    if update.sending_started_at
                    else "",
                }
                for update in updates.order_by("-sending_started_at")[:SHOWN]
            ]
        except DatabaseError:
            # The page is kept and served while the database is away; one
            # rendering can go without its updates.
            logger.warning("Campaign updates left off the page: database unavailable")
            return []
        cache.set(_key(petition_id, language), entry, KEEP_SECONDS)
    return [
        ShownUpdate(
            language=item["language"],
            subject=item["subject"],
            # The Markdown kept, rendered here as the petition's own text is.
            body=render_campaign(item["body"], "", frozenset()).body,
            sent_at=parse_datetime(item["sent_at"]) if item["sent_at"] else None,
        )
        for item in entry
    ]
