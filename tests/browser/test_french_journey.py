import pytest
from django.core import mail
from playwright.sync_api import expect

from petition.models import Petition
from signatures.models import Signature
from tests.browser.conftest import PHONE
from tests.conftest import SEED_SLUG
from tests.signing import confirmation_link

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]


@pytest.fixture(autouse=True)
def _french_reviewed_and_fast_typing(settings, seed_campaign):
    settings.SIGNATURE_MIN_FILL_SECONDS = 0
    # The seed's French text arrives as a draft; an organizer publishes it.
    petition = Petition.objects.get(slug=SEED_SLUG)
    petition.title_fr = "Plus jamais de familles en cage : abolissons l’Entente"
    petition.body_fr = "**Laissez-les entrer.**\\\n**Laissez-les rester.**"
    petition.call_to_action_fr = "Signez la pétition"
    petition.published_languages = ["en", "fr"]
    petition.save()


@pytest.fixture
def browser_context_args(browser_context_args):
    # A phone whose browser asks for Canadian French first.
    return {**browser_context_args, "locale": "fr-CA", "viewport": PHONE}


def test_french_supporter_lands_signs_and_confirms_in_french(
    page, live_server, admin_client
):
    page.goto(live_server.url + "/")

    assert page.url == f"{live_server.url}/fr/"
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Laissez-les rester." in page.inner_text("main")

    page.get_by_label("Nom complet").fill("Marie-Ève Tremblay")
    page.get_by_label("Adresse courriel").fill("marie@example.org")
    page.get_by_label("Code postal").fill("h2x1y4")
    page.get_by_role("button", name="Signez la pétition").click()

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Vérifiez vos courriels pour confirmer votre signature"
    )
    message = mail.outbox[-1]
    assert message.subject.startswith("Confirmez votre signature")
    page.goto(live_server.url + confirmation_link(message))
    page.get_by_role("button", name="Confirmer ma signature").click()

    assert (
        "votre signature est confirmée"
        in page.get_by_role("heading", level=1).inner_text()
    )
    assert page.locator("progress").first.get_attribute("value") == "1"

    listing = admin_client.get(
        "/admin/signatures/signature/", {"language__exact": "fr"}
    )
    assert "Marie-Ève Tremblay" in listing.content.decode()


def test_french_interface_around_an_unreviewed_draft(page, live_server):
    """Until an organizer publishes the French text, French readers get the
    English petition with a note, and everything else, buttons included,
    in French."""
    petition = Petition.objects.get(slug=SEED_SLUG)
    petition.call_to_action_en = "Add your name now"
    petition.published_languages = ["en"]  # French is still a draft
    petition.save()

    page.goto(f"{live_server.url}/fr/p/{SEED_SLUG}/")

    expect(page.get_by_role("note")).to_contain_text("pas encore été traduite")
    expect(page.get_by_role("link", name="Signez la pétition")).to_be_visible()
    expect(page.get_by_role("heading", name="Signez la pétition")).to_be_visible()
    expect(page.get_by_text("Add your name now")).to_have_count(0)
    expect(page.get_by_text("Sign the petition", exact=True)).to_have_count(0)

    page.get_by_label("Nom complet").fill("Amira Haddad")
    page.get_by_label("Adresse courriel").fill("amira@example.org")
    page.get_by_label("Code postal").fill("H2X 1Y4")
    page.get_by_role("button", name="Signez la pétition").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Vérifiez vos courriels pour confirmer votre signature"
    )
    assert Signature.objects.get().language == "fr"

    page.goto(f"{live_server.url}/fr/p/{SEED_SLUG}/widget/")
    expect(page.get_by_role("link", name="Signez la pétition")).to_be_visible()
