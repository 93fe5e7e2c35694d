"""An organizer uploads a logo and share images in the admin: what is kept
is drawn again from the pixels alone, and a file that is no usable image is
refused with a message beside its field, never a server error."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from petition.models import Petition
from tests.admin.pages import change_form_data
from tests.html_tools import parse_page
from tests.images import (
    CAMERA_OWNER,
    claimed_pixels,
    image_bytes,
    opened,
    photo_with_gps,
    pixel_bomb,
)

pytestmark = pytest.mark.django_db


def _upload(client, petition: Petition, **files: tuple[str, bytes]):
    data = change_form_data(client, petition)
    data["organizer_name_en"] = "Amira Haddad"
    for field, (name, content) in files.items():
        data[field] = SimpleUploadedFile(name, content)
    return client.post(f"/admin/petition/petition/{petition.pk}/change/", data)


def _stored(name: str) -> bytes:
    with default_storage.open(name) as file:
        return file.read()


def _error_beside(response, field: str) -> str:
    page = parse_page(response.content.decode())
    rows = [
        element
        for element in page.all("div")
        if f"field-{field}" in element.attrs.get("class", "").split()
    ]
    assert rows, f"no form row for {field}"
    errors = [
        e for e in rows[0].descendants() if "errorlist" in e.attrs.get("class", "")
    ]
    return " ".join(" ".join(e.text.split()) for e in errors)


def test_a_photo_uploaded_as_share_image_is_kept_at_1200_by_630_without_where_it_was_taken(
    client, organizer, petition
):
    response = _upload(
        client, petition, share_image_en=("holiday.jpg", photo_with_gps((1600, 1200)))
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    stored = _stored(petition.share_image_en.name)
    image = opened(stored)
    assert image.format == "JPEG"
    assert image.size == (1200, 630)
    assert not image.getexif()
    assert "exif" not in image.info
    assert b"Exif" not in stored
    assert CAMERA_OWNER.encode() not in stored
    assert b"PhoneMaker" not in stored
    assert not petition.share_image_fr  # the other language keeps the drawn one


def test_a_tall_share_image_is_cropped_around_its_middle(client, organizer, petition):
    # Blue top and bottom, red middle: the card shows only the middle.
    tall = Image.new("RGB", (1200, 2000), "blue")
    tall.paste(Image.new("RGB", (1200, 700), "red"), (0, 650))
    out = io.BytesIO()
    tall.save(out, format="PNG")

    _upload(client, petition, share_image_en=("poster.png", out.getvalue()))

    petition.refresh_from_db()
    image = opened(_stored(petition.share_image_en.name)).convert("RGB")
    assert image.size == (1200, 630)
    for point in [(600, 5), (600, 315), (600, 624)]:
        red, _green, blue = image.getpixel(point)
        assert red > 200, point
        assert blue < 60, point


def test_a_logo_keeps_its_proportions_and_transparent_background(
    client, organizer, petition
):
    logo = image_bytes((1000, 500), "PNG", mode="RGBA", colour=(0, 0, 0, 0))

    response = _upload(client, petition, organizer_logo=("logo.png", logo))

    assert response.status_code == 302
    petition.refresh_from_db()
    image = opened(_stored(petition.organizer_logo.name))
    assert image.format == "PNG"
    assert image.size == (400, 200)
    assert image.mode == "RGBA"
    assert image.getpixel((10, 10))[3] == 0
    assert (petition.organizer_logo_width, petition.organizer_logo_height) == (400, 200)


@pytest.mark.parametrize(
    ("name", "kind", "params"),
    [
        ("animated.gif", "GIF", {"save_all": True}),
        ("photo.webp", "WEBP", {}),
    ],
)
def test_gif_and_webp_images_are_accepted_and_kept_as_jpeg(
    client, organizer, petition, name, kind, params
):
    data = image_bytes((1300, 700), kind, colour="green", **params)

    response = _upload(client, petition, share_image_fr=(name, data))

    assert response.status_code == 302
    petition.refresh_from_db()
    image = opened(_stored(petition.share_image_fr.name))
    assert (image.format, image.size) == ("JPEG", (1200, 630))


def _too_big() -> bytes:
    # An image file a little over 10 MB: noise does not compress.
    noise = Image.frombytes("RGB", (2000, 1800), bytes(range(256)) * 42188)
    out = io.BytesIO()
    noise.save(out, format="PNG", compress_level=0)
    return out.getvalue()


@pytest.mark.parametrize(
    ("field", "name", "content", "message"),
    [
        (
            "share_image_en",
            "card.png",
            b"Dear organizers, here is our text.\n",
            "This file is not an image.",
        ),
        (
            "organizer_logo",
            "logo.png",
            b"%PDF-1.4 not a logo\n",
            "This file is not an image.",
        ),
        (
            "share_image_en",
            "huge.png",
            pixel_bomb(),
            "This image has too many pixels (at most 50 million).",
        ),
        (
            "organizer_logo",
            "bomb.png",
            claimed_pixels(30_000, 30_000),
            "This image has too many pixels (at most 50 million).",
        ),
        (
            "organizer_logo",
            "logo.bmp",
            image_bytes((200, 200), "BMP"),
            "BMP images are not accepted here.",
        ),
        (
            "share_image_fr",
            "small.png",
            image_bytes((300, 200)),
            "This image is 300 × 200 pixels; it must be at least 600 × 315.",
        ),
        (
            "organizer_logo",
            "logo.png",
            image_bytes((20, 20)),
            "it must be at least 48 × 48.",
        ),
        (
            "share_image_en",
            "broken.png",
            image_bytes((1200, 630))[:200],
            "This image is damaged or incomplete",
        ),
    ],
    ids=[
        "text",
        "text-logo",
        "pixels",
        "claimed-pixels",
        "bmp",
        "small-share",
        "small-logo",
        "truncated",
    ],
)
def test_a_file_that_is_no_usable_image_is_refused_beside_its_field(
    client, organizer, petition, field, name, content, message
):
    response = _upload(client, petition, **{field: (name, content)})

    assert response.status_code == 200
    assert message in _error_beside(response, field)
    # What was typed is kept for the next try; nothing was stored.
    assert 'value="Amira Haddad"' in response.content.decode()
    petition.refresh_from_db()
    assert not getattr(petition, field)
    assert not petition.organizer_name_en


def test_a_file_over_10_mb_is_refused_before_it_is_read(client, organizer, petition):
    content = _too_big()
    assert len(content) > 10 * 1024 * 1024

    response = _upload(client, petition, share_image_en=("big.png", content))

    assert response.status_code == 200
    assert "an image may be at most 10 MB" in _error_beside(response, "share_image_en")


def test_a_large_post_to_the_petition_form_from_someone_not_logged_in_is_refused(
    client, petition
):
    response = client.post(
        f"/admin/petition/petition/{petition.pk}/change/",
        {"share_image_en": SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * 2**21)},
    )

    assert response.status_code == 400
