"""What the public read model (petition/public.py) keeps in the shared cache
to stay fast under a surge, and how soon public pages show a change."""

import threading

import pytest
from django_redis.cache import RedisCache

from petition.models import Petition
from signatures.models import Signature
from tests.backing_services import DedicatedRedis, redis_missing
from tests.conftest import SEED_SLUG
from tests.signing import form_data

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"
COUNT_URL = f"/p/{SEED_SLUG}/count.json"


@pytest.mark.django_db
def test_closing_a_petition_in_the_admin_shows_and_stops_signing_at_once(
    client, seed_campaign
):
    assert client.get(COUNT_URL).json()["open"] is True  # now in the read model

    seed_campaign.is_open = False
    seed_campaign.save()  # as the admin saves it
    response = client.post(SIGN_URL, form_data())

    assert "This petition is closed" in response.content.decode()
    assert Signature.objects.count() == 0
    assert client.get(COUNT_URL).json()["open"] is False


@pytest.mark.django_db
def test_a_petition_closed_by_another_process_takes_no_signature_at_all(
    client, seed_campaign
):
    assert client.get(COUNT_URL).json()["open"] is True  # now in the read model

    # Another gunicorn worker's save sends no signal to this one.
    Petition.objects.filter(pk=seed_campaign.pk).update(is_open=False)
    response = client.post(SIGN_URL, form_data())

    assert "This petition is closed" in response.content.decode()
    assert Signature.objects.count() == 0


@pytest.mark.django_db
def test_a_petition_withdrawn_by_another_process_takes_no_signature_at_all(
    client, seed_campaign
):
    assert client.get(COUNT_URL).status_code == 200  # now in the read model

    Petition.objects.filter(pk=seed_campaign.pk).update(published_at=None)
    response = client.post(SIGN_URL, form_data())

    assert response.status_code == 404
    assert Signature.objects.count() == 0


@pytest.mark.django_db
def test_a_change_made_behind_the_apps_back_shows_within_the_read_period(
    client, seed_campaign, settings, monkeypatch
):
    from petition import public

    settings.SIGNATURE_COUNT_CACHE_SECONDS = 2
    now = [1000.0]
    monkeypatch.setattr(public, "_now", lambda: now[0])
    assert client.get(COUNT_URL).json()["open"] is True

    # An UPDATE by hand (psql, a migration) sends no signal.
    Petition.objects.filter(pk=seed_campaign.pk).update(is_open=False)
    now[0] += 1.9
    still_kept = client.get(COUNT_URL).json()["open"]
    now[0] += 0.2
    after = client.get(COUNT_URL).json()["open"]

    assert (still_kept, after) == (True, False)


@pytest.mark.django_db
def test_a_petition_unpublished_behind_the_apps_back_disappears_within_the_read_period(
    client, seed_campaign, settings, monkeypatch
):
    from petition import public

    now = [1000.0]
    monkeypatch.setattr(public, "_now", lambda: now[0])
    assert client.get(f"/en/p/{SEED_SLUG}/").status_code == 200

    Petition.objects.filter(pk=seed_campaign.pk).update(published_at=None)
    now[0] += settings.SIGNATURE_COUNT_CACHE_SECONDS + 0.1

    assert client.get(f"/en/p/{SEED_SLUG}/").status_code == 404
    assert client.get(COUNT_URL).status_code == 404


@pytest.mark.skipif(bool(redis_missing()), reason=redis_missing())
def test_redis_counter_adds_every_concurrent_increment_and_never_creates_a_key():
    """Rate limits and the count's tally rest on this: one round trip per
    increment, none lost between threads, a missing key an error as before."""
    redis = DedicatedRedis()
    redis.start()
    try:
        cache = RedisCache(redis.url, {"KEY_PREFIX": "t"})
        with pytest.raises(ValueError, match="not found"):
            cache.incr("missing")
        assert cache.get("missing") is None  # not created by the attempt

        cache.add("hits", 0, 60)

        def hit() -> None:
            for _ in range(200):
                cache.incr("hits")

        threads = [threading.Thread(target=hit) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert cache.get("hits") == 1600
        assert cache.incr("hits", 10) == 1610
        # The window's expiry stays as add() set it.
        assert 0 < cache.ttl("hits") <= 60
        # One round trip each: every incr was one EVAL of django-redis's
        # script (EXISTS then INCRBY inside it, which Redis counts too).
        stats = cache.client.get_client().info("commandstats")
        assert stats["cmdstat_eval"]["calls"] == 1 + 1600 + 1
    finally:
        redis.close()


@pytest.mark.skipif(bool(redis_missing()), reason=redis_missing())
def test_redis_counter_still_counts_where_redis_allows_no_scripts():
    """Rate limits must not switch off on a Redis whose ACL denies Lua:
    django-redis then reads and writes the count back (two round trips, and
    not atomic, so concurrent hits may be undercounted there)."""
    no_scripts = [
        "--user",
        "default",
        "on",
        "nopass",
        "~*",
        "&*",
        "+@all",
        "-@scripting",
    ]
    redis = DedicatedRedis(*no_scripts)
    redis.start()
    try:
        cache = RedisCache(redis.url, {"KEY_PREFIX": "t"})
        cache.add("hits", 0, 60)

        counts = [cache.incr("hits") for _ in range(3)]

        assert counts == [1, 2, 3]
        assert 0 < cache.ttl("hits") <= 60
    finally:
        redis.close()


@pytest.mark.django_db
def test_only_a_published_open_petition_takes_signatures_as_the_database_has_it(
    seed_campaign,
):
    from datetime import timedelta

    from django.utils import timezone

    from petition.services import petition_takes_signatures

    def takes(**changes) -> bool:
        Petition.objects.filter(pk=seed_campaign.pk).update(**changes)
        return petition_takes_signatures(seed_campaign)

    now = timezone.now()
    assert takes(is_open=True, published_at=now - timedelta(seconds=1))
    assert not takes(is_open=False)
    assert not takes(is_open=True, published_at=now + timedelta(minutes=1))
    assert not takes(published_at=None)
    assert takes(published_at=now - timedelta(days=1))


@pytest.mark.django_db
def test_while_the_database_is_away_the_public_sees_what_it_saw(
    client, seed_campaign, monkeypatch
):
    from django.db import OperationalError

    from petition import public

    now = [1000.0]
    monkeypatch.setattr(public, "_now", lambda: now[0])
    assert client.get(COUNT_URL).json()["open"] is True

    def away(*args):
        raise OperationalError("connection refused")

    monkeypatch.setattr(public, "counted_now", away)
    now[0] += 3600  # long stale: it would be read again

    assert client.get(COUNT_URL).status_code == 200
    assert client.get(f"/en/p/{SEED_SLUG}/").status_code == 200
