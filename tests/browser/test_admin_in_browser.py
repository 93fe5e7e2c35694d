"""The organizers' side in Chromium: every form they can reach, pressed the
way they press it, and the lists on a common laptop screen."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from petition.models import Petition
from signatures.models import ModerationAction, Signature
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
    some marked for review, and signers from countries with long names."""
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
            review_reason="token_invalid" if n % 3 == 0 else "",
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


def test_new_organizer_chooses_a_password_from_the_printed_link_and_logs_in(
    page, live_server, refusals
):
    link = new_organizer("new.organizer@example.org")

    page.goto(live_server.url + link)
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("heading", name="Password reset complete")).to_be_visible()

    log_in(page, live_server, "new.organizer@example.org")
    expect(page.get_by_role("heading", name="Campaigns and signatures")).to_be_visible()
    assert refusals == []


def apply_action(page, live_server, names: list[str], action: str) -> None:
    """Tick these signers in the list and run an action on them."""
    page.goto(f"{live_server.url}/admin/signatures/signature/")
    for name in names:
        page.get_by_role(
            "checkbox", name=f"Select this object for an action - {name}"
        ).check()
    page.get_by_role("combobox", name="Action").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def message(page):
    return page.locator(".messagelist")


def test_organizer_runs_every_moderation_action_and_its_page(
    page, live_server, organizer, refusals
):
    petition = Petition.objects.get(slug=SEED_SLUG)
    pending = SignatureFactory(petition=petition, full_name="Pat Pending", pending=True)
    real = SignatureFactory(petition=petition, full_name="Rae Real")
    leaving = SignatureFactory(petition=petition, full_name="Eli Erase")

    apply_action(page, live_server, ["Rae Real"], "Invalidate selected signatures")
    page.get_by_label("Reason").fill("Looked like a bot")
    page.get_by_role("button", name="Invalidate").click()
    expect(message(page)).to_contain_text("1 signature invalidated")
    real.refresh_from_db()
    assert real.status == "invalidated"

    apply_action(
        page, live_server, ["Rae Real"], "Restore selected invalidated signatures"
    )
    expect(page.get_by_text("This applies to 1 signature.")).to_be_visible()
    page.get_by_role("button", name="Restore").click()
    expect(message(page)).to_contain_text("1 signature restored.")
    real.refresh_from_db()
    assert real.status == "confirmed"

    apply_action(
        page,
        live_server,
        ["Pat Pending"],
        "Resend the confirmation email to selected pending signers",
    )
    page.get_by_role("button", name="Resend").click()
    expect(message(page)).to_contain_text("Confirmation email resent to 1 pending")
    assert [m.to for m in mail.outbox] == [[pending.email]]

    apply_action(
        page,
        live_server,
        ["Eli Erase"],
        "Erase selected signers’ personal data (on their request)",
    )
    expect(page.get_by_text("cannot be undone")).to_be_visible()
    page.get_by_label("Reason").fill("Asked by email")
    page.get_by_role("button", name="Erase for good").click()
    expect(message(page)).to_contain_text("1 signature and its personal data erased")
    assert not Signature.objects.filter(pk=leaving.pk).exists()
    assert refusals == []


def test_organizer_invalidates_a_burst_from_one_domain(
    page, live_server, organizer, refusals
):
    petition = Petition.objects.get(slug=SEED_SLUG)
    bots = [
        SignatureFactory(petition=petition, email=f"bot{n}@spam.example")
        for n in range(3)
    ]
    person = SignatureFactory(petition=petition, email="person@example.org")

    page.goto(f"{live_server.url}/admin/signatures/signature/")
    page.get_by_role("link", name="Invalidate from one source").click()
    page.get_by_label("Email domain").fill("spam.example")
    page.get_by_label("Reason").fill("Burst from a throwaway domain")
    page.get_by_role("button", name="Count matching signatures").click()
    expect(page.get_by_text("3 signatures match.")).to_be_visible()
    page.get_by_role("button", name="Invalidate them").click()

    expect(message(page)).to_contain_text("3 signatures invalidated.")
    assert {
        s.status for s in Signature.objects.filter(pk__in=[b.pk for b in bots])
    } == {"invalidated"}
    person.refresh_from_db()
    assert person.status == "confirmed"
    assert refusals == []


def downloaded(download) -> str:
    return Path(download.path()).read_text(encoding="utf-8-sig")


def test_organizer_exports_signatures_and_one_persons_data(
    page, live_server, organizer, refusals
):
    petition = Petition.objects.get(slug=SEED_SLUG)
    SignatureFactory(petition=petition, full_name="Ana Ontario", province="ON")
    SignatureFactory(
        petition=petition,
        full_name="Quentin Québec",
        email="quentin@example.org",
        province="QC",
    )
    SignatureFactory(petition=petition, full_name="Pat Pending", pending=True)

    # The list's "Export CSV", with the columns chosen.
    page.goto(f"{live_server.url}/admin/signatures/signature/")
    page.get_by_role("link", name="Export CSV").click()
    page.get_by_role("checkbox", name="Postal code").uncheck()
    with page.expect_download() as export:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(downloaded(export.value))))
    assert "Postal code" not in rows[0]
    assert sorted(row[0] for row in rows[1:]) == ["Ana Ontario", "Quentin Québec"]

    # The export action on ticked rows leads to the same page.
    apply_action(
        page, live_server, ["Quentin Québec"], "Export confirmed signatures as CSV"
    )
    with page.expect_download() as export:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(downloaded(export.value))))
    assert [row[0] for row in rows[1:]] == ["Quentin Québec"]

    # A subject access request, from the tool page and as an action.
    page.goto(f"{live_server.url}/admin/signatures/signature/")
    page.get_by_role("link", name="Data held about one person").click()
    page.get_by_label("Email address").fill("Quentin@Example.org")
    with page.expect_download() as held:
        page.get_by_role("button", name="Download JSON").click()
    assert "Quentin Québec" in downloaded(held.value)
    json.loads(downloaded(held.value))

    page.goto(f"{live_server.url}/admin/signatures/signature/")
    page.get_by_role(
        "checkbox", name="Select this object for an action - Quentin Québec"
    ).check()
    page.get_by_role("combobox", name="Action").select_option(
        label="Export all data held about the selected signers (JSON)"
    )
    with page.expect_download() as held:
        page.get_by_role("button", name="Go").click()
    assert "quentin@example.org" in downloaded(held.value)

    # Two CSV exports and two data requests, each on record.
    assert ModerationAction.objects.filter(kind="export").count() == 4
    assert refusals == []
