"""Email configuration too long to read inline in config/settings.py: the
email providers it can send through (django-anymail), Anymail's settings for
the one chosen, and the backends that deliver nothing."""

from typing import TypedDict

import environ
from django.core.exceptions import ImproperlyConfigured

from core.env import env


class EmailProvider(TypedDict):
    backend: str
    webhook: str
    needs: list[str]
    may_have: list[str]


# Each provider's Anymail backend and tracking webhook view (served at
# /anymail/<provider>/tracking/, for the chosen provider only), the variables
# it needs, then those it may have, each read from the environment variable
# of the same name (Anymail's own setting names; Amazon's standard AWS_* ones).
EMAIL_PROVIDER_CHOICES: dict[str, EmailProvider] = {
    "amazon_ses": {
        "backend": "anymail.backends.amazon_ses.EmailBackend",
        "webhook": "anymail.webhooks.amazon_ses.AmazonSESTrackingWebhookView",
        "needs": ["AWS_REGION"],
        # Without keys, boto3 finds its own (an instance role, ~/.aws).
        "may_have": [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AMAZON_SES_CONFIGURATION_SET_NAME",
        ],
    },
    "brevo": {
        "backend": "anymail.backends.brevo.EmailBackend",
        "webhook": "anymail.webhooks.brevo.BrevoTrackingWebhookView",
        "needs": ["BREVO_API_KEY"],
        "may_have": [],
    },
    "mailgun": {
        "backend": "anymail.backends.mailgun.EmailBackend",
        "webhook": "anymail.webhooks.mailgun.MailgunTrackingWebhookView",
        # The webhook signing key is not the API key: without it, every
        # bounce report would fail its signature check, unnoticed.
        "needs": ["MAILGUN_API_KEY", "MAILGUN_WEBHOOK_SIGNING_KEY"],
        # MAILGUN_API_URL=https://api.eu.mailgun.net/v3 for an EU account.
        "may_have": ["MAILGUN_SENDER_DOMAIN", "MAILGUN_API_URL"],
    },
    "postmark": {
        "backend": "anymail.backends.postmark.EmailBackend",
        "webhook": "anymail.webhooks.postmark.PostmarkTrackingWebhookView",
        "needs": ["POSTMARK_SERVER_TOKEN"],
        "may_have": ["POSTMARK_MESSAGE_STREAM"],
    },
    "sendgrid": {
        "backend": "anymail.backends.sendgrid.EmailBackend",
        "webhook": "anymail.webhooks.sendgrid.SendGridTrackingWebhookView",
        "needs": ["SENDGRID_API_KEY"],
        # The public key of SendGrid's signed event webhook.
        "may_have": ["SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY"],
    },
}


def anymail_settings(provider: str, *, timeout: int) -> dict:
    """Anymail's settings (ANYMAIL) for EMAIL_PROVIDER, read from the
    environment; `provider` is "" for SMTP. A provider's API call waits no
    longer than an SMTP command would (TASK_STALLED_AFTER_SECONDS counts on
    it)."""
    anymail: dict = {"REQUESTS_TIMEOUT": timeout}
    if not provider:
        return anymail
    chosen = EMAIL_PROVIDER_CHOICES[provider]
    for name in chosen["needs"] + chosen["may_have"]:
        if value := env.str(name, default="").strip():
            anymail[name] = value
        elif name in chosen["needs"]:
            raise ImproperlyConfigured(
                f"Environment variable {name} must be set when EMAIL_PROVIDER "
                f"is {provider}."
            )
    if provider == "amazon_ses":
        # Passed to boto3's client, which takes them by its own names.
        keys = {
            name.lower(): anymail.pop(name)
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
            if name in anymail
        }
        if len(keys) == 1:
            raise ImproperlyConfigured(
                "Environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "must be set together, or neither (boto3 then finds its own)."
            )
        anymail["AMAZON_SES_CLIENT_PARAMS"] = {
            "region_name": anymail.pop("AWS_REGION"),
            "config": {"connect_timeout": timeout, "read_timeout": timeout},
            **keys,
        }
    # The provider's webhook posts with this NAME:PASSWORD (HTTP basic auth,
    # in the URL given to the provider). Mailgun's and SendGrid's signatures
    # are checked as well, where configured.
    webhook_secret = env.str("EMAIL_WEBHOOK_SECRET", default="").strip()
    user, _colon, password = webhook_secret.partition(":")
    if not (user and password):
        raise ImproperlyConfigured(
            "Environment variable EMAIL_WEBHOOK_SECRET must be set when "
            "EMAIL_PROVIDER is set, as NAME:PASSWORD, both long and random: the "
            "provider's webhook URL carries it; without one, anyone could report "
            "any address as bouncing."
        )
    anymail["WEBHOOK_SECRET"] = webhook_secret
    return anymail


