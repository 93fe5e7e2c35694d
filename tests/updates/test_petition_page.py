"""Sent updates are listed on the petition page, in the reader's language;
drafts are not."""

import pytest

from tests.conftest import SEED_SLUG
from updates.models import Update

pytestmark = pytest.mark.django_db


def test_sent_updates_are_listed_on_the_petition_page_and_drafts_are_not(
    client, update
):
    Update.objects.filter(pk=update.pk).update(status=Update.Status.SENT)
    Update.objects.create(
        petition=update.petition, subject_en="A draft", body_en="Not yet."
    )

    page = client.get(f"/en/p/{SEED_SLUG}/").content.decode()

    assert "Campaign updates" in page
    assert "We delivered the petition" in page
    assert "<strong>12,000 signatures</strong>" in page
    assert "A draft" not in page


def test_a_french_reader_sees_the_french_update(client, update):
    Update.objects.filter(pk=update.pk).update(status=Update.Status.SENT)

    page = client.get(f"/fr/p/{SEED_SLUG}/").content.decode()

    assert "Nous avons remis la pétition" in page


def test_a_petition_without_updates_shows_no_updates_section(client, seed_campaign):
    page = client.get(f"/en/p/{SEED_SLUG}/").content.decode()

    assert "Campaign updates" not in page
