"""Every form a signer can reach, pressed in Chromium in both languages.

Django's test client sends no Origin or Referer header; a browser does, or
withholds them by the page's referrer policy. A form the CSRF check refuses
in a browser ("Your form expired") passes every test-client test: these press
each button the way a person does, and look for what that person would see.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from petition.models import Petition
from signatures.models import Signature
from signatures.tokens import confirmation_token, manage_token
from tests.browser.conftest import PHONE
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.signing import confirmation_link

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]

# What a person reads in each language: labels, buttons and headings.
WORDS = {
    "en": {
        "name": "Full name",
        "email": "Email address",
        "postal_code": "Postal code",
        "updates": "Keep me updated",
        "sign": "Sign the petition",
        "check_email": "Check your email to confirm your signature",
        "send_again": "Send the link again",
        "send": "Send the link",
        "sent": "Check your email",
        "confirm": "Confirm my signature",
        "confirmed": "your signature is confirmed",
        "link_expired": "This confirmation link has expired",
        "new_link": "Send me a new link",
        "stop": "Stop updates",
        "stopped": "You will get no more updates",
        "withdraw": "Withdraw my signature",
        "withdrawn": "Your signature is withdrawn",
        "erase": "Erase my data",
        "erased": "Your data is erased",
        "expired": "Your form expired",
    },
    "fr": {
        "name": "Nom complet",
        "email": "Adresse courriel",
        "postal_code": "Code postal",
        "updates": "Tenez-moi au courant",
        "sign": "Signez la pétition",
        "check_email": "Vérifiez vos courriels pour confirmer votre signature",
        "send_again": "Renvoyer le lien",
        "send": "Envoyer le lien",
        "sent": "Vérifiez vos courriels",
        "confirm": "Confirmer ma signature",
        "confirmed": "votre signature est confirmée",
        "link_expired": "Ce lien de confirmation a expiré",
        "new_link": "Envoyez-moi un nouveau lien",
        "stop": "Arrêter les nouvelles",
        "stopped": "Vous ne recevrez plus de nouvelles",
        "withdraw": "Retirer ma signature",
        "withdrawn": "Votre signature est retirée",
        "erase": "Effacer mes données",
        "erased": "Vos données sont effacées",
        "expired": "Votre formulaire a expiré",
    },
}

languages = pytest.mark.parametrize("language", ["en", "fr"])


@pytest.fixture(autouse=True)
def _people_type_fast_and_french_is_reviewed(settings, seed_campaign):
    settings.SIGNATURE_MIN_FILL_SECONDS = 0
    # French pages show French text once an organizer has published it.
    petition = Petition.objects.get(slug=SEED_SLUG)
    petition.published_languages = ["en", "fr"]
    petition.save()


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE}


@pytest.fixture
def refusals(page) -> list[str]:
    """Every page or form answer the server refused (4xx, 5xx)."""
    refused: list[str] = []
    page.on(
        "response",
        lambda response: (
            refused.append(
                f"{response.status} {response.request.method} {response.url}"
            )
            if response.status >= 400 and response.request.resource_type == "document"
            else None
        ),
    )
    return refused


def subscribed_signer(language: str) -> Signature:
    return SignatureFactory.create(
        petition=Petition.objects.get(slug=SEED_SLUG),
        language=language,
        wants_updates=True,
    )


def manage_link(live_server, signature: Signature, language: str) -> str:
    return f"{live_server.url}/{language}/signature/{manage_token(signature)}/"


def emailed_manage_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/(?:en|fr)/signature/[^\s/]+/)", message.body)
    assert match, f"no link to manage the signature in: {message.body}"
    return match.group(1)


@languages
def test_signer_signs_asks_for_the_link_again_and_confirms(
    page, live_server, language, refusals
):
    words = WORDS[language]
    page.goto(f"{live_server.url}/{language}/p/{SEED_SLUG}/")

    page.get_by_label(words["name"]).fill("Amira Haddad")
    page.get_by_label(words["email"]).fill("amira@example.org")
    page.get_by_label(words["postal_code"]).fill("H2X 1Y4")
    page.get_by_label(words["updates"]).check()
    page.get_by_role("button", name=words["sign"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["check_email"])
    signature = Signature.objects.get()
    assert (signature.status, signature.language) == ("pending", language)
    assert len(mail.outbox) == 1

    page.get_by_role("link", name=words["send_again"]).click()
    page.get_by_label(words["email"]).fill("Amira@Example.org")
    page.get_by_role("button", name=words["send"], exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["sent"])
    assert len(mail.outbox) == 2

    page.goto(live_server.url + confirmation_link(mail.outbox[-1]))
    page.get_by_role("button", name=words["confirm"]).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(words["confirmed"])
    assert Signature.objects.get().status == "confirmed"
    assert refusals == []


@languages
def test_signer_with_an_expired_link_asks_for_a_new_one_and_confirms(
    page, live_server, language, refusals, settings
):
    """The form on the expired-link page, pressed as the signer would."""
    signature = SignatureFactory(
        petition=Petition.objects.get(slug=SEED_SLUG),
        language=language,
        email="amira@example.org",
        pending=True,
    )
    words = WORDS[language]
    settings.SIGNATURE_CONFIRMATION_MAX_AGE = -1  # every link is too old
    old_link = f"/{language}/confirm/{confirmation_token(signature)}/"
    page.goto(live_server.url + old_link)
    expect(page.get_by_role("heading", level=1)).to_have_text(words["link_expired"])
    refusals.clear()  # the expired link itself answers 410, as it should

    page.get_by_label(words["email"]).fill("amira@example.org")
    page.get_by_role("button", name=words["new_link"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["sent"])
    assert len(mail.outbox) == 1
    settings.SIGNATURE_CONFIRMATION_MAX_AGE = 7 * 24 * 3600
    page.goto(live_server.url + confirmation_link(mail.outbox[-1]))
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(words["confirmed"])
    signature.refresh_from_db()
    assert signature.status == "confirmed"
    assert refusals == []


@languages
def test_signer_stops_updates_withdraws_and_erases_from_the_emailed_link(
    page, live_server, language, refusals
):
    """The three buttons of the page every email links to."""
    signature = subscribed_signer(language)
    words = WORDS[language]
    url = manage_link(live_server, signature, language)

    page.goto(url)
    page.get_by_role("button", name=words["stop"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["stopped"])
    signature.refresh_from_db()
    assert (signature.status, signature.wants_updates) == ("confirmed", False)

    page.goto(url)
    page.get_by_role("button", name=words["withdraw"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["withdrawn"])
    signature.refresh_from_db()
    assert signature.status == "withdrawn"

    page.goto(url)
    page.get_by_role("button", name=words["erase"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["erased"])
    assert not Signature.objects.filter(pk=signature.pk).exists()
    assert refusals == []


@languages
def test_one_click_unsubscribe_page_button_stops_updates(
    page, live_server, language, refusals
):
    signature = subscribed_signer(language)
    words = WORDS[language]

    page.goto(manage_link(live_server, signature, language) + "unsubscribe/")
    page.get_by_role("button", name=words["stop"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["stopped"])
    signature.refresh_from_db()
    assert (signature.status, signature.wants_updates) == ("confirmed", False)
    assert refusals == []


def signed_page(live_server, kind: str) -> str:
    signature = SignatureFactory.create(
        petition=Petition.objects.get(slug=SEED_SLUG), pending=True, wants_updates=True
    )
    if kind == "confirm":
        return f"{live_server.url}/en/confirm/{confirmation_token(signature)}/"
    return manage_link(live_server, signature, "en") + (
        "unsubscribe/" if kind == "unsubscribe" else ""
    )


@pytest.mark.parametrize("kind", ["manage", "unsubscribe", "confirm"])
def test_a_signed_link_never_reaches_another_site_as_referrer(page, live_server, kind):
    """A person following a link from the page to another site (another
    origin: 127.0.0.1 instead of localhost) sends that site no Referer at all;
    the page's own links still get one, and so its forms get an Origin."""
    url = signed_page(live_server, kind)
    elsewhere = live_server.url.replace("localhost", "127.0.0.1") + "/en/privacy/"
    assert elsewhere != live_server.url + "/en/privacy/"

    response = page.goto(url)
    assert response.headers["referrer-policy"] == "same-origin"
    page.evaluate(
        """href => {
            const link = document.createElement('a');
            link.href = href;
            link.textContent = 'Another site';
            document.querySelector('main').append(link);
        }""",
        elsewhere,
    )
    with page.expect_request(elsewhere) as leaving:
        page.get_by_role("link", name="Another site").click()
    assert "referer" not in leaving.value.all_headers()

    page.goto(url)
    with page.expect_request(f"{live_server.url}/en/privacy/") as staying:
        page.evaluate("href => { location.href = href; }", "/en/privacy/")
    assert staying.value.all_headers()["referer"] == url
