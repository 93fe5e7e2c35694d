"""With Redis down, the site keeps taking signatures and shows a correct count."""

import logging

import pytest

from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.html_tools import parse_page
from tests.servers import free_port
from tests.signing import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    """The production cache backend, pointed at a port where nothing listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
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
    monkeypatch.setattr("config.cache._last_warning", 0.0)  # not yet warned

    with (
        caplog.at_level(logging.WARNING, logger="config.cache"),
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
