"""Whole journeys: by keyboard alone, a repeat signer, an organizer at work,
and the page's weight as a phone downloads it."""

import csv
import gzip
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from petition.models import Petition
from signatures.models import Signature
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.signing import confirmation_link

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]


@pytest.fixture(autouse=True)
def _people_type_fast_in_tests(settings):
    settings.SIGNATURE_MIN_FILL_SECONDS = 0


@pytest.fixture
def policy_violations(page):
    """Anything the Content Security Policy blocked on the page."""
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return blocked


def focus_is_visible(page) -> bool:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return el !== document.body
                && (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                    || style.boxShadow !== 'none');
        }"""
    )


def tab_to(page, name: str, limit: int = 60) -> None:
    """Press Tab until the element with this accessible name has focus,
    checking at every stop that the focus can be seen."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert focus_is_visible(page), "focus went somewhere it cannot be seen"
        label = page.evaluate(
            """() => {
                const el = document.activeElement;
                return (el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent).trim();
            }"""
        )
        if label.startswith(name):
            return
    pytest.fail(f"never reached {name!r} with the keyboard")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_keyboard_only_journey_with_visible_focus(
    page, live_server, viewport, policy_violations
):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/en/")

    tab_to(page, "Full name")
    page.keyboard.type("Kay Board")
    tab_to(page, "Email address")
    page.keyboard.type("kay@example.org")
    tab_to(page, "Postal code")
    page.keyboard.type("K1A0B1")
    tab_to(page, "Keep me updated")
    page.keyboard.press("Space")
    assert page.get_by_label("Keep me updated").is_checked()
    tab_to(page, "Sign the petition")
    page.keyboard.press("Enter")

    page.wait_for_url("**/thanks/")
    page.goto(live_server.url + confirmation_link(mail.outbox[-1]))
    tab_to(page, "Confirm my signature")
    page.keyboard.press("Enter")
    page.wait_for_url("**/confirmed/?ref=*")

    assert page.locator("progress").first.get_attribute("value") == "1"
    assert (
        page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        <= 0
    )
    assert policy_violations == []
    assert Signature.objects.get().wants_updates is True


def test_repeat_signer_sees_the_same_page_and_the_count_stays(page, live_server):
    SignatureFactory(petition__slug="other", email="rita@example.org")  # elsewhere
    page.set_viewport_size(PHONE)
    campaign = f"{live_server.url}/en/p/{SEED_SLUG}/"

    for _ in range(2):
        page.goto(campaign)
        page.get_by_label("Full name").fill("Rita Repeat")
        page.get_by_label("Email address").fill("Rita@Example.org ")
        page.get_by_label("Postal code").fill("K1A 0B1")
        page.get_by_role("button", name="Sign the petition").click()
        assert page.get_by_role("heading", level=1).inner_text() == (
            "Check your email to confirm your signature"
        )

    page.goto(live_server.url + confirmation_link(mail.outbox[-1]))
    page.get_by_role("button", name="Confirm my signature").click()
    page.goto(campaign)
    assert page.locator("progress").first.get_attribute("value") == "1"
    assert Signature.objects.filter(petition__slug=SEED_SLUG).count() == 1


@pytest.mark.usefixtures("organizers_group")
def test_organizer_filters_invalidates_and_exports(
    page, live_server, screenshot_dir, policy_violations
):
    call_command("createorganizer", "org@example.org", stdout=io.StringIO())
    organizer = User.objects.get(username="org@example.org")
    organizer.set_password("organizer passphrase 42")
    organizer.save()
    petition_id = Petition.objects.get(slug=SEED_SLUG).pk
    SignatureFactory(
        petition_id=petition_id,
        full_name="Spam Bot",
        email="bot@spam.example",
        province="QC",
    )
    SignatureFactory(petition_id=petition_id, full_name="Real Person", province="ON")
    page.set_viewport_size(DESKTOP)

    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("org@example.org")
    page.get_by_label("Password").fill("organizer passphrase 42")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/signatures/signature/?province__exact=QC")
    assert "Spam Bot" in page.inner_text("#result_list")
    assert "Real Person" not in page.inner_text("#result_list")

    page.locator("input.action-select").first.check()
    page.select_option("select[name=action]", "invalidate")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reason").fill("Bot sign-up")
    page.get_by_role("button", name="Invalidate").click()
    expect(page.locator(".messagelist")).to_contain_text("1 signature invalidated")

    page.goto(f"{live_server.url}/admin/signatures/signature/export/")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][0] == "Name"
    assert [row[0] for row in rows[1:]] == ["Real Person"]

    page.goto(f"{live_server.url}/admin/petition/petition/{petition_id}/dashboard/")
    assert page.locator("svg rect").count() > 0
    page.screenshot(path=screenshot_dir / "admin-dashboard.png", full_page=True)
    assert policy_violations == []


def test_campaign_page_weighs_under_100_kb_compressed(page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/en/p/{SEED_SLUG}/", wait_until="load")

    # What the browser itself fetched: the page and every resource it loaded.
    entries = page.evaluate(
        """() => [...performance.getEntriesByType('navigation'),
                  ...performance.getEntriesByType('resource')]
                 .map(e => [e.name, e.transferSize, e.renderBlockingStatus || ''])"""
    )
    urls = [url for url, _, _ in entries]
    assert all(url.startswith(live_server.url) for url in urls)  # no third party
    kinds = {url.rsplit(".", 1)[-1] for url in urls if "/static/" in url}
    assert {"css", "js"} <= kinds
    # The HTML travels uncompressed from the test server; a production proxy
    # compresses it, so it is counted here as gzip would send it.
    html = gzip.compress(page.content().encode())
    static = sum(size for url, size, _ in entries if "/static/" in url)
    assert len(html) + static < 100 * 1024, entries
