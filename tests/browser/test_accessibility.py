"""axe-core, run in Chromium on the pages supporters meet: no serious or
critical violation of WCAG rules."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from signatures.tokens import confirmation_token
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]

AXE = Axe()


def serious_violations(page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


def form_with_errors(page, base: str) -> None:
    page.goto(f"{base}/en/p/{SEED_SLUG}/sign/")
    page.get_by_label("Postal code").fill("nope")
    page.get_by_role("button", name="Sign the petition").click()
    page.locator("#error-summary").wait_for()


def confirmation_page(page, base: str) -> None:
    signature = SignatureFactory.create(petition__slug="axe-petition", pending=True)
    page.goto(f"{base}/en/confirm/{confirmation_token(signature)}/")


def too_many_requests(page, base: str) -> None:
    page.goto(f"{base}/en/p/{SEED_SLUG}/sign/")
    page.get_by_role("button", name="Sign the petition").click()


PAGES = {
    "campaign": lambda page, base: page.goto(f"{base}/en/"),
    "campaign in French": lambda page, base: page.goto(f"{base}/fr/"),
    "form with errors": form_with_errors,
    "thank-you": lambda page, base: page.goto(f"{base}/en/p/{SEED_SLUG}/thanks/"),
    "confirmation": confirmation_page,
    "not found": lambda page, base: page.goto(f"{base}/en/p/no-such-petition/"),
    "too many requests": too_many_requests,
}


EXPECTED_HEADINGS = {
    "campaign": "No more caged families: Scrap the Safe Third Country Agreement",
    "campaign in French": "No more caged families: Scrap the Safe Third Country Agreement",
    "form with errors": "No more caged families: Scrap the Safe Third Country Agreement",
    "thank-you": "Check your email to confirm your signature",
    "confirmation": "Confirm your signature",
    "not found": "We couldn’t find that page",
    "too many requests": "Please wait a moment",
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violations(
    page, live_server, settings, name, viewport
):
    if name == "too many requests":
        settings.SIGN_RATE_PER_MINUTE = "0/m"
    page.set_viewport_size(viewport)

    PAGES[name](page, live_server.url)

    assert page.get_by_role("heading", level=1).inner_text() == EXPECTED_HEADINGS[name]
    assert serious_violations(page) == []


def test_error_summary_takes_focus_and_links_to_each_field(page, live_server):
    form_with_errors(page, live_server.url)

    assert page.evaluate("document.activeElement.id") == "error-summary"
    links = page.locator("#error-summary a")
    targets = [links.nth(n).get_attribute("href") for n in range(links.count())]
    assert "#id_postal_code" in targets
    links.nth(targets.index("#id_postal_code")).click()
    assert page.evaluate("document.activeElement.id") == "id_postal_code"


def test_touch_targets_are_at_least_24_pixels(page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/en/")

    too_small = page.evaluate(
        """() => [...document.querySelectorAll('a, button, input, select')]
            .filter(el => el.offsetParent !== null && !el.closest('.hp, .visually-hidden'))
            .filter(el => !el.closest('p, li') || el.matches('button, input, select, .button'))
            .map(el => [el, el.getBoundingClientRect()])
            .filter(([el, box]) => box.width < 24 || box.height < 24)
            .map(([el, box]) => `${el.tagName} ${el.id || el.textContent.trim().slice(0, 20)} ${box.width}x${box.height}`)"""
    )

    assert too_small == []
