import pytest
from django.core import mail

from tests.browser.conftest import PHONE
from tests.signing import confirmation_link

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]


@pytest.fixture(autouse=True)
def _people_type_fast_in_tests(settings):
    # A browser driven by a test fills the form faster than the bot threshold.
    settings.SIGNATURE_MIN_FILL_SECONDS = 0


def shown_count(page) -> int:
    return int(page.locator("progress").first.get_attribute("value"))


def fill_and_sign(page, *, email: str, postal_code: str) -> None:
    page.get_by_label("Full name").fill("Jane Doe")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Postal code").fill(postal_code)
    page.get_by_role("button", name="Sign the petition").click()


def test_supporter_fixes_a_typo_signs_confirms_and_sees_the_count_rise(
    page, live_server, screenshot_dir
):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    assert shown_count(page) == 0

    fill_and_sign(page, email="jane@example.org", postal_code="K1A 0B")

    error = page.locator("#id_postal_code_error")
    assert "Enter a Canadian postal code like K1A 0B1" in error.inner_text()
    assert page.get_by_label("Full name").input_value() == "Jane Doe"
    page.screenshot(path=screenshot_dir / "sign-error-360.png", full_page=True)

    page.get_by_label("Postal code").fill("K1A 0B1")
    page.get_by_role("button", name="Sign the petition").click()

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your email to confirm your signature"
    )
    link = confirmation_link(mail.outbox[-1])
    page.goto(live_server.url + link)
    page.get_by_role("button", name="Confirm my signature").click()

    assert (
        "your signature is confirmed"
        in page.get_by_role("heading", level=1).inner_text()
    )
    assert shown_count(page) == 1

    page.goto(live_server.url + "/")
    fill_and_sign(page, email="JANE@Example.org ", postal_code="K1A 0B1")

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your email to confirm your signature"
    )
    page.goto(live_server.url + "/")
    assert shown_count(page) == 1
