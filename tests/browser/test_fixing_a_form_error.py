"""A person who sends the sign form with a mistake and fixes it at once is
not taken for a script: the time spent before the mistake still counts."""

import pytest

from signatures.models import Signature
from tests.conftest import SEED_SLUG

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]


def test_a_signer_fixing_a_form_error_at_once_is_not_marked(
    page, live_server, settings
):
    assert settings.SIGNATURE_MIN_FILL_SECONDS == 2  # the production threshold
    page.goto(f"{live_server.url}/en/p/{SEED_SLUG}/")
    page.wait_for_timeout(2500)  # reading the petition
    page.get_by_label("Full name").fill("Jane Doe")
    page.get_by_label("Email address").fill("jane@example.org")
    page.get_by_label("Postal code").fill("K1")  # a typo
    page.get_by_role("button", name="Sign the petition").click()
    page.get_by_text("Please fix the following to sign:").wait_for()

    # Fixed and sent again well within two seconds of the error page.
    page.get_by_label("Postal code").fill("K1A 0B1")
    page.get_by_role("button", name="Sign the petition").click()

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your email to confirm your signature"
    )
    signature = Signature.objects.get()
    assert signature.review_reason == ""


def test_a_form_sent_before_the_count_arrives_waits_for_its_time_and_is_not_marked(
    page, live_server, settings
):
    """On a slow connection the count (and the server's time with it) can
    arrive after the person has filled the form: the form waits for it."""
    count_url = f"**/p/{SEED_SLUG}/count.json"

    def slowly(route):
        response = route.fetch()  # the server answers now...
        page.wait_for_timeout(4000)  # ...and the answer takes 4 s to arrive
        route.fulfill(response=response)

    page.route(count_url, slowly)
    page.goto(f"{live_server.url}/en/p/{SEED_SLUG}/")
    page.get_by_label("Full name").fill("Jane Doe")
    page.get_by_label("Email address").fill("jane@example.org")
    page.get_by_label("Postal code").fill("K1A 0B1")
    page.wait_for_timeout(2200)  # past the threshold, before the count came
    assert page.locator("input[name=issued]").input_value() == ""
    page.get_by_role("button", name="Sign the petition").click()

    page.get_by_role(
        "heading", level=1, name="Check your email to confirm your signature"
    ).wait_for(timeout=15_000)
    page.unroute_all(behavior="ignoreErrors")
    signature = Signature.objects.get()
    assert signature.review_reason == ""
