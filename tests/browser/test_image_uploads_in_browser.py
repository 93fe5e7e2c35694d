"""An organizer uploads a logo and a share image in the admin, in Chromium:
the campaign page then shows the logo and names the new share image."""

import io

import pytest
from django.contrib.auth.models import User
from PIL import Image
from playwright.sync_api import expect

from tests.browser.test_accessibility import serious_violations
from tests.browser.test_admin_in_browser import PASSWORD, log_in, new_organizer
from tests.conftest import SEED_SLUG
from tests.images import image_bytes, photo_with_gps

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign", "organizers_group"),
]


@pytest.fixture
def organizer(page, live_server) -> None:
    new_organizer()
    user = User.objects.get(username="org@example.org")
    user.set_password(PASSWORD)
    user.save()
    log_in(page, live_server)


def test_an_organizer_uploads_a_logo_and_share_image_and_the_page_shows_them(
    page, live_server, organizer, seed_campaign, tmp_path
):
    logo = tmp_path / "our logo.png"
    logo.write_bytes(image_bytes((600, 300), "PNG", colour="navy"))
    photo = tmp_path / "rally.jpg"
    photo.write_bytes(photo_with_gps((2000, 1500)))
    text_file = tmp_path / "notes.png"
    text_file.write_bytes(b"Not a picture at all.\n")

    page.goto(f"{live_server.url}/admin/petition/petition/{seed_campaign.pk}/change/")
    page.locator("#id_organizer_name_en").fill("Amira Haddad")
    page.locator("#id_organizer_organization_en").fill("Friends of Refugees")
    page.locator("#id_organizer_logo").set_input_files(logo)
    page.locator("#id_share_image_en").set_input_files(text_file)
    page.get_by_role("button", name="Save", exact=True).click()

    # The text file is refused beside its field; what was typed is kept.
    expect(page.locator(".field-share_image_en .errorlist")).to_contain_text(
        "This file is not an image."
    )
    expect(page.locator("#id_organizer_name_en")).to_have_value("Amira Haddad")
    # A browser never sends a chosen file twice: both are chosen again.
    page.locator("#id_organizer_logo").set_input_files(logo)
    page.locator("#id_share_image_en").set_input_files(photo)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    page.goto(f"{live_server.url}/en/p/{SEED_SLUG}/")
    logo_image = page.locator("img.organizer-logo")
    expect(logo_image).to_be_visible()
    expect(logo_image).to_have_attribute("alt", "Logo of Friends of Refugees")
    assert logo_image.evaluate("image => image.complete && image.naturalWidth") == 400
    expect(page.locator(".started-by")).to_contain_text(
        "Started by Amira Haddad, Friends of Refugees"
    )
    assert serious_violations(page) == []
    og_image = page.locator('meta[property="og:image"]').get_attribute("content")
    assert og_image
    assert "/media/petition-images/share-en-" in og_image
    twitter = page.locator('meta[name="twitter:image"]').get_attribute("content")
    assert twitter == og_image

    path = og_image.split("://", 1)[1].split("/", 1)[1]
    response = page.request.get(f"{live_server.url}/{path}")
    assert response.status == 200
    assert response.headers["content-type"] == "image/jpeg"
    shared = Image.open(io.BytesIO(response.body()))
    assert shared.size == (1200, 630)
    assert not shared.getexif()
