"""The count moves while the page is open, on the campaign page and in the
widget other sites embed."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from signatures.services.signing import signature_confirm
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]


def _confirm_new_signatures(petition, n: int) -> None:
    for signature in SignatureFactory.create_batch(n, petition=petition, pending=True):
        signature_confirm(signature=signature)


def test_count_on_an_open_page_catches_up_without_a_reload(
    page, live_server, seed_campaign
):
    page.clock.install()
    page.goto(f"{live_server.url}/en/p/{SEED_SLUG}/")
    count = page.locator(".progress-count strong")
    assert count.inner_text() == "0"

    _confirm_new_signatures(seed_campaign, 3)
    page.clock.fast_forward("00:16")

    # A locator assertion polls without evaluating strings, which CSP forbids.
    expect(count).to_have_text("3")
    expect(page.locator("progress")).to_have_attribute("value", "3")


@pytest.fixture
def partner_site():
    """Another site on this machine, whose page embeds our widget."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", pages
    server.shutdown()


def test_widget_shows_the_count_inside_another_site(
    page, live_server, seed_campaign, partner_site
):
    _confirm_new_signatures(seed_campaign, 2)
    partner_url, partner_pages = partner_site
    partner_pages["/"] = (
        "<!doctype html><title>Partner</title>"
        f'<iframe src="{live_server.url}/en/p/{SEED_SLUG}/widget/" '
        'title="Petition"></iframe>'
    ).encode()

    page.goto(partner_url + "/")

    widget = page.frame_locator("iframe")
    assert widget.locator("progress").get_attribute("value") == "2"
    sign = widget.get_by_role("link", name="Sign the petition")
    assert sign.get_attribute("target") == "_blank"
