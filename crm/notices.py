"""Telling the organizers that a receiver was switched off."""

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.urls import reverse

from crm.models import ActionNetworkTarget, WebhookEndpoint
from signatures.emails import send_organizer_notice

logger = logging.getLogger(__name__)

ORGANIZERS = "Organizers"


def organizer_addresses() -> list[str]:
    """Everyone who runs the site's campaigns: the Organizers group and the
    superusers, active, with an address."""
    return sorted(
        set(
            User.objects.filter(
                Q(groups__name=ORGANIZERS) | Q(is_superuser=True), is_active=True
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def tell_organizers_switched_off(
    receiver: WebhookEndpoint | ActionNetworkTarget, *, reason: str
) -> None:
    meta = type(receiver)._meta
    path = reverse(
        f"admin:{meta.app_label}_{meta.model_name}_change", args=[receiver.pk]
    )
    try:
        send_organizer_notice(
            template="receiver_switched_off",
            context={
                "receiver": str(receiver),
                "reason": reason,
                "hours": settings.WEBHOOKS_DISABLE_AFTER_HOURS,
                "admin_url": settings.SITE_URL + path,
            },
            recipients=organizer_addresses(),
        )
    except (OSError, ValueError):
        # The admin shows it switched off all the same.
        logger.exception("Organizers not told that %s was switched off", receiver)
