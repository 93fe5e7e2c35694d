import pytest
from django.core import mail

from petition.models import Petition
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
