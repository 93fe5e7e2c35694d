"""What the app learns through nginx: the client's address, HTTPS; what
nginx's log keeps; how large a body it passes."""

import time
from http import client as http_client

from tests.proxy.nginx import (
    CAMPAIGN,
    SIGN,
    needs_nginx,
    unverified,
)
from tests.servers import http

pytestmark = needs_nginx


def _post_sign_from(source: str, site: dict, forged: str | None = None) -> int:
    """An (invalid) signing form sent over HTTPS from the loopback address
    `source`, with a browser's CSRF cookie, token and Origin."""
    context = unverified()
    connection = http_client.HTTPSConnection(
        "127.0.0.1",
        site["https_port"],
        timeout=10,
        context=context,
        source_address=(source, 0),
    )
    host = f"localhost:{site['https_port']}"
    try:
        connection.request("GET", SIGN, headers={"Host": host})
        connection.getresponse().read()
        headers = {
            "Host": host,
            "Origin": f"https://{host}",
            "Sec-Fetch-Site": "same-origin",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if forged:
            headers["X-Forwarded-For"] = forged
        connection.request("POST", SIGN, body="email=", headers=headers)
        reply = connection.getresponse()
        reply.read()
        return reply.status
    finally:
        connection.close()


def test_the_app_sees_each_client_address_through_nginx(site):
    # One attempt a minute per address (invalid forms count too).
    first = _post_sign_from("127.0.0.2", site)
    # An invented X-Forwarded-For buys no fresh attempts...
    forged = _post_sign_from("127.0.0.2", site, forged="203.0.113.50")
    # ...and a neighbour behind the same nginx is not limited by the first.
    neighbour = _post_sign_from("127.0.0.3", site)

    assert (first, forged, neighbour) == (200, 429, 200)


def test_the_app_knows_https_from_nginx(site):
    secure = http_client.HTTPSConnection(
        "127.0.0.1",
        site["https_port"],
        timeout=10,
        context=unverified(),
    )
    secure.request("GET", CAMPAIGN, headers={"Host": "localhost"})
    page = secure.getresponse()
    secure.close()
    plain = http(site["http"] + CAMPAIGN)
    # A client claiming HTTPS over plain HTTP is not believed.
    claimed = http(
        site["http"] + CAMPAIGN,
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"},
    )

    assert page.status == 200
    assert page.getheader("Strict-Transport-Security")  # sent over HTTPS only
    assert plain.status == claimed.status == 301
    assert plain.headers["Location"].startswith("https://localhost")


def test_nginx_access_log_keeps_no_secret_links_or_searches(site):
    token = "MQ:1tXyZa:abcdefghijklmnopqrstuvwxyz0123"
    reset = "/admin/password/Mg/c4p7zk-0123456789abcdef0123456789abcdef/"
    for path in (
        f"/en/confirm/{token}/",
        f"/fr/signature/{token}/unsubscribe/",
        reset,
        "/admin/signatures/signature/?q=Jolene+Quintero&status__exact=pending",
        "/en/p/jolene.q@example.org/",
    ):
        http(
            site["http"] + path,
            headers={"Referer": "https://elsewhere.example/?q=Quintero+K1A+0B1"},
        )
    time.sleep(0.5)  # nginx writes its log as each request ends

    log = (site["nginx"] / "access.log").read_text()
    assert "/en/confirm/[signed-link]/" in log
    assert "/fr/signature/[signed-link]/unsubscribe/" in log
    assert "/admin/password/[reset-link]/" in log
    assert '"GET /admin/signatures/signature/ HTTP/1.1"' in log
    for secret in ("1tXyZa", "c4p7zk", "Jolene", "Quintero", "K1A", "example.org"):
        assert secret not in log, secret
    assert "127.0.0.1" not in log


def _post_body_of(site: dict, path: str, size: int) -> int:
    """A POST of `size` bytes over HTTPS; the status of its answer."""
    connection = http_client.HTTPSConnection(
        "127.0.0.1", site["https_port"], timeout=30, context=unverified()
    )
    body = b"{" + b" " * (size - 2) + b"}"
    headers = {
        "Host": f"localhost:{site['https_port']}",
        "Content-Type": "application/json",
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        reply = connection.getresponse()
        reply.read()
        return reply.status
    finally:
        connection.close()


def test_a_batch_of_bounce_reports_passes_where_a_sign_post_that_big_does_not(site):
    # 600 KB: SendGrid posts its events in batches of up to 768 KB.
    size = 600 * 1024

    # Through to the app, which has no email provider here: its 404.
    assert _post_body_of(site, "/anymail/sendgrid/tracking/", size) == 404
    # nginx's own refusal, before gunicorn reads a byte.
    assert _post_body_of(site, SIGN, size) == 413


def test_the_petition_form_takes_images_where_other_admin_pages_take_no_upload(site):
    size = 5 * 1024 * 1024  # a phone's photo

    # Through to the app, which refuses it from someone not logged in.
    assert _post_body_of(site, "/admin/petition/petition/1/change/", size) == 400
    assert _post_body_of(site, "/admin/signatures/signature/1/change/", size) == 413
