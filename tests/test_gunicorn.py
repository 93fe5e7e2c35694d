"""The production server: gunicorn with config/gunicorn.py, DEBUG off."""

import pytest

from tests.servers import gunicorn, http, migrate, server_env

# What the TLS-terminating proxy in front of gunicorn adds.
VIA_TLS_PROXY = {"X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    database = tmp_path_factory.mktemp("gunicorn") / "db.sqlite3"
    env = server_env(f"sqlite:///{database}", SECURE_SSL_REDIRECT="true")
    migrate(env)
    with gunicorn(env) as base:
        yield base


def test_gunicorn_serves_the_campaign_with_production_settings(production_server):
    reply = http(production_server + "/en/", headers=VIA_TLS_PROXY)

    assert reply.status == 200
    assert "No more caged families" in reply.body
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert "max-age=31536000" in reply.headers["Strict-Transport-Security"]


def test_plain_http_is_redirected_to_https(production_server):
    reply = http(production_server + "/")

    assert reply.status == 301
    assert reply.headers["Location"] == "https://localhost/"


def test_gunicorn_serves_hashed_static_files(production_server):
    body = http(production_server + "/en/", headers=VIA_TLS_PROXY).body
    start = body.index("/static/css/site.")
    stylesheet = body[start : body.index('"', start)]

    reply = http(production_server + stylesheet, headers=VIA_TLS_PROXY)

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/css")
    assert ".petition" in reply.body
