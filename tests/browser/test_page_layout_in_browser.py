"""The campaign page on a phone and on a desktop, in both languages: what
the first screen shows, the way to the form while reading, when recent
signers signed, and the goal moving on with the live count. Screenshots
are kept under tests/artifacts/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from signatures.services.signing import signature_confirm
from tests.browser.test_accessibility import serious_violations
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
LANGUAGES = ["en", "fr"]
SIGN = {"en": "Sign the petition", "fr": "Signez la pétition"}


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(**DESKTOP)
    yield context.new_page()
    context.close()


def _inside_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None
    assert size is not None
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def _scroll_to_the_middle_of_the_text(page) -> None:
    page.locator(".petition-body").evaluate(
        """body => {
            const box = body.getBoundingClientRect();
            window.scrollTo({
                top: window.scrollY + box.top + box.height / 2 - window.innerHeight / 2,
                behavior: "instant",
            });
        }"""
    )


def _sign_label(page) -> str:
    # The petition's own words, or the interface's around an untranslated text.
    return page.locator("#sign-heading").inner_text()


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_screen_on_a_phone_shows_title_count_and_sign_button(
    phone, live_server, language, screenshot_dir
):
    phone.goto(f"{live_server.url}/{language}/p/{SEED_SLUG}/")

    title = phone.get_by_role("heading", level=1)
    count = phone.locator(".progress-count")
    bar = phone.locator(".petition-header progress")
    sign = phone.locator(".jump-to-sign").get_by_role("link", name=_sign_label(phone))
    for shown in (title, count, bar, sign):
        expect(shown).to_be_visible()
        assert _inside_viewport(phone, shown), shown
    # Not yet the bar at the bottom: the button is already on the screen.
    expect(phone.locator("[data-sign-bar] a")).to_be_hidden()
    phone.screenshot(path=screenshot_dir / f"layout-phone-{language}-first-screen.png")
    phone.screenshot(
        path=screenshot_dir / f"layout-phone-{language}-full.png", full_page=True
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_button_stays_in_reach_while_reading_on_a_phone(
    phone, live_server, language, screenshot_dir
):
    phone.goto(f"{live_server.url}/{language}/p/{SEED_SLUG}/")

    _scroll_to_the_middle_of_the_text(phone)

    button = phone.locator("[data-sign-bar]").get_by_role(
        "link", name=_sign_label(phone)
    )
    expect(button).to_be_visible()
    expect(phone.locator(".jump-to-sign a")).not_to_be_in_viewport()
    expect(phone.locator(".sign-form")).not_to_be_in_viewport()
    # Wholly on the screen, once it has slid in.
    expect(button).to_be_in_viewport(ratio=1)
    assert serious_violations(phone) == []
    phone.screenshot(path=screenshot_dir / f"layout-phone-{language}-reading.png")

    button.tap()

    expect(phone.locator("#sign-heading")).to_be_in_viewport()
    expect(phone.locator("#id_full_name")).to_be_in_viewport()
    # The form in view, the bar goes: it would cover the form's own button.
    expect(button).to_be_hidden()


@pytest.mark.parametrize("language", LANGUAGES)
def test_form_stays_in_view_while_reading_on_a_desktop(
    desktop, live_server, language, screenshot_dir
):
    desktop.goto(f"{live_server.url}/{language}/p/{SEED_SLUG}/")
    form = desktop.locator("#sign")
    submit = desktop.get_by_role("button", name=SIGN[language])
    # The form starts on the first screen, beside the title.
    assert _inside_viewport(desktop, desktop.locator("#sign-heading"))
    assert _inside_viewport(desktop, desktop.locator("#id_full_name"))
    desktop.screenshot(path=screenshot_dir / f"layout-desktop-{language}-top.png")

    _scroll_to_the_middle_of_the_text(desktop)
    # Scrolled past where the form began: it came along.
    assert desktop.evaluate("window.scrollY") > 200
    assert _inside_viewport(desktop, form)
    desktop.locator("#footnotes-heading").evaluate(
        "heading => heading.scrollIntoView({block: 'end', behavior: 'instant'})"
    )
    assert desktop.evaluate("window.scrollY") > 1000
    assert _inside_viewport(desktop, form)
    assert _inside_viewport(desktop, submit)

    # Beside the text, not over it.
    form_box = form.bounding_box()
    text_box = desktop.locator(".petition-body").bounding_box()
    assert form_box
    assert text_box
    assert form_box["x"] >= text_box["x"] + text_box["width"]
    expect(desktop.locator("[data-sign-bar] a")).to_be_hidden()
    assert serious_violations(desktop) == []
    desktop.screenshot(path=screenshot_dir / f"layout-desktop-{language}-reading.png")
    desktop.screenshot(
        path=screenshot_dir / f"layout-desktop-{language}-full.png", full_page=True
    )


@pytest.mark.parametrize(
    ("language", "two_minutes", "three_minutes"),
    [
        ("en", "2 minutes ago", "3 minutes ago"),
        ("fr", "il y a 2 minutes", "il y a 3 minutes"),
    ],
)
def test_recent_signer_shows_how_long_ago_by_the_readers_clock(
    phone,
    live_server,
    seed_campaign,
    language,
    two_minutes,
    three_minutes,
    screenshot_dir,
):
    at = timezone.now() - timedelta(minutes=2)
    SignatureFactory(
        petition=seed_campaign,
        full_name="Jane Doe",
        show_name_publicly=True,
        created_at=at,
        confirmed_at=at,
    )
    phone.clock.install()

    phone.goto(f"{live_server.url}/{language}/p/{SEED_SLUG}/")

    signer = phone.locator(".recent-signers li").filter(has_text="Jane")
    when = signer.locator("time")
    expect(when).to_have_text(two_minutes)
    # Rewritten by the page's script, each minute, from the time itself.
    phone.clock.fast_forward("01:00")
    expect(when).to_have_text(three_minutes)
    assert serious_violations(phone) == []
    phone.locator(".recent-signers").screenshot(
        path=screenshot_dir / f"layout-phone-{language}-recent-signers.png"
    )


def _confirm_new_signatures(petition, n: int) -> None:
    for signature in SignatureFactory.create_batch(n, petition=petition, pending=True):
        signature_confirm(signature=signature)


@pytest.mark.parametrize(
    ("language", "goal_before", "goal_after"),
    [
        ("en", "Let’s reach 3.", "Let’s reach 5."),
        ("fr", "Objectif : 3.", "Objectif : 5."),
    ],
)
def test_goal_moves_on_when_the_live_count_passes_it(
    desktop, live_server, seed_campaign, language, goal_before, goal_after
):
    seed_campaign.goal = 3
    seed_campaign.save()
    desktop.clock.install()
    desktop.goto(f"{live_server.url}/{language}/p/{SEED_SLUG}/")
    goal = desktop.locator(".progress-goal")
    bar = desktop.locator("progress")
    expect(goal).to_have_text(goal_before)

    _confirm_new_signatures(seed_campaign, 3)
    desktop.clock.fast_forward("00:16")

    expect(desktop.locator(".progress-count strong")).to_have_text("3")
    expect(goal).to_have_text(goal_after)
    expect(bar).to_have_attribute("max", "5")
    expect(bar).to_have_attribute("value", "3")
    # What assistive technology reads out of the bar.
    assert bar.evaluate("el => [el.position, el.max, el.value]") == [0.6, 5, 3]


def test_without_javascript_the_button_under_the_count_leads_to_the_form(
    browser, live_server
):
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/en/p/{SEED_SLUG}/")

    expect(page.locator("[data-sign-bar]")).to_be_hidden()
    page.locator(".jump-to-sign a").tap()

    expect(page.locator("#id_full_name")).to_be_in_viewport()
    context.close()


@pytest.mark.parametrize(
    ("language", "before", "confirmed", "after"),
    [
        ("en", "0 people have signed.", 1, "1 person has signed."),
        ("fr", "0 personne a signé.", 2, "2 personnes ont signé."),
    ],
)
def test_live_count_says_person_or_people_as_the_count_moves(
    phone, live_server, seed_campaign, language, before, confirmed, after
):
    phone.clock.install()
    phone.goto(f"{live_server.url}/{language}/p/{SEED_SLUG}/")
    sentence = phone.locator(".progress-signed")
    expect(sentence).to_have_text(before)

    _confirm_new_signatures(seed_campaign, confirmed)
    phone.clock.fast_forward("00:16")

    expect(sentence).to_have_text(after)
    expect(sentence.locator("strong")).to_have_text(str(confirmed))
