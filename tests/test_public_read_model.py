"""The public read model (petition/public.py) stays right when what it
keeps in the cache and what the cache holds beside it part ways: a tally
gone, a database gone, a value left by another release."""

import time

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from signatures.counts import confirmations_key, entry_key
from signatures.services.signing import signature_confirm
from tests.conftest import SEED_SLUG
from tests.factories import FootnoteFactory, SignatureFactory

COUNT_URL = f"/p/{SEED_SLUG}/count.json"
PAGE_URL = f"/en/p/{SEED_SLUG}/"

pytestmark = pytest.mark.django_db


def _count(client) -> int:
    return client.get(COUNT_URL).json()["count"]


def _confirm_one(petition, django_capture_on_commit_callbacks):
    pending = SignatureFactory(petition=petition, pending=True)
    with django_capture_on_commit_callbacks(execute=True):
        signature_confirm(signature=pending)


def test_the_count_holds_when_the_tally_is_lost(
    client, seed_campaign, django_capture_on_commit_callbacks
):
    SignatureFactory.create_batch(2, petition=seed_campaign)
    _confirm_one(seed_campaign, django_capture_on_commit_callbacks)  # tallied: 1
    assert _count(client) == 3  # read now, with the tally at 1

    cache.delete(confirmations_key(seed_campaign.pk))  # expired, or evicted

    assert _count(client) == 3


def test_the_count_holds_when_a_lost_tally_starts_again(
    client, seed_campaign, django_capture_on_commit_callbacks
):
    SignatureFactory.create_batch(2, petition=seed_campaign)
    _confirm_one(seed_campaign, django_capture_on_commit_callbacks)
    _confirm_one(seed_campaign, django_capture_on_commit_callbacks)
    assert _count(client) == 4  # read with the tally at 2

    cache.delete(confirmations_key(seed_campaign.pk))
    for _ in range(3):  # a new tally, past the old one
        _confirm_one(seed_campaign, django_capture_on_commit_callbacks)

    assert _count(client) == 7


def test_while_the_database_is_away_the_pages_keep_their_last_figures(
    seed_campaign, settings
):
    from django.test import Client

    settings.PAGE_CACHE_SECONDS = 5  # as in production
    settings.SIGNATURE_COUNT_CACHE_SECONDS = 1
    SignatureFactory.create_batch(3, petition=seed_campaign)
    client = Client()
    assert client.get(PAGE_URL).status_code == 200
    assert _count(client) == 3
    # Every short-lived key gone: the page kept, the freshness of the count
    # and of the address's lookup.
    time.sleep(settings.PAGE_CACHE_SECONDS + 0.2)

    def away(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(away):
        page = client.get(PAGE_URL)
        count = client.get(COUNT_URL)

    assert (page.status_code, count.status_code) == (200, 200)
    assert count.json()["count"] == 3
    assert "No more caged families" in page.content.decode()


class Gone:
    """Stands for a class a later release renamed or moved."""


def test_a_cached_value_that_cannot_be_read_is_a_miss_not_an_error(
    client, seed_campaign, monkeypatch
):
    import tests.test_public_read_model as here

    SignatureFactory(petition=seed_campaign)
    assert client.get(PAGE_URL).status_code == 200
    cache.set(entry_key(seed_campaign.pk), Gone(), 3600)
    monkeypatch.delattr(here, "Gone")  # unpickling it now fails

    assert _count(client) == 1
    assert client.get(PAGE_URL).status_code == 200


def _plain(value) -> bool:
    """Made only of types any release reads the same way."""
    import datetime
    import decimal
    import uuid

    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return value is None or isinstance(
        value,
        bool
        | int
        | float
        | str
        | datetime.datetime
        | datetime.date
        | decimal.Decimal
        | uuid.UUID,
    )


def test_the_read_model_keeps_plain_values_only(client, seed_campaign):
    FootnoteFactory(petition=seed_campaign, number=99)
    SignatureFactory(petition=seed_campaign, show_name_publicly=True)

    assert client.get(PAGE_URL).status_code == 200

    entry = cache.get(entry_key(seed_campaign.pk))
    assert entry is not None
    assert _plain(entry)


def test_a_closed_petitions_resend_page_counts_nothing_however_often_asked(
    client, seed_campaign
):
    seed_campaign.is_open = False
    seed_campaign.save()
    url = f"/en/p/{SEED_SLUG}/resend/"
    client.get(url)  # the public copy, read once

    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert client.get(url).status_code == 200

    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(queries) == 0
    # Nor did it drop what every other visitor is being served.
    assert cache.get(entry_key(seed_campaign.pk)) is not None
