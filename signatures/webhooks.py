"""The email provider's tracking webhook: its reports of bounces and
complaints, for signatures/bounces.py."""

import logging
from functools import cache

from anymail.exceptions import AnymailAPIError
from anymail.utils import get_request_basic_auth
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)


@csrf_exempt  # the provider posts, with its credentials and signature
def email_tracking_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """The chosen email provider's tracking webhook, answered by Anymail's
    own view for it: it checks the webhook secret (and Mailgun's or
    SendGrid's signature), then signals each event to signatures/bounces.py.

    Only the provider in EMAIL_PROVIDER answers: with all of anymail.urls,
    every other provider's webhook would answer too, some with a 500 where
    their keys are missing, and with no provider at all (SMTP) there is no
    secret to check, so anyone could report any address as bouncing."""
    if not settings.EMAIL_PROVIDER or provider != settings.EMAIL_PROVIDER:
        raise Http404
    # Checked here first as well: Anymail's Amazon SES view reads the body
    # before the secret, and a forged one would end in a 500.
    secret = settings.ANYMAIL.get("WEBHOOK_SECRET", "")
    given = get_request_basic_auth(request) or ""
    if not (secret and constant_time_compare(given, secret)):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Basic realm="email provider webhook"'
        return response
    try:
        return _tracking_view(provider)(request)
    except (
        AnymailAPIError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
    ):
        # Past the secret, but not a payload Anymail's parser for this
        # provider can read (not JSON, or not shaped as its events): a 400,
        # not a 500. The database's own errors still give a 5xx, which the
        # provider retries.
        logger.warning("Unreadable %s webhook payload", provider, exc_info=True)
        return HttpResponse(status=400)


@cache
def _tracking_view(provider: str):
    # Imported on first use: Amazon's brings boto3 in.
    return import_string(settings.EMAIL_PROVIDERS[provider]["webhook"]).as_view()
