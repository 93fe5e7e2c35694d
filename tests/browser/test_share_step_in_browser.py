"""The share step in Chromium, on a phone and a desktop, in English and
French: the question first; "Yes" opens the device's share sheet with the
tagged address and the message in the page's language, or, with no sheet
or a failed one, the list (WhatsApp first on a phone); copying the link;
and, without scripts, the list shown under the question."""

import pytest
from playwright.sync_api import expect

from petition.models import Petition
from signatures.models import Signature
from tests.browser.conftest import DESKTOP
from tests.browser.test_accessibility import serious_violations
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]

FRENCH_TITLE = "Plus jamais de familles en cage : abolissons l’Entente"
DEVICES = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "user_agent": (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36"
        ),
    },
    "desktop": {"viewport": DESKTOP},
}
WORDS = {
    "en": {
        "yes": "Yes, I’ll share",
        "not now": "Not now",
        "show": "show the ways to share",
        "message": "I just signed “{title}”. Will you sign too?",
        "copy": "Copy link",
        "copied": "Link copied.",
        "thanks": "Thank you for sharing!",
    },
    "fr": {
        "yes": "Oui, je partage",
        "not now": "Pas maintenant",
        "show": "voir les façons de partager",
        "message": "Je viens de signer «\u00a0{title}\u00a0». Vous signez aussi\u00a0?",
        "copy": "Copier le lien",
        "copied": "Lien copié.",
        "thanks": "Merci d’avoir partagé\u00a0!",
    },
}

# navigator.share as a browser with a share sheet has it; every call kept.
SHARE_SHEET = """
window.sharedWith = [];
Object.defineProperty(Navigator.prototype, 'share', {configurable: true,
  value: function (data) { window.sharedWith.push(data); return Promise.resolve(); }});
Object.defineProperty(Navigator.prototype, 'canShare', {configurable: true,
  value: function () { return true; }});
"""
NO_SHARE_SHEET = """
delete Navigator.prototype.share;
delete Navigator.prototype.canShare;
"""


def failing_share_sheet(error: str) -> str:
    return f"""
Object.defineProperty(Navigator.prototype, 'share', {{configurable: true,
  value: function () {{ return Promise.reject(new DOMException('no', '{error}')); }}}});
"""


@pytest.fixture(autouse=True)
def _french_published(seed_campaign):
    petition = Petition.objects.get(slug=SEED_SLUG)
    petition.title_fr = FRENCH_TITLE
    petition.body_fr = "**Laissez-les entrer.**"
    petition.call_to_action_fr = "Signez la pétition"
    petition.published_languages = ["en", "fr"]
    petition.save()


@pytest.fixture
def open_page(browser, live_server):
    """A page in a fresh browser context for one device, language and
    share-sheet script, on the confirmed page of a signer (their code in
    its address) or on the public thank-you page."""
    contexts = []

    def open_page(device, language, script="", *, signer=None, **context_args):
        context = browser.new_context(
            **DEVICES[device], locale=f"{language}-CA", **context_args
        )
        contexts.append(context)
        if script:
            context.add_init_script(script)
        page = context.new_page()
        path = (
            f"/{language}/p/{SEED_SLUG}/confirmed/?ref={signer.referral_code}"
            if signer
            else f"/{language}/p/{SEED_SLUG}/thanks/"
        )
        page.goto(live_server.url + path)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def signer(seed_campaign) -> Signature:
    return SignatureFactory.create(petition=seed_campaign, email="jane@example.org")


def share_sources(page) -> list[str]:
    return page.locator(".share-item").evaluate_all(
        "items => items.map(item => item.dataset.source)"
    )


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_yes_opens_the_share_sheet_with_the_tagged_address_and_message(
    open_page, settings, signer, device, language
):
    words = WORDS[language]
    page = open_page(device, language, SHARE_SHEET, signer=signer)
    expect(page.locator(".share-options")).to_be_hidden()

    page.get_by_role("button", name=words["yes"]).click()

    expect(page.get_by_role("status").filter(has_text=words["thanks"])).to_be_visible()
    [shared] = page.evaluate("window.sharedWith")
    title = FRENCH_TITLE if language == "fr" else Petition.objects.get().title_en
    assert shared == {
        "title": title,
        "text": words["message"].format(title=title),
        "url": f"{settings.SITE_URL}/{language}/p/{SEED_SLUG}/"
        f"?source=native&ref={signer.referral_code}",
    }


