"""Consent to campaign updates on record: the exact words ticked, in the
signer's language, when and on which form, and when and how it ended; shown
to the signer, in the subject-access export and in the CSV."""

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from signatures.consent import (
    SIGN_FORM_VERSION,
    UPDATES_CONSENT_VERSION,
    ConsentText,
    Withdrawal,
)
from signatures.models import Signature
from signatures.paper_csv import read_rows
from signatures.services.paper import paper_batch_import
from signatures.services.retention import signatures_anonymise_closed
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.html_tools import parse_page
from tests.privacy.links import manage_link, unsubscribe_url
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db

ENGLISH = "Keep me updated about this campaign by email"
FRENCH = "Tenez-moi au courant de cette campagne par courriel"


def _sign(client, mailoutbox, capture, *, language="en", **fields):
    with capture(execute=True):
        client.post(f"/{language}/p/{SEED_SLUG}/sign/", form_data(**fields))
    with capture(execute=True):
        client.post(confirmation_link(mailoutbox[-1]))
    return mailoutbox[-1]


@pytest.fixture
def sign(client, mailoutbox, django_capture_on_commit_callbacks, seed_campaign):
    def sign(**fields):
        return _sign(client, mailoutbox, django_capture_on_commit_callbacks, **fields)

    return sign


def test_a_french_signer_has_the_french_words_they_ticked_on_record(sign):
    before = timezone.now()

    sign(language="fr", email="eloise@example.org", wants_updates="on")

    signature = Signature.objects.get(email="eloise@example.org")
    assert signature.wants_updates
    assert signature.updates_consent_text.wording == FRENCH
    assert signature.updates_consent_text.language == "fr"
    assert signature.updates_consent_text.version == UPDATES_CONSENT_VERSION
    assert signature.updates_consent_form == SIGN_FORM_VERSION
    assert before <= signature.updates_consent_at <= timezone.now()
    assert signature.updates_withdrawn_at is None


def test_the_words_on_record_are_the_ones_the_form_shows(client, seed_campaign):
    page = client.get(f"/en/p/{SEED_SLUG}/sign/").content.decode()
    french_page = client.get(f"/fr/p/{SEED_SLUG}/sign/").content.decode()

    assert ENGLISH in page
    assert FRENCH in french_page


def test_signers_share_one_row_per_wording_and_language(sign):
    sign(email="a@example.org", wants_updates="on")
    sign(email="b@example.org", wants_updates="on")
    sign(language="fr", email="c@example.org", wants_updates="on")

    assert sorted(ConsentText.objects.values_list("language", "wording")) == [
        ("en", ENGLISH),
        ("fr", FRENCH),
    ]


def test_an_unticked_box_records_no_consent(sign):
    sign(email="quiet@example.org")

    signature = Signature.objects.get(email="quiet@example.org")
    assert not signature.wants_updates
    assert signature.updates_consent_text is None
    assert signature.updates_consent_at is None


def test_stopping_updates_on_the_signers_page_is_recorded_with_its_way(client, sign):
    message = sign(wants_updates="on")

    client.post(manage_link(message), {"action": "stop_updates"})

    signature = Signature.objects.get()
    assert not signature.wants_updates
    assert signature.updates_withdrawn_via == Withdrawal.SIGNER_PAGE
    assert signature.updates_withdrawn_at is not None
    # What was agreed stays on record.
    assert signature.updates_consent_text.wording == ENGLISH


def test_the_unsubscribe_pages_button_is_recorded_as_the_unsubscribe_link(sign):
    message = sign(wants_updates="on")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(unsubscribe_url(message))
    token = next(
        e.attrs["value"]
        for e in parse_page(page.content.decode()).all("input")
        if e.attrs.get("name") == "csrfmiddlewaretoken"
    )

    browser.post(unsubscribe_url(message), {"csrfmiddlewaretoken": token})

    signature = Signature.objects.get()
    assert signature.updates_withdrawn_via == Withdrawal.UNSUBSCRIBE_LINK


def test_the_mail_programs_one_click_is_recorded_as_such(sign):
    message = sign(wants_updates="on")

    # As a mail provider posts it (RFC 8058): another origin, no token.
    Client(enforce_csrf_checks=True).post(
        unsubscribe_url(message),
        {"List-Unsubscribe": "One-Click"},
        HTTP_ORIGIN="https://mail.example.com",
    )

    signature = Signature.objects.get()
    assert not signature.wants_updates
    assert signature.updates_withdrawn_via == Withdrawal.ONE_CLICK


def test_a_second_unsubscribe_keeps_the_first_on_record(client, sign):
    message = sign(wants_updates="on")
    client.post(manage_link(message), {"action": "stop_updates"})
    first = Signature.objects.get().updates_withdrawn_at

    client.post(unsubscribe_url(message))

    signature = Signature.objects.get()
    assert signature.updates_withdrawn_at == first
    assert signature.updates_withdrawn_via == Withdrawal.SIGNER_PAGE


def test_withdrawing_the_signature_ends_consent_on_record(client, sign):
    message = sign(wants_updates="on")

    client.post(manage_link(message), {"action": "withdraw"})

    signature = Signature.objects.get()
    assert signature.status == Signature.Status.WITHDRAWN
    assert not signature.wants_updates
    assert signature.updates_withdrawn_via == Withdrawal.SIGNATURE_WITHDRAWN


