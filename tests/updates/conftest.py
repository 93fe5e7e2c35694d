"""A petition with an update written in both languages, signers in every
state, and the site sending through a real SMTP server."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from signatures.consent import updates_consent_given
from signatures.models import Signature
from tests.factories import SignatureFactory
from updates.models import Update

POSTAL_ADDRESS = "Campaign for Refugees, 123 Example Street, Ottawa ON K1A 0B1"


@pytest.fixture(autouse=True)
def _organizer_address(settings):
    settings.ORGANIZER_POSTAL_ADDRESS = POSTAL_ADDRESS


@pytest.fixture
def organizer(client) -> User:
    """An organizer, logged in, with an address to send tests to."""
    call_command("createorganizer", "organizer@example.org", stdout=StringIO())
    user = User.objects.get(username="organizer@example.org")
    client.force_login(user)
    return user


@pytest.fixture
def update(seed_campaign) -> Update:
    return Update.objects.create(
        petition=seed_campaign,
        subject_en="We delivered the petition",
        body_en="Thank you. We handed **12,000 signatures** to the Minister.",
        subject_fr="Nous avons remis la pétition",
        body_fr="Merci. Nous avons remis **12 000 signatures** au ministre.",
    )


def consenting(petition, **fields) -> Signature:
    language = fields.setdefault("language", "en")
    return SignatureFactory.create(
        petition=petition,
        wants_updates=True,
        **updates_consent_given(language=language),
        **fields,
    )


@pytest.fixture
def signers(seed_campaign) -> dict:
    """One signer in each state that matters to who gets an update."""
    petition = seed_campaign
    return {
        "english": consenting(petition, email="anne@example.org", full_name="Anne"),
        "french": consenting(
            petition, email="eloise@example.org", full_name="Éloïse", language="fr"
        ),
        "unticked": SignatureFactory(petition=petition, email="quiet@example.org"),
        "unsubscribed": SignatureFactory(
            petition=petition,
            email="unsubscribed@example.org",
            updates_withdrawn_at=timezone.now(),
            updates_withdrawn_via="one_click",
        ),
        "withdrawn": consenting(
            petition,
            email="withdrawn@example.org",
            status=Signature.Status.WITHDRAWN,
        ),
        "invalidated": consenting(
            petition,
            email="invalidated@example.org",
            status=Signature.Status.INVALIDATED,
        ),
        "pending": consenting(petition, email="pending@example.org", pending=True),
        "bounced": consenting(
            petition,
            email="bounced@example.org",
            email_undeliverable_at=timezone.now(),
            email_undeliverable_reason="bounced",
        ),
    }
