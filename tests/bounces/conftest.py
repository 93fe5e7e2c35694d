"""The site's email provider chosen, signers sharing one inbox, their
address reported, an organizer."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from signatures.models import Signature
from tests.bounces.reports import (
    MAILGUN_SIGNING_KEY,
    SAME_INBOX,
    SECRET,
    SENDGRID_PUBLIC_KEY,
    TYPED,
    postmark_bounce,
    report,
)
from tests.factories import PetitionFactory, SignatureFactory


@pytest.fixture
def provider(settings):
    """Choose the site's email provider, configured as the settings module
    configures it from the environment, with every webhook key set."""

    def choose(name: str) -> None:
        settings.EMAIL_PROVIDER = name
        settings.ANYMAIL = {
            "WEBHOOK_SECRET": SECRET,
            "MAILGUN_API_KEY": "key-mailgun-api",
            "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
            "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": SENDGRID_PUBLIC_KEY,
            "AMAZON_SES_CLIENT_PARAMS": {"region_name": "ca-central-1"},
        }

    return choose


@pytest.fixture
def signers(seed_campaign) -> dict[str, Signature]:
    """One inbox that signed two petitions, as typed two ways; and someone else."""
    other = PetitionFactory()
    return {
        "typed": SignatureFactory.create(
            petition=seed_campaign, email=TYPED, email_canonical="janedoe@gmail.com"
        ),
        "same_inbox": SignatureFactory.create(
            petition=other,
            email=SAME_INBOX,
            email_canonical="janedoe@gmail.com",
            pending=True,
        ),
        "someone_else": SignatureFactory.create(petition=seed_campaign),
    }


@pytest.fixture
def bounced(client, provider, signers) -> dict[str, Signature]:
    """The signers, after Postmark reported the inbox's hard bounce."""
    provider("postmark")
    assert report(client, "postmark", postmark_bounce(TYPED)).status_code == 200
    for signature in signers.values():
        signature.refresh_from_db()
    return signers


@pytest.fixture
def organizer(client) -> User:
    call_command("createorganizer", "organizer@example.org", stdout=StringIO())
    user = User.objects.get(username="organizer@example.org")
    client.force_login(user)
    return user