# EMAIL_URL's schemes: a mail server, or a backend that delivers nothing.
EMAIL_URL_SCHEMES = {
    "smtp",
    "smtps",
    "smtp+tls",
    "smtp+ssl",
    "consolemail",
    "filemail",
    "memorymail",
    "dummymail",
}


def smtp_settings(email_url: str) -> dict:
    """Django's EMAIL_* settings from EMAIL_URL, with Django's defaults for
    what it leaves out."""
    email = environ.Env.email_url_config(email_url)
    return {
        "EMAIL_BACKEND": email["EMAIL_BACKEND"],
        "EMAIL_HOST": email["EMAIL_HOST"] or "localhost",
        "EMAIL_PORT": email["EMAIL_PORT"] or 25,
        "EMAIL_HOST_USER": email["EMAIL_HOST_USER"] or "",
        "EMAIL_HOST_PASSWORD": email["EMAIL_HOST_PASSWORD"] or "",
        "EMAIL_USE_TLS": bool(email.get("EMAIL_USE_TLS")),
        "EMAIL_USE_SSL": bool(email.get("EMAIL_USE_SSL")),
        "EMAIL_FILE_PATH": email["EMAIL_FILE_PATH"] or None,
    }


# Backends that send nothing: email printed to the console (where it lands
# in the process's log, confirmation links and all) or kept in memory.
NON_DELIVERING_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    # Writes every message, address and link included, to a local file.
    "django.core.mail.backends.filebased.EmailBackend",
}


def check_email_choice(provider: str, *, email_url: str) -> None:
    """One way of sending: a known provider, or SMTP through EMAIL_URL."""
    if provider and provider not in EMAIL_PROVIDER_CHOICES:
        raise ImproperlyConfigured(
            "Environment variable EMAIL_PROVIDER must be one of "
            f"{', '.join(EMAIL_PROVIDER_CHOICES)} (or unset, for SMTP through "
            f"EMAIL_URL), not {provider!r}."
        )
    if provider and email_url.strip():
        # One of the two would be silently ignored.
        raise ImproperlyConfigured(
            f"Environment variables EMAIL_PROVIDER ({provider}) and EMAIL_URL "
            "are both set: remove EMAIL_URL to send through the provider's API, "
            "or EMAIL_PROVIDER to send by SMTP."
        )


def check_email_delivers(backend: str, *, email_url: str) -> None:
    """Refuse a backend that sends nothing (ALLOW_CONSOLE_EMAIL lifts this)."""
    if backend in NON_DELIVERING_BACKENDS:
        raise ImproperlyConfigured(
            "Environment variable EMAIL_URL must name a mail server (for example "
            "smtp+tls://user:password@smtp.example.org:587), or EMAIL_PROVIDER an "
            "email provider, when DEBUG is off: "
            f"{email_url.split(':', 1)[0]}:// sends no email, and would print "
            "signers' addresses and links to the log. Set ALLOW_CONSOLE_EMAIL=true "
            "if that is really meant."
        )