def test_withdrawing_a_signature_without_consent_records_no_withdrawal(client, sign):
    message = sign()

    client.post(manage_link(message), {"action": "withdraw"})

    assert Signature.objects.get().updates_withdrawn_at is None


def test_signing_again_unticked_ends_consent_and_keeps_what_was_agreed(
    client, mailoutbox, django_capture_on_commit_callbacks, seed_campaign
):
    capture = django_capture_on_commit_callbacks
    # Pending: the link emailed for the second submission applies it.
    with capture(execute=True):
        client.post(
            f"/en/p/{SEED_SLUG}/sign/", form_data(wants_updates="on", email="j@x.org")
        )
    with capture(execute=True):
        client.post(f"/en/p/{SEED_SLUG}/sign/", form_data(email="j@x.org"))

    with capture(execute=True):
        client.post(confirmation_link(mailoutbox[-1]))

    signature = Signature.objects.get()
    assert signature.is_counted
    assert not signature.wants_updates
    assert signature.updates_withdrawn_via == Withdrawal.SIGNED_AGAIN
    assert signature.updates_consent_text.wording == ENGLISH


def test_signing_again_ticked_in_french_records_the_french_words(
    client, mailoutbox, django_capture_on_commit_callbacks, seed_campaign
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        client.post(f"/en/p/{SEED_SLUG}/sign/", form_data(email="j@x.org"))
    with capture(execute=True):
        client.post(
            f"/fr/p/{SEED_SLUG}/sign/", form_data(wants_updates="on", email="j@x.org")
        )

    with capture(execute=True):
        client.post(confirmation_link(mailoutbox[-1]))

    signature = Signature.objects.get()
    assert signature.wants_updates
    assert signature.updates_consent_text.wording == FRENCH
    assert signature.updates_withdrawn_at is None


def test_anonymising_a_closed_petition_ends_consent_as_erased(seed_campaign):
    seed_campaign.is_open = False
    seed_campaign.closed_at = timezone.now() - timedelta(days=400)
    seed_campaign.save()
    consenting = SignatureFactory(petition=seed_campaign, wants_updates=True)
    earlier = timezone.now() - timedelta(days=500)
    stopped = SignatureFactory(
        petition=seed_campaign,
        updates_withdrawn_at=earlier,
        updates_withdrawn_via=Withdrawal.SIGNER_PAGE,
    )

    signatures_anonymise_closed(closed_for=timedelta(days=183))

    consenting.refresh_from_db()
    stopped.refresh_from_db()
    assert consenting.updates_withdrawn_via == Withdrawal.ERASED
    assert consenting.updates_withdrawn_at is not None
    assert stopped.updates_withdrawn_via == Withdrawal.SIGNER_PAGE
    assert stopped.updates_withdrawn_at == earlier


def test_the_signers_page_shows_what_they_agreed_to_and_when_they_stopped(client, sign):
    message = sign(language="fr", wants_updates="on")
    page = client.get(manage_link(message)).content.decode()
    assert FRENCH in page
    assert SIGN_FORM_VERSION in page

    client.post(manage_link(message), {"action": "stop_updates"})

    page = client.get(manage_link(message).replace("/fr/", "/en/")).content.decode()
    assert FRENCH in page  # the words as shown to them, in their language
    assert "on the signer’s page" in page


def test_the_subject_access_export_holds_the_consent_record(client, exporter, sign):
    sign(language="fr", email="eloise@example.org", wants_updates="on")
    client.force_login(exporter)

    response = client.post(
        "/admin/signatures/signature/data-request/", {"email": "eloise@example.org"}
    )

    record = json.loads(response.content)["signatures"][0]
    assert record["updates_consent_wording"] == {
        "version": UPDATES_CONSENT_VERSION,
        "language": "fr",
        "text": FRENCH,
    }
    assert record["updates_consent_form"] == SIGN_FORM_VERSION
    assert record["updates_consent_at"]
    assert record["updates_withdrawn_at"] is None


def test_a_paper_signer_who_ticked_the_box_has_the_printed_words_on_record(
    seed_campaign,
):
    rows = read_rows(
        "Nom,Courriel,Code postal,Nouvelles,Langue\n"
        "Marie Tremblay,marie@example.org,H2X 1Y4,oui,fr\n"
        "Jean Dupont,jean@example.org,K1A 0B1,non,fr\n"
    )

    batch = paper_batch_import(
        petition=seed_campaign,
        rows=rows,
        language="fr",
        event="Rassemblement",
        collected_on=date(2026, 5, 1),
        collected_by="Bénévoles",
        user=None,
    )

    ticked = Signature.objects.get(email="marie@example.org")
    assert ticked.updates_consent_text.wording == (
        "Tenez-moi au courant de cette campagne par courriel"
    )
    assert ticked.updates_consent_form == f"paper-batch-{batch.pk}"
    assert ticked.updates_consent_at is not None
    unticked = Signature.objects.get(email="jean@example.org")
    assert unticked.updates_consent_text is None
    assert unticked.updates_consent_at is None
