"""An organizer's actions on a campaign update: send a test to themselves,
then send it to every signer who asked for updates."""

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from signatures.services.email import queue
from updates.models import Update, UpdateDelivery, recipients_of
from updates.public import forget_shown_updates
from updates.tasks import send_update_deliveries, send_update_test

_CHUNK = 5000


class UpdateNotReady(Exception):
    """Why this update cannot go yet, in words for the organizer."""


def update_check_ready(*, update: Update) -> None:
    if not any(update.is_written_in(code) for code, _name in settings.LANGUAGES):
        raise UpdateNotReady(_("Write a subject and a text first."))
    if not settings.ORGANIZER_POSTAL_ADDRESS.strip():
        # Canada's anti-spam law: every message names its sender's address.
        raise UpdateNotReady(
            _("Set ORGANIZER_POSTAL_ADDRESS: every update must carry it.")
        )


def update_send_test(*, update: Update, user: User) -> list[str]:
    """Queue the update to the organizer's own address, once in each
    language it is written in; returns those languages."""
    update_check_ready(update=update)
    if not user.email:
        raise UpdateNotReady(_("Your account has no email address to send a test to."))
    languages = [
        code for code, _name in settings.LANGUAGES if update.is_written_in(code)
    ]
    for language in languages:
        queue(send_update_test, update_id=update.pk, language=language, to=user.email)
    return languages


def update_send(*, update: Update, user: User | None) -> int:
    """Start sending: one delivery row for every recipient now, made in this
    transaction with the tasks that send them, so nothing is half started.
    Returns how many will get it. Who stops updates before their turn comes
    is skipped then."""
    update_check_ready(update=update)
    with transaction.atomic():
        locked = Update.objects.select_for_update().get(pk=update.pk)
        if locked.status != Update.Status.DRAFT:
            raise UpdateNotReady(_("This update has already been sent."))
        ids = recipients_of(locked.petition).order_by("pk").values_list("pk", flat=True)
        count = 0
        batch: list[UpdateDelivery] = []
        for signature_id in ids.iterator(chunk_size=_CHUNK):
            batch.append(UpdateDelivery(update=locked, signature_id=signature_id))
            if len(batch) == _CHUNK:
                count += len(UpdateDelivery.objects.bulk_create(batch))
                batch.clear()
        count += len(UpdateDelivery.objects.bulk_create(batch))
        Update.objects.filter(pk=locked.pk).update(
            status=Update.Status.SENDING,
            sending_started_at=timezone.now(),
            sent_by=user,
            recipients=count,
        )
        petition_id = locked.petition_id
        # Listed on the petition's page from now on.
        transaction.on_commit(lambda: forget_shown_updates(petition_id))
        # Several chains at once, each claiming one delivery at a time; the
        # worker's threads and EMAIL_MAX_PER_SECOND set the pace.
        for _chain in range(settings.UPDATE_SEND_CHAINS):
            queue(send_update_deliveries, update_id=locked.pk)
    return count
