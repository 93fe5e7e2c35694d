import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import SEED_SLUG

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]


def _page_width_overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_campaign_reads_without_sideways_scrolling(
    page, live_server, viewport, screenshot_dir
):
    page.set_viewport_size(viewport)

    page.goto(live_server.url + "/")

    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == (
        "No more caged families: Scrap the Safe Third Country Agreement"
    )
    assert heading.is_visible()
    assert page.get_by_text("Let them stay.").is_visible()
    assert _page_width_overflow(page) <= 0
    page.screenshot(
        path=screenshot_dir / f"campaign-{viewport['width']}.png", full_page=True
    )


def test_reader_follows_a_footnote_and_comes_back(page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/p/{SEED_SLUG}/")

    page.locator("#fnref-2").click()

    assert page.url.endswith("#fn-2")
    footnote = page.locator("#fn-2")
    assert "New numbers show spike in asylum seekers" in footnote.inner_text()
    assert footnote.is_visible()

    footnote.get_by_role("link", name="Back to the text").click()

    assert page.url.endswith("#fnref-2")
    assert page.locator("#fnref-2").is_visible()


def test_keyboard_user_can_skip_to_the_content(page, live_server):
    page.goto(live_server.url + "/")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    assert skip_link.evaluate("el => el === document.activeElement")
    assert skip_link.is_visible()
    page.keyboard.press("Enter")

    assert page.url.endswith("#main")
    assert page.evaluate("document.activeElement.id") == "main"


def test_stylesheet_loads_and_styles_the_page(page, live_server):
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)

    page.goto(live_server.url + "/")

    assert failed == []
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(247, 244, 239)"
