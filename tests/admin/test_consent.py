"""Consent to campaign updates in the organizers' hands: stopped at a
signer's request, and on record in the CSV export."""

import pytest
from django.utils import timezone

from signatures.consent import (
    SIGN_FORM_VERSION,
    UPDATES_CONSENT_VERSION,
    Withdrawal,
    updates_consent_given,
)
from signatures.models import ModerationAction
from tests.admin.pages import EXPORT, download, post_action
from tests.factories import SignatureFactory

pytestmark = pytest.mark.django_db

ENGLISH = "Keep me updated about this campaign by email"
FRENCH = "Tenez-moi au courant de cette campagne par courriel"


def test_an_organizer_stops_updates_on_request_and_it_is_on_record(
    client, organizer, petition
):
    asked = SignatureFactory(petition=petition, wants_updates=True)
    other = SignatureFactory(petition=petition, wants_updates=True)

    post_action(client, "stop_updates", [asked], apply="1")

    asked.refresh_from_db()
    other.refresh_from_db()
    assert not asked.wants_updates
    assert asked.updates_withdrawn_via == Withdrawal.ORGANIZER
    assert other.wants_updates
    record = ModerationAction.objects.get()
    assert record.kind == ModerationAction.Kind.STOP_UPDATES
    assert record.performed_by == organizer
    assert record.count == 1


def test_an_organizer_is_asked_before_updates_are_stopped(client, organizer, petition):
    asked = SignatureFactory(petition=petition, wants_updates=True)

    page = post_action(client, "stop_updates", [asked])

    assert "Stop campaign updates" in page.content.decode()
    asked.refresh_from_db()
    assert asked.wants_updates


def test_the_csv_export_has_the_consent_columns(client, organizer, petition):
    SignatureFactory(
        petition=petition,
        email="eloise@example.org",
        wants_updates=True,
        **updates_consent_given(language="fr"),
    )
    SignatureFactory(
        petition=petition,
        email="stopped@example.org",
        **updates_consent_given(language="en"),
        updates_withdrawn_at=timezone.now(),
        updates_withdrawn_via=Withdrawal.ONE_CLICK,
    )

    rows = download(
        client.post(
            EXPORT,
            {
                "columns": [
                    "email",
                    "updates_consent_wording",
                    "updates_consent_version",
                    "updates_consent_form",
                    "updates_withdrawn_via",
                ]
            },
        )
    )

    assert rows[0] == [
        "Email",
        "Consent wording",
        "Consent version",
        "Consent form",
        "Consent withdrawn how",
    ]
    assert sorted(rows[1:]) == [
        [
            "eloise@example.org",
            FRENCH,
            UPDATES_CONSENT_VERSION,
            SIGN_FORM_VERSION,
            "",
        ],
        [
            "stopped@example.org",
            ENGLISH,
            UPDATES_CONSENT_VERSION,
            SIGN_FORM_VERSION,
            "by the mail program’s unsubscribe button",
        ],
    ]