@pytest.mark.parametrize(
    ("device", "language", "first"),
    [
        ("phone", "en", "whatsapp"),
        ("phone", "fr", "whatsapp"),
        ("desktop", "en", "facebook"),
    ],
)
def test_without_a_share_sheet_yes_shows_the_links_whatsapp_first_on_a_phone(
    open_page, signer, screenshot_dir, device, language, first
):
    page = open_page(device, language, NO_SHARE_SHEET, signer=signer)

    page.get_by_role("button", name=WORDS[language]["yes"]).click()

    links = page.locator(".share-link")
    expect(links.first).to_be_focused()
    assert share_sources(page)[0] == first
    if device == "phone":
        assert share_sources(page) == [
            "whatsapp",
            "facebook",
            "x",
            "bluesky",
            "messenger",
            "telegram",
            "email",
            "sms",
        ]
    else:
        # No text messages on a desktop, and no Messenger without an app id.
        assert share_sources(page) == [
            "facebook",
            "x",
            "bluesky",
            "whatsapp",
            "telegram",
            "email",
        ]
    for n in range(links.count()):
        expect(links.nth(n)).to_be_visible()
        href = links.nth(n).get_attribute("href")
        assert f"ref%3D{signer.referral_code}" in href or (
            f"ref={signer.referral_code}" in href
        )
    assert serious_violations(page) == []
    page.screenshot(path=screenshot_dir / f"share-step-{device}-{language}.png")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_share_sheet_that_fails_falls_back_to_the_links(open_page, device):
    page = open_page(device, "en", failing_share_sheet("NotAllowedError"))

    page.get_by_role("button", name="Yes, I’ll share").click()

    expect(page.locator(".share-options")).to_be_visible()
    expect(page.get_by_role("link", name="WhatsApp")).to_be_visible()
    expect(page.get_by_role("button", name="Yes, I’ll share")).to_be_hidden()


def test_closing_the_share_sheet_leaves_the_question_for_another_try(open_page):
    page = open_page("phone", "en", failing_share_sheet("AbortError"))

    page.get_by_role("button", name="Yes, I’ll share").click()

    page.wait_for_timeout(200)
    expect(page.get_by_role("button", name="Yes, I’ll share")).to_be_visible()
    expect(page.locator(".share-options")).to_be_hidden()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_not_now_folds_the_step_away_and_the_links_stay_one_press_away(
    open_page, screenshot_dir, language
):
    words = WORDS[language]
    page = open_page("phone", language, NO_SHARE_SHEET)
    page.get_by_role("heading", level=2).first.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / f"share-question-phone-{language}.png")

    page.get_by_role("button", name=words["not now"]).click()

    expect(page.get_by_role("button", name=words["yes"])).to_be_hidden()
    show = page.get_by_role("button", name=words["show"])
    expect(show).to_be_focused()
    expect(page.locator(".share-options")).to_be_hidden()
    show.click()
    expect(page.get_by_role("link", name="WhatsApp")).to_be_focused()


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_copy_link_puts_the_signers_tagged_address_on_the_clipboard(
    open_page, signer, device, language
):
    words = WORDS[language]
    page = open_page(
        device,
        language,
        NO_SHARE_SHEET,
        signer=signer,
        permissions=["clipboard-read", "clipboard-write"],
    )
    page.get_by_role("button", name=words["yes"]).click()

    page.get_by_role("button", name=words["copy"]).click()

    expect(page.locator("#copy-status")).to_have_text(words["copied"])
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(
        f"/{language}/p/{SEED_SLUG}/?source=link&ref={signer.referral_code}"
    )


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_without_scripts_the_links_are_shown_under_the_question(open_page, device):
    page = open_page(device, "fr", java_script_enabled=False)

    expect(
        page.get_by_role("heading", name="Partagerez-vous la pétition\u00a0?")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Oui, je partage")).to_be_hidden()
    expect(page.locator(".share-options")).to_be_visible()
    visible = [
        source
        for source, shown in zip(
            share_sources(page),
            page.locator(".share-item").evaluate_all(
                "items => items.map(item => item.offsetParent !== null)"
            ),
            strict=True,
        )
        if shown
    ]
    assert visible[0] == "whatsapp"
    # The pointer decides, by CSS alone: Messenger's app and text messages
    # on a touch screen only.
    phone_only = {"messenger", "sms"}
    assert (phone_only <= set(visible)) == (device == "phone")
