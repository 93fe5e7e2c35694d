"""Browser tests drive Debian's Chromium through Playwright.

Playwright's own browser download does not work here, so the tests use the
system browser at CHROMIUM_PATH (default /usr/bin/chromium). Without one they
are skipped, unless REQUIRE_BROWSER is set (CI sets it), when they fail.
"""

import os
from pathlib import Path

import pytest

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM_PATH).exists() or os.environ.get("REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(
        reason=f"no browser at {CHROMIUM_PATH}: install one with "
        "'apt-get install chromium' or set CHROMIUM_PATH"
    )
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM_PATH,
        # Chromium's background calls home fail on this closed network.
        "args": [
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="package", autouse=True)
def _allow_database_access_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; Django's guard
    # against ORM calls from async code would misfire on the test's own queries.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture
def screenshot_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server, with static files served by WhiteNoise from
    the collected, hashed files, as in production; Django's own test handler
    looks for unhashed names and would leave the pages unstyled."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(
        os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"), start=False
    )
    server.thread.static_handler = lambda application: application
    server.start()
    yield server
    server.stop()
