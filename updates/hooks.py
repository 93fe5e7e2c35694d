"""What happens once an update has gone to every recipient, beside the
update's own record: the one place other parts of the site are told.

>>> WEBHOOKS (issue 16, item 3) PLUG IN HERE. <<<
`update_sent` is called exactly once per update, after the commit that marks
it sent (tasks.finish_if_done). It calls the webhooks' `emit_event`, if that
module is installed, with an event carrying no personal data.
"""

import logging

from django.utils.module_loading import import_string

from updates.models import Update

logger = logging.getLogger(__name__)

# Where the webhooks' emitter lives; absent, nothing is emitted.
EMIT_EVENT = "webhooks.events.emit_event"


def update_sent(update: Update) -> None:
    try:
        emit_event = import_string(EMIT_EVENT)
    except ImportError:
        return
    try:
        _emit(emit_event, update)
    except Exception:
        # The update is sent and recorded as such; the event's own failure
        # is the webhooks' to report, and must not mark the sending failed.
        logger.exception("Update %s: the update.sent event failed", update.pk)


def _emit(emit_event, update: Update) -> None:
    emit_event(
        "update.sent",
        {
            "update": update.pk,
            "petition": update.petition.slug,
            "subject": {"en": update.subject_en, "fr": update.subject_fr},
            "recipients": update.recipients,
            "sent_at": update.sent_at.isoformat() if update.sent_at else None,
        },
    )
