"""Campaign updates and consent in Chromium: an organizer writes an update,
sends a test to themselves and sends it; a signer stops updates from the
link in it; an organizer stops updates for a signer who asked."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from petition.models import Petition
from signatures.consent import Withdrawal
from signatures.models import Signature
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_admin_in_browser import (
    PASSWORD,
    apply_action,
    log_in,
    message,
    new_organizer,
)
from tests.conftest import SEED_SLUG
from tests.updates.conftest import POSTAL_ADDRESS, consenting
from updates.models import Update

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign", "organizers_group"),
]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def organizer(page, live_server, settings) -> User:
    settings.ORGANIZER_POSTAL_ADDRESS = POSTAL_ADDRESS
    new_organizer()
    user = User.objects.get(username="org@example.org")
    user.set_password(PASSWORD)
    user.save()
    log_in(page, live_server)
    return user


def test_organizer_writes_tests_and_sends_an_update_and_a_signer_stops_them(
    page, live_server, organizer, mail_server
):
    petition = Petition.objects.get(slug=SEED_SLUG)
    anne = consenting(petition, email="anne@example.org", full_name="Anne")
    consenting(petition, email="eloise@example.org", language="fr")

    page.goto(f"{live_server.url}/admin/updates/update/add/")
    page.get_by_label("Petition").select_option(index=1)
    page.get_by_label("Subject (English)").fill("We delivered the petition")
    page.get_by_label("Text (English)").fill("Thank you **all**.")
    page.get_by_label("Subject (French)").fill("Nous avons remis la pétition")
    page.get_by_label("Text (French)").fill("Merci à **tous**.")
    page.get_by_role("button", name="Save and continue editing").click()
    update = Update.objects.get()

    page.get_by_role("button", name="Send a test to myself").click()
    expect(message(page)).to_contain_text("A test was sent to org@example.org")
    assert {m["To"] for m in mail_server.received} == {"org@example.org"}
    assert len(mail_server.received) == 2

    page.get_by_role("link", name="Send to signers").click()
    expect(page.get_by_text("goes to 2 signers")).to_be_visible()
    page.get_by_role("button", name="Send now").click()
    expect(message(page)).to_contain_text("Sending to 2 signers")
    page.reload()
    expect(page.get_by_text("2 sent of 2")).to_be_visible()
    update.refresh_from_db()
    assert update.status == Update.Status.SENT

    # Listed on the petition's page, which stays free of serious barriers.
    page.goto(f"{live_server.url}/fr/p/{SEED_SLUG}/")
    expect(page.locator(".campaign-updates")).to_contain_text(
        "Nous avons remis la pétition"
    )
    assert serious_violations(page) == []

    # The signer follows the unsubscribe link in the update and confirms.
    received = next(m for m in mail_server.received if m["To"] == "anne@example.org")
    link = re.search(
        r"https?://[^/]+(/en/signature/[^/]+/unsubscribe/)",
        received.get_body(("plain",)).get_content(),
    )
    assert link
    page.goto(live_server.url + link.group(1))
    page.get_by_role("button", name="Stop updates").click()
    expect(
        page.get_by_role("heading", name="You will get no more updates")
    ).to_be_visible()
    anne.refresh_from_db()
    assert not anne.wants_updates
    assert anne.updates_withdrawn_via == Withdrawal.UNSUBSCRIBE_LINK


def test_organizer_stops_updates_for_a_signer_who_asked(page, live_server, organizer):
    petition = Petition.objects.get(slug=SEED_SLUG)
    asked = consenting(petition, full_name="Rae Asked")

    apply_action(
        page,
        live_server,
        ["Rae Asked"],
        "Stop campaign updates to selected signers (on their request)",
    )
    expect(page.get_by_text("This applies to 1 signature.")).to_be_visible()
    page.get_by_role("button", name="Stop updates").click()

    expect(message(page)).to_contain_text("Campaign updates stopped for 1 signer.")
    asked = Signature.objects.get(pk=asked.pk)
    assert asked.updates_withdrawn_via == Withdrawal.ORGANIZER
