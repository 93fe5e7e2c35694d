"""An organizer adds a stack of paper signatures in Chromium: the file
chosen, the preview read, "Add" pressed, and the public count moved."""

import pytest
from playwright.sync_api import expect

from petition.models import Petition
from signatures.models import PaperBatch, Signature
from tests.browser import test_admin_in_browser as admin_in_browser
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory

# The organizer logged in on a laptop screen, and the pages refused.
browser_context_args = admin_in_browser.browser_context_args
organizer = admin_in_browser.organizer
refusals = admin_in_browser.refusals

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign", "organizers_group"),
]

SHEET = (
    "Prénom;Nom;Courriel;Code postal;Nouvelles\n"
    "Marie;Tremblay;marie@example.org;H2X 1Y4;oui\n"
    "Jean;Dupont;;K1A 0B1;non\n"
    "Web;Signer;web.signer@example.org;K1A 0B1;\n"
).encode()


def test_organizer_uploads_a_paper_batch_previews_it_and_sees_the_count_move(
    page,
    live_server,
    organizer,
    refusals,
    tmp_path,
):
    petition = Petition.objects.get(slug=SEED_SLUG)
    SignatureFactory(petition=petition, email="web.signer@example.org")
    campaign = f"{live_server.url}/en/p/{SEED_SLUG}/"
    page.goto(campaign)
    expect(page.locator(".progress-count strong")).to_have_text("1")
    sheet = tmp_path / "rally.csv"
    sheet.write_bytes(SHEET)

    page.goto(f"{live_server.url}/admin/signatures/signature/")
    page.get_by_role("link", name="Add paper signatures").click()
    page.get_by_label("Petition").select_option(str(petition.pk))
    page.get_by_label("Event").fill("Rally at City Hall")
    page.get_by_label("Collected on").fill("2026-05-01")
    page.get_by_label("Collected by").fill("Ottawa volunteers")
    page.get_by_label("CSV file").set_input_files(str(sheet))
    page.get_by_role("button", name="Preview").click()

    summary = page.locator("#paper-summary")
    expect(summary).to_contain_text("2 rows are valid")
    expect(summary).to_contain_text("1 duplicate of someone who already signed")
    expect(page.locator("#paper-row-4")).to_contain_text("Already signed online")
    assert not Signature.objects.filter(paper_batch__isnull=False).exists()
    page.get_by_role("button", name="Add 2 signatures").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "2 paper signatures added from “Rally at City Hall”. "
        "The petition now counts 3 signatures."
    )
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    batch = PaperBatch.objects.get()
    assert (batch.imported, batch.skipped) == (2, 1)
    page.goto(campaign)
    expect(page.locator(".progress-count strong")).to_have_text("3")
    assert refusals == []
