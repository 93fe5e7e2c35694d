"""The sites the proxy tests run against: the app under gunicorn behind nginx,
and a stub upstream for answers the app does not send."""

import threading
from http.server import ThreadingHTTPServer

import pytest

from tests.proxy.nginx import (
    StubUpstream,
    nginx_in_front_of,
)
from tests.servers import gunicorn, migrate, server_env


@pytest.fixture(scope="package")
def site(tmp_path_factory):
    """gunicorn as configured for production (one worker, two threads here),
    and nginx in front of it. gunicorn's access log says which requests
    reached the app."""
    directory = tmp_path_factory.mktemp("proxy")
    env = server_env(
        f"sqlite:///{directory / 'db.sqlite3'}",
        TRUSTED_PROXY_COUNT="1",
        SECURE_SSL_REDIRECT="true",
        SIGN_RATE_PER_MINUTE="1/m",
        SIGN_RATE_PER_HOUR="100/h",
        GUNICORN_ACCESSLOG=str(directory / "app-access.log"),
        # The production default: the suite's own is 0, which no cache keeps.
        PAGE_CACHE_SECONDS="5",
    )
    migrate(env)
    with gunicorn(env) as app:
        upstream = app.removeprefix("http://")
        with nginx_in_front_of(upstream, directory / "nginx") as ports:
            yield {
                "app": app,
                "http": f"http://127.0.0.1:{ports['http']}",
                "https_port": ports["https"],
                "nginx": directory / "nginx",
                "app_log": directory / "app-access.log",
            }


@pytest.fixture(scope="package")
def stub_site(tmp_path_factory):
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubUpstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        upstream = f"127.0.0.1:{server.server_address[1]}"
        with nginx_in_front_of(upstream, tmp_path_factory.mktemp("stub")) as ports:
            yield {"https_port": ports["https"]}
    finally:
        server.shutdown()
        server.server_close()
