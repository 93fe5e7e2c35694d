"""With Redis down, the site keeps taking signatures and shows a correct count."""

import logging

import pytest
from django.conf import settings as django_settings
from django.db import connection

from petition.models import Petition
from signatures.models import Signature
from tests.backing_services import DedicatedRedis, redis_missing
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.figures import report
from tests.html_tools import parse_page
from tests.servers import Visitor, database_url, free_port, gunicorn, http, server_env
from tests.signing import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    """The production cache backend, pointed at a port where nothing listens."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                "IGNORE_EXCEPTIONS": True,
            },
        },
    }


@pytest.mark.usefixtures("redis_down")
def test_campaign_page_shows_the_true_count_without_redis(client, seed_campaign):
    SignatureFactory.create_batch(2, petition=seed_campaign)

    response = client.get(f"/en/p/{SEED_SLUG}/")

    assert response.status_code == 200
    progress = parse_page(response.content.decode()).all("progress")[0]
    assert progress.attrs["value"] == "2"


@pytest.mark.usefixtures("redis_down")
def test_signing_works_without_redis_and_says_so_in_the_log(
    client, caplog, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    outage_log = logging.getLogger(django_settings.DJANGO_REDIS_LOGGER)
    for warning in outage_log.filters:
        monkeypatch.setattr(warning, "last_warned", float("-inf"))  # not yet warned

    with (
        caplog.at_level(logging.WARNING, logger=outage_log.name),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"/en/p/{SEED_SLUG}/sign/", form_data())

    assert response.status_code == 302
    assert Signature.objects.count() == 1
    assert len(mailoutbox) == 1
    warnings = [
        r for r in caplog.records if "Redis cache unavailable" in r.getMessage()
    ]
    assert len(warnings) == 1  # once per interval, not once per call
    assert warnings[0].levelname == "WARNING"
    assert "rate limits are not enforced" in warnings[0].getMessage()
    assert warnings[0].exc_info is None  # no traceback per outage


@pytest.mark.usefixtures("redis_down")
def test_rate_limit_fails_open_without_redis(client, settings):
    settings.SIGN_RATE_PER_MINUTE = "1/m"

    statuses = [
        client.post(
            f"/en/p/{SEED_SLUG}/sign/", form_data(email=f"o{n}@example.org")
        ).status_code
        for n in range(3)
    ]

    assert statuses == [302, 302, 302]


# --- End to end: gunicorn and a Redis server that is killed and restarted -----


def shown_count(base: str) -> int:
    page = parse_page(http(f"{base}/en/p/{SEED_SLUG}/").body)
    return int(page.all("progress")[0].attrs["value"])


@pytest.mark.skipif(bool(redis_missing()), reason=redis_missing())
@pytest.mark.django_db(transaction=True)
def test_signing_goes_on_while_redis_is_down_and_limits_return_with_it(
    seed_campaign, tmp_path
):
    # Counted at once, so the count on the page moves with every signature.
    Petition.objects.filter(pk=seed_campaign.pk).update(requires_confirmation=False)
    redis = DedicatedRedis()
    redis.start()
    env = server_env(
        # The test database, so this test can look at what the server stored.
        database_url(connection.settings_dict),
        SECRET_KEY=django_settings.SECRET_KEY,
        REDIS_URL=redis.url,
        SIGN_RATE_PER_MINUTE="2/m",
        TASKS_BACKEND="immediate",
        EMAIL_URL="dummymail://",
    )
    log = tmp_path / "gunicorn.log"
    try:
        with gunicorn(env, log=log) as base:
            visitor = Visitor(base, f"/en/p/{SEED_SLUG}/sign/")
            before = visitor.sign(form_data(email="before@example.org")).status
            count_before = shown_count(base)  # now cached in Redis

            redis.kill()
            # One more than the limit allows: the limit is off, not the site.
            during = [
                visitor.sign(form_data(email=f"during{n}@example.org")).status
                for n in range(3)
            ]
            count_during = shown_count(base)

            redis.start()  # back, and empty
            after = [
                visitor.sign(form_data(email=f"after{n}@example.org")).status
                for n in range(3)
            ]
            count_after = shown_count(base)
    finally:
        redis.close()

    assert (before, count_before) == (302, 1)
    assert during == [302, 302, 302]
    # Not the stale 1 from before: counted afresh from the database.
    assert count_during == 4
    assert after == [302, 302, 429]
    assert count_after == 6
    assert Signature.objects.count() == 6
    report(
        "Redis killed and restarted: 3 of 3 signatures over the limit taken while "
        "down (limits fail open), count correct from the database, 429 again after"
    )
    warnings = [line for line in log.read_text().splitlines() if "WARNING" in line]
    assert any(
        "Redis cache unavailable" in line and "rate limits are not enforced" in line
        for line in warnings
    ), warnings
