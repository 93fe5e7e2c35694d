"""The sign form without a CSRF token, as Chromium sends it: from the site's
own page it is taken and not marked; from another page it is refused."""

import pytest

from signatures.models import Signature
from tests.conftest import SEED_SLUG

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]


def test_a_person_signing_in_a_real_browser_is_taken_and_not_marked(
    page, live_server, settings
):
    assert settings.SIGNATURE_MIN_FILL_SECONDS == 2  # the production threshold
    page.goto(f"{live_server.url}/en/p/{SEED_SLUG}/")
    # Typed as a person types, a key at a time.
    page.get_by_label("Full name").press_sequentially("Jane Doe", delay=100)
    page.get_by_label("Email address").press_sequentially("jane@example.org", delay=100)
    page.get_by_label("Postal code").press_sequentially("K1A 0B1", delay=100)
    page.get_by_role("button", name="Sign the petition").click()

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your email to confirm your signature"
    )
    signature = Signature.objects.get()
    assert signature.review_reason == ""
    assert signature.email == "jane@example.org"


def test_a_form_on_another_page_posting_to_the_sign_view_is_refused(page, live_server):
    # A page of no origin of ours (about:blank, as another site would be).
    page.set_content(
        f'<form method="post" action="{live_server.url}/en/p/{SEED_SLUG}/sign/">'
        '<input name="full_name" value="Forged Person">'
        '<input name="email" value="forged@example.org">'
        '<input name="country" value="CA">'
        '<input name="postal_code" value="K1A 0B1">'
        '<input name="shown_for" value="30000">'
        "<button>Send</button></form>"
    )
    with page.expect_navigation() as navigation:
        page.click("button")

    assert navigation.value.status == 403
    assert "another site is refused" in page.content()
    assert not Signature.objects.exists()
