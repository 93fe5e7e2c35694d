"""What happens once an update has gone to every recipient, beside the
update's own record: the organization's systems hear of it (crm/), with no
personal data. Called exactly once per update, after the commit that marks
it sent (tasks.finish_if_done)."""

import logging

from django.db import transaction

from crm.events import emit_event
from crm.models import EventType, new_event_id
from updates.models import Update

logger = logging.getLogger(__name__)


def update_sent(update: Update) -> None:
    try:
        with transaction.atomic():
            emit_event(
                type=EventType.UPDATE_SENT,
                petition=update.petition,
                data={
                    "update": update.pk,
                    "petition": update.petition.slug,
                    "subject": {"en": update.subject_en, "fr": update.subject_fr},
                    "recipients": update.recipients,
                    "sent_at": update.sent_at.isoformat() if update.sent_at else None,
                },
                # The same id if this ran twice: receivers see one event.
                event_id=new_event_id(f"update.sent:{update.pk}"),
            )
    except Exception:
        # The update is sent and recorded as such; the event's own failure
        # is the webhooks' to report, and must not mark the sending failed.
        logger.exception("Update %s: the update.sent event failed", update.pk)
