"""The organizers' side in Chromium: every form they can reach, pressed the
way they press it, and the lists on a common laptop screen."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from petition.models import Petition
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign", "organizers_group"),
]

LAPTOP = {"width": 1366, "height": 768}
PASSWORD = "organizer passphrase 42"


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": LAPTOP}


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


def new_organizer(email: str = "org@example.org") -> str:
    """The link `createorganizer` prints, as a path on the live server."""
    out = io.StringIO()
    call_command("createorganizer", email, stdout=out)
    link = next(line for line in out.getvalue().splitlines() if "/password/" in line)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def log_in(page, live_server, username: str = "org@example.org") -> None:
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_role("link", name="Log out").or_(
            page.get_by_role("button", name="Log out")
        )
    ).to_be_visible()


@pytest.fixture
def organizer(page, live_server) -> User:
    new_organizer()
    user = User.objects.get(username="org@example.org")
    user.set_password(PASSWORD)
    user.save()
    log_in(page, live_server)
    return user


def hidden_to_the_right(page) -> dict[str, int]:
    """How far the page, and the list inside it, would have to scroll
    sideways to show everything (Django's list scrolls on its own: a column
    past its edge is as hidden as one past the page's)."""
    return page.evaluate(
        """() => {
            const page = document.documentElement;
            const list = document.querySelector('#changelist .results');
            const last = document.querySelector('#result_list thead th:last-child');
            return {
                page: page.scrollWidth - page.clientWidth,
                list: list.scrollWidth - list.clientWidth,
                last_column: Math.ceil(
                    last.getBoundingClientRect().right - list.getBoundingClientRect().right
                ),
            };
        }"""
    )


def fits(overflow: dict[str, int]) -> bool:
    return all(pixels <= 0 for pixels in overflow.values())


def long_signatures(petition: Petition, count: int = 30) -> None:
    """Rows as wide as real ones get: long names and addresses, every status,
    and signers from countries with long names."""
    for n in range(count):
        SignatureFactory(
            petition=petition,
            full_name=f"Maximilienne-Gabrielle Fitzgerald-Worthington de la Fontaine {n}",
            email=f"maximilienne.gabrielle.fitzgerald.worthington.{n}"
            "@a-rather-long-university-department.example.org",
            postal_code="H2X 1Y4",
            province="QC",
            language="fr",
            wants_updates=n % 2 == 0,
            status=["pending", "confirmed", "withdrawn", "invalidated"][n % 4],
        )
    SignatureFactory(
        petition=petition,
        full_name="Wolfeschlegelsteinhausenbergerdorff",
        email="wolfeschlegelsteinhausenbergerdorff@example.org",
        country="VC",  # Saint Vincent and the Grenadines
        postal_code="VC0100",
        province="",
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_signature_list_fits_a_1366_pixel_screen(
    page, live_server, organizer, language
):
    long_signatures(Petition.objects.get(slug=SEED_SLUG))
    page.set_extra_http_headers({"Accept-Language": language})

    page.goto(f"{live_server.url}/admin/signatures/signature/")

    expect(page.locator("#result_list tbody tr")).to_have_count(31)
    assert fits(hidden_to_the_right(page)), hidden_to_the_right(page)


def test_petition_list_with_its_tools_fits_a_1366_pixel_screen(
    page, live_server, organizer
):
    petition = Petition.objects.get(slug=SEED_SLUG)
    petition.title_en = (
        "Stop the detention of children and families at the border "
        "and abolish the Safe Third Country Agreement now"
    )
    petition.title_fr = (
        "Cessons la détention des enfants et des familles à la frontière et "
        "abolissons l’Entente sur les tiers pays sûrs dès maintenant"
    )
    petition.save()

    page.goto(f"{live_server.url}/admin/petition/petition/")

    expect(page.get_by_role("link", name="Delivery report")).to_be_in_viewport()
    assert fits(hidden_to_the_right(page)), hidden_to_the_right(page)


def test_a_signature_page_offers_no_save_button(page, live_server, organizer):
    """Organizers see every field of a signature and can type into none:
    a Save button there would only pretend."""
    signature = SignatureFactory(
        petition=Petition.objects.get(slug=SEED_SLUG), full_name="Amira Haddad"
    )

    page.goto(f"{live_server.url}/admin/signatures/signature/{signature.pk}/change/")

    expect(page.get_by_text("Amira Haddad").first).to_be_visible()
    submit_row = page.locator(".submit-row")
    expect(submit_row.get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(submit_row.get_by_role("link", name="Close")).to_be_visible()
