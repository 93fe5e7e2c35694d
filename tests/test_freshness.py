"""What public pages keep in memory to stay fast under a surge, and how soon
they show a change."""

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
def test_closing_a_petition_stops_signing_at_once_in_the_same_process(
    client, seed_campaign, settings
):
    settings.PAGE_CACHE_SECONDS = 60
    assert client.get(COUNT_URL).json()["open"] is True  # now kept in memory

    seed_campaign.is_open = False
    seed_campaign.save()  # as the admin saves it
    response = client.post(SIGN_URL, form_data())

    assert "This petition is closed" in response.content.decode()
    assert Signature.objects.count() == 0
    assert client.get(COUNT_URL).json()["open"] is False


@pytest.mark.django_db
def test_a_petition_closed_by_another_process_takes_no_signature_at_all(
    client, seed_campaign, settings
):
    settings.PAGE_CACHE_SECONDS = 60
    assert client.get(COUNT_URL).json()["open"] is True  # now kept in memory

    # Another gunicorn worker's save sends no signal to this one.
    Petition.objects.filter(pk=seed_campaign.pk).update(is_open=False)
    response = client.post(SIGN_URL, form_data())

    assert "This petition is closed" in response.content.decode()
    assert Signature.objects.count() == 0


@pytest.mark.django_db
def test_a_petition_withdrawn_by_another_process_takes_no_signature_at_all(
    client, seed_campaign, settings
):
    settings.PAGE_CACHE_SECONDS = 60
    assert client.get(COUNT_URL).status_code == 200  # now kept in memory

    Petition.objects.filter(pk=seed_campaign.pk).update(published_at=None)
    response = client.post(SIGN_URL, form_data())

    assert response.status_code == 404
    assert Signature.objects.count() == 0


@pytest.mark.django_db
def test_a_change_made_by_another_process_shows_within_page_cache_seconds(
    client, seed_campaign, settings, monkeypatch
):
    import petition.services

    settings.PAGE_CACHE_SECONDS = 1
    now = [1000.0]
    monkeypatch.setattr(petition.services, "_clock", lambda: now[0])
    assert client.get(COUNT_URL).json()["open"] is True

    # Another gunicorn worker's save sends no signal to this one.
    Petition.objects.filter(pk=seed_campaign.pk).update(is_open=False)
    now[0] += 0.5
    still_kept = client.get(COUNT_URL).json()["open"]
    now[0] += 0.6
    after = client.get(COUNT_URL).json()["open"]

    assert (still_kept, after) == (True, False)


@pytest.mark.django_db
def test_an_unpublished_petition_disappears_within_page_cache_seconds(
    client, seed_campaign, settings, monkeypatch
):
    import petition.services

    now = [1000.0]
    monkeypatch.setattr(petition.services, "_clock", lambda: now[0])
    assert client.get(f"/en/p/{SEED_SLUG}/").status_code == 200

    Petition.objects.filter(pk=seed_campaign.pk).update(published_at=None)
    now[0] += settings.PAGE_CACHE_SECONDS + 0.1

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


@pytest.mark.django_db
def test_a_page_kept_in_memory_still_tells_each_form_when_it_was_shown(
    client, seed_campaign, settings, monkeypatch
):
    """The too-fast check measures from when this visitor saw the form, not
    from when the page was first rendered."""
    import re

    import signatures.forms
    from signatures.forms import seconds_since_rendered

    settings.PAGE_CACHE_SECONDS = 60
    now = [1_700_000_000.0]
    monkeypatch.setattr(signatures.forms, "_now", lambda: now[0])

    def shown_at(html: str) -> str:
        return re.search(r'name="rendered_at" value="([^"]+)"', html).group(1)

    client.get(f"/en/p/{SEED_SLUG}/")  # rendered and kept now
    now[0] += 30
    later = shown_at(client.get(f"/en/p/{SEED_SLUG}/").content.decode())
    now[0] += 1

    # Never younger than it is (a person is never taken for a bot), older by
    # at most a quarter second.
    assert 1 <= seconds_since_rendered(later) <= 1.25


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
def test_made_up_addresses_cannot_grow_what_a_process_keeps(client, seed_campaign):
    from petition.services import _published_recently

    for n in range(600):
        assert client.get(f"/p/no-such-petition-{n}/count.json").status_code == 404

    assert len(_published_recently._entries) <= 256
    assert client.get(COUNT_URL).json()["open"] is True  # the real one still found
