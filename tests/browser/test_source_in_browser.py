"""A landing link's ?source= and ?ref= reach the stored signature and the
CSV through the cached campaign page (its script fills the sign form's
hidden fields), across a form error, in a real browser."""

import pytest
from django.core import mail

from signatures.export import csv_lines
from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.signing import confirmation_link

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]


def test_a_landing_links_source_and_referral_reach_the_signature_and_the_csv(
    page, live_server, seed_campaign
):
    referrer = SignatureFactory(petition=seed_campaign, email="ann@example.org")
    page.goto(
        f"{live_server.url}/en/p/{SEED_SLUG}/"
        f"?source=whatsapp&ref={referrer.referral_code}"
    )
    page.wait_for_timeout(2500)  # reading the petition
    page.get_by_label("Full name").fill("Jane Doe")
    page.get_by_label("Email address").fill("jane@example.org")
    page.get_by_label("Postal code").fill("K1")  # a typo
    page.get_by_role("button", name="Sign the petition").click()
    page.get_by_text("Please fix the following to sign:").wait_for()
    assert "source" not in page.url  # the form's own page, no query string

    page.get_by_label("Postal code").fill("K1A 0B1")
    page.get_by_role("button", name="Sign the petition").click()
    page.wait_for_url("**/thanks/")

    signature = Signature.objects.get(email="jane@example.org")
    assert signature.source == "whatsapp"
    assert signature.referred_by == referrer

    page.goto(live_server.url + confirmation_link(mail.outbox[-1]))
    page.get_by_role("button", name="Confirm my signature").click()
    page.wait_for_url("**/confirmed/?ref=*")
    # No share sheet in this browser: "Yes" shows the links.
    page.get_by_role("button", name="Yes, I’ll share").click()
    whatsapp = page.get_by_role("link", name="WhatsApp").get_attribute("href")
    signature.refresh_from_db()
    assert f"ref%3D{signature.referral_code}" in whatsapp
    assert "source%3Dwhatsapp" in whatsapp

    rows = "".join(
        csv_lines(
            Signature.objects.filter(pk=signature.pk),
            ["full_name", "source", "referred_by"],
        )
    ).splitlines()
    assert rows[1:] == [f"Jane Doe,whatsapp,{referrer.referral_code}"]


def test_without_scripts_the_landing_links_source_still_reaches_the_signature(
    browser, live_server, seed_campaign
):
    referrer = SignatureFactory(petition=seed_campaign, email="ann@example.org")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(
        f"{live_server.url}/en/p/{SEED_SLUG}/"
        f"?source=newsletter&ref={referrer.referral_code}"
    )
    page.get_by_label("Full name").fill("Jo Doe")
    page.get_by_label("Email address").fill("jo@example.org")
    page.get_by_label("Postal code").fill("K1")  # a typo: a round trip
    page.get_by_role("button", name="Sign the petition").click()
    page.get_by_text("Please fix the following to sign:").wait_for()
    page.get_by_label("Postal code").fill("K1A 0B1")
    page.get_by_role("button", name="Sign the petition").click()
    page.wait_for_url("**/thanks/")
    context.close()

    signature = Signature.objects.get(email="jo@example.org")
    assert signature.source == "newsletter"
    assert signature.referred_by == referrer
