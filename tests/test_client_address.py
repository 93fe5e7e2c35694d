"""IPv4 clients seen through an IPv6 socket or a proxy ("::ffff:a.b.c.d")
are limited and hashed as the IPv4 clients they are; admin logins are
limited per account however its name is spelled."""

import http.client
import re
import uuid

import pytest
from django.conf import settings as django_settings

from core.net import ip_hash, ip_hash_in_logs
from core.redaction import redact
from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.servers import gunicorn, migrate, server_env
from tests.signing import form_data

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"


@pytest.mark.django_db
def test_ipv4_clients_seen_as_mapped_addresses_have_limits_of_their_own(
    client, settings
):
    settings.SIGN_RATE_PER_MINUTE = "1/m"

    def post(remote: str, email: str) -> int:
        return client.post(
            SIGN_URL, form_data(email=email), REMOTE_ADDR=remote
        ).status_code

    first = post("::ffff:198.51.100.7", "a@example.org")
    neighbour = post("::ffff:198.51.100.8", "b@example.org")
    first_again = post("::ffff:198.51.100.7", "c@example.org")
    # The same client, written without the mapping, is still the same client.
    first_unmapped = post("198.51.100.7", "d@example.org")

    assert (first, neighbour, first_again, first_unmapped) == (302, 302, 429, 429)


@pytest.mark.django_db
def test_mapped_addresses_from_a_trusted_proxy_have_limits_of_their_own(
    client, settings
):
    settings.SIGN_RATE_PER_MINUTE = "1/m"
    settings.TRUSTED_PROXY_COUNT = 1

    def post(forwarded_for: str, email: str) -> int:
        return client.post(
            SIGN_URL,
            form_data(email=email),
            REMOTE_ADDR="::ffff:10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        ).status_code

    assert [
        post("::ffff:203.0.113.20", "a@example.org"),
        post("::FFFF:203.0.113.21", "b@example.org"),
        post("203.0.113.20", "c@example.org"),
    ] == [302, 302, 429]


@pytest.mark.django_db
def test_a_mapped_address_is_stored_and_logged_as_the_plain_one(client, settings):
    response = client.post(SIGN_URL, form_data(), REMOTE_ADDR="::ffff:192.0.2.44")

    assert response.status_code == 302
    assert Signature.objects.get().ip_hash == ip_hash("192.0.2.44")
    assert ip_hash_in_logs("::ffff:192.0.2.44") == ip_hash_in_logs("192.0.2.44")
    assert ip_hash("192.0.2.44") != ip_hash("192.0.2.45")


def _post_from(base_port: int, source: str, path: str) -> int:
    """An (invalid) signing form posted from the loopback address `source`,
    from the site's own page as a browser says it."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", base_port, timeout=10, source_address=(source, 0)
    )
    try:
        connection.request("GET", path, headers={"Host": "localhost"})
        connection.getresponse().read()
        connection.request(
            "POST",
            path,
            body="email=",
            headers={
                "Host": "localhost",
                "Sec-Fetch-Site": "same-origin",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        reply = connection.getresponse()
        reply.read()
        return reply.status
    finally:
        connection.close()


def test_gunicorn_on_an_ipv6_socket_limits_each_ipv4_client_apart(tmp_path):
    """gunicorn bound to an IPv6 socket, as with "[::]:8000", sees IPv4
    clients as ::ffff:a.b.c.d: each still gets its own bucket, in Redis too
    when the suite runs with it."""
    overrides = {"SIGN_RATE_PER_MINUTE": "1/m"}
    if django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        overrides |= {
            "REDIS_URL": django_settings.CACHES["default"]["LOCATION"],
            "CACHE_KEY_PREFIX": f"test-{uuid.uuid4()}",
        }
    env = server_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", **overrides)
    migrate(env)

    with gunicorn(env, host="[::ffff:127.0.0.1]") as base:
        port = int(base.rsplit(":", 1)[1])
        statuses = [
            _post_from(port, "127.0.0.2", SIGN_URL),
            _post_from(port, "127.0.0.2", SIGN_URL),
            _post_from(port, "127.0.0.3", SIGN_URL),
        ]

    # Invalid forms count too: the limit is on attempts.
    assert statuses == [200, 429, 200]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "look_alike",
    [
        "\uff4f\uff52\uff47\uff41\uff4e\uff49\uff5a\uff45\uff52@example.org",  # full-width
        "organizer@example.org\u200a",  # a hair space after it, stripped
        "Organizer@Example.ORG",  # case, ignored for these email-address names
        "organizer@exa\u217fple.org",  # U+217F small roman numeral one thousand: "m"
    ],
)
def test_look_alike_spellings_of_an_account_share_its_login_lock(
    client, settings, look_alike
):
    from django.contrib.auth.models import User

    settings.ADMIN_LOGIN_RATE = "100/m"
    settings.ADMIN_LOGIN_RATE_PER_ACCOUNT = "2/h"
    User.objects.create_user(
        "organizer@example.org", password="the right passphrase", is_staff=True
    )

    def log_in(username: str, password: str) -> int:
        return client.post(
            "/admin/login/", {"username": username, "password": password}
        ).status_code

    # Two failures are allowed; past them the account is locked, whatever
    # the spelling: the plain one too, even with the right password.
    failures = [log_in(look_alike, f"wrong {n}") for n in range(3)]
    plain = log_in("organizer@example.org", "the right passphrase")

    assert failures == [200, 200, 200]
    assert plain == 429


@pytest.mark.django_db
def test_a_ligature_and_its_letters_share_a_login_lock(client, settings):
    settings.ADMIN_LOGIN_RATE = "100/m"
    settings.ADMIN_LOGIN_RATE_PER_ACCOUNT = "1/h"

    def log_in(username: str) -> int:
        return client.post(
            "/admin/login/", {"username": username, "password": "guess"}
        ).status_code

    assert [
        log_in("\ufb01nance@example.org"),
        log_in("\ufb01nance@example.org"),
        log_in("FINANCE@example.org"),
    ] == [200, 200, 429]
    # Another account is not affected.
    assert log_in("fiona@example.org") == 200


@pytest.mark.django_db
def test_an_address_in_a_log_line_matches_its_signatures_hash(client):
    """One key for both: an operator can take the hash a log line shows to
    the admin and find the signatures from that address."""
    client.post(SIGN_URL, form_data(), REMOTE_ADDR="192.0.2.44")

    logged = redact("sign POST from 192.0.2.44 refused")
    shown = re.search(r"ip-([0-9a-f]{12})", logged).group(1)

    assert "192.0.2.44" not in logged
    assert Signature.objects.get().ip_hash.startswith(shown)
