"""Signing is limited per client address; a friendly 429 page says so."""

import uuid

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks

from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.servers import gunicorn, http, migrate, server_env
from tests.signing import form_data

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"


@pytest.mark.django_db
def test_too_many_signatures_from_one_address_get_a_friendly_429(client, settings):
    settings.SIGN_RATE_PER_MINUTE = "3/m"

    replies = [
        client.post(SIGN_URL, form_data(email=f"p{n}@example.org")) for n in range(4)
    ]

    assert [r.status_code for r in replies] == [302, 302, 302, 429]
    assert replies[-1]["Retry-After"] == "60"
    assert "Please wait a moment" in replies[-1].content.decode()
    assert Signature.objects.count() == 3


@pytest.mark.django_db
def test_limit_is_per_client_address(client, settings):
    settings.SIGN_RATE_PER_MINUTE = "1/m"

    first = client.post(SIGN_URL, form_data(), REMOTE_ADDR="198.51.100.1")
    other = client.post(
        SIGN_URL, form_data(email="b@example.org"), REMOTE_ADDR="198.51.100.2"
    )
    again = client.post(
        SIGN_URL, form_data(email="c@example.org"), REMOTE_ADDR="198.51.100.1"
    )

    assert (first.status_code, other.status_code, again.status_code) == (302, 302, 429)


@pytest.mark.django_db
def test_forwarded_address_counts_only_behind_a_trusted_proxy(client, settings):
    settings.SIGN_RATE_PER_MINUTE = "1/m"

    def post(forwarded_for: str, email: str) -> int:
        return client.post(
            SIGN_URL,
            form_data(email=email),
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        ).status_code

    # No trusted proxy: a client cannot dodge the limit by inventing headers.
    assert [post("203.0.113.1", "a@x.org"), post("203.0.113.2", "b@x.org")] == [
        302,
        429,
    ]

    settings.TRUSTED_PROXY_COUNT = 1
    # Behind one proxy, the address it saw is the client's (the rightmost).
    assert post("1.2.3.4, 203.0.113.7", "c@x.org") == 302
    assert post("5.6.7.8, 203.0.113.8", "d@x.org") == 302
    assert post("9.9.9.9, 203.0.113.7", "e@x.org") == 429


@pytest.mark.django_db
def test_reading_the_petition_is_never_limited(client, settings):
    settings.SIGN_RATE_PER_MINUTE = "1/m"

    statuses = {client.get(SIGN_URL).status_code for _ in range(5)}

    assert statuses == {200}


@pytest.mark.django_db
def test_resend_requests_are_limited_per_address(client, settings):
    settings.RESEND_RATE_PER_HOUR = "2/h"
    url = f"/en/p/{SEED_SLUG}/resend/"

    statuses = [
        client.post(url, {"email": email}, REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n, email in enumerate(["a@x.org", "A@x.org ", "a@x.org", "b@x.org"])
    ]

    assert statuses == [200, 200, 429, 200]


@pytest.mark.skipif(
    not django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache"),
    reason="needs REDIS_URL: a limit shared across processes needs a shared cache",
)
def test_limit_holds_across_two_processes_sharing_redis(tmp_path):
    env = server_env(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=django_settings.CACHES["default"]["LOCATION"],
        CACHE_KEY_PREFIX=f"test-{uuid.uuid4()}",
        SIGN_RATE_PER_MINUTE="4/m",
    )
    migrate(env)
    with gunicorn(env) as first, gunicorn(env) as second:

        def post(base: str) -> int:
            return http(
                base + SIGN_URL,
                data=form_data(email=""),
                headers={"Sec-Fetch-Site": "same-origin"},
            ).status

        statuses = [post(first), post(second), post(first), post(second), post(second)]

    # Invalid forms count too: the limit is on attempts, checked before the form.
    assert statuses == [200, 200, 200, 200, 429]


def test_production_without_a_shared_cache_is_warned_about(settings):
    settings.DEBUG = False
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }

    messages = run_checks(include_deployment_checks=True)

    assert "signatures.W001" in [m.id for m in messages]


def test_shared_cache_needs_no_warning(settings):
    settings.DEBUG = False
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }

    messages = run_checks(include_deployment_checks=True)

    assert "signatures.W001" not in [m.id for m in messages]
