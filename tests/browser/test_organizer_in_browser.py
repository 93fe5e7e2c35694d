"""The campaign page naming its organizer, in Chromium: still axe clean."""

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_accessibility import serious_violations
from tests.conftest import SEED_SLUG

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Before Playwright's event loop starts: the test database is made here.
    pytest.mark.usefixtures("seed_campaign"),
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize(
    ("language", "started_by"),
    [("en", "Started by Amira Haddad"), ("fr", "Lancée par Amira Haddad")],
)
def test_a_page_naming_its_organizer_has_no_serious_accessibility_violations(
    page, live_server, seed_campaign, language, started_by, viewport
):
    seed_campaign.organizer_name_en = "Amira Haddad"
    seed_campaign.organizer_organization_en = "Friends of Refugees"
    seed_campaign.organizer_about_en = "We welcome newcomers in Ottawa."
    seed_campaign.save()
    page.set_viewport_size(viewport)

    page.goto(f"{live_server.url}/{language}/p/{SEED_SLUG}/")

    assert started_by in page.locator(".started-by").inner_text()
    assert (
        "We welcome newcomers in Ottawa."
        in page.locator(".organizer-about").inner_text()
    )
    assert serious_violations(page) == []
