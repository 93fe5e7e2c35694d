"""A share image the organizer uploaded, per language: what link previews
show, fetched as their robots fetch it, and the drawn one again once it is
removed."""

import io

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.admin.pages import change_form_data
from tests.conftest import SEED_SLUG
from tests.factories import PetitionFactory
from tests.html_tools import parse_page
from tests.images import image_bytes, photo_with_gps
from tests.test_link_previews import _local, _tags

pytestmark = pytest.mark.django_db

CHANGE = "/admin/petition/petition/{pk}/change/"


@pytest.fixture
def bilingual(seed_campaign):
    seed_campaign.published_languages = ["en", "fr"]
    seed_campaign.save()
    return seed_campaign


def _post(client, petition, **changes):
    data = change_form_data(client, petition)
    data.update(changes)
    response = client.post(CHANGE.format(pk=petition.pk), data)
    assert response.status_code == 302
    return response


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def _og_image(language: str) -> str:
    # As a robot that fetches the page: no session, its own client.
    tags = _tags(Client().get(f"/{language}/p/{SEED_SLUG}/").content.decode())
    assert tags["og:image"] == tags["twitter:image"]
    return tags["og:image"][0]


def _fetched(url: str) -> tuple[Image.Image, dict[str, str]]:
    """The image at `url`, and the headers it came with."""
    response = Client().get(_local(url))
    assert response.status_code == 200, url
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image, dict(response.headers)


def _colour(image: Image.Image) -> tuple[int, int, int]:
    red, green, blue = image.convert("RGB").getpixel((600, 315))  # type: ignore[misc]
    return red, green, blue


def test_each_language_previews_the_share_image_uploaded_for_it(
    client, organizer, bilingual
):
    drawn = {language: _og_image(language) for language in ("en", "fr")}

    _post(
        client,
        bilingual,
        share_image_en=_upload("en.jpg", photo_with_gps(colour="red")),
        share_image_fr=_upload("fr.png", image_bytes((1200, 630), colour="blue")),
    )

    for language, colour in [("en", "red"), ("fr", "blue")]:
        url = _og_image(language)  # the page changed at once: the cache dropped it
        assert url != drawn[language]
        assert url.startswith(f"{django_settings.SITE_URL}/media/")
        image, response = _fetched(url)
        assert response["Content-Type"] == "image/jpeg"
        assert image.size == (1200, 630)
        red, _green, blue = _colour(image)
        assert (red > blue) == (colour == "red"), language
        assert "public" in response["Cache-Control"]
        tags = _tags(Client().get(f"/{language}/p/{SEED_SLUG}/").content.decode())
        assert tags["og:image:type"] == ["image/jpeg"]
        assert (tags["og:image:width"], tags["og:image:height"]) == (["1200"], ["630"])


def test_a_new_share_image_gets_a_new_address(client, organizer, bilingual):
    _post(client, bilingual, share_image_en=_upload("a.png", image_bytes((1200, 630))))
    first = _og_image("en")

    _post(
        client,
        bilingual,
        share_image_en=_upload("a.png", image_bytes((1200, 630), colour="yellow")),
    )

    assert _og_image("en") != first  # no cache keeps showing the old one


def test_removing_the_upload_brings_back_the_drawn_image(client, organizer, bilingual):
    _post(client, bilingual, share_image_en=_upload("en.png", image_bytes((900, 500))))
    assert "/media/" in _og_image("en")

    _post(client, bilingual, **{"share_image_en-clear": "on"})

    url = _og_image("en")
    assert url == f"{django_settings.SITE_URL}/en/p/{SEED_SLUG}/share.png"
    response = Client().get(_local(url))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (1200, 630)


def test_a_language_without_its_own_upload_previews_the_drawn_image(
    client, organizer, bilingual
):
    _post(client, bilingual, share_image_en=_upload("en.png", image_bytes((900, 500))))

    assert _og_image("fr").endswith(f"/fr/p/{SEED_SLUG}/share.png")


@pytest.mark.parametrize(
    "path",
    [
        "/media/petition-images/nothing-here.png",
        "/media/petition-images/../../config/settings.py",
        "/media/other/secret.png",
        "/media/petition-images/share.svg",
    ],
)
def test_only_uploaded_images_are_served_from_the_media_address(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("language", "alt"),
    [
        ("en", "Logo of Friends of Refugees"),
        ("fr", "Logo\u00a0: Ami·es des réfugié·es"),
    ],
)
def test_the_page_shows_the_organizers_logo_beside_who_started_it(
    client, organizer, bilingual, language, alt
):
    logo = image_bytes((800, 400), "PNG", mode="RGBA", colour=(20, 50, 74, 255))
    _post(
        client,
        bilingual,
        organizer_name_en="Amira Haddad",
        organizer_organization_en="Friends of Refugees",
        organizer_name_fr="Amira Haddad",
        organizer_organization_fr="Ami·es des réfugié·es",
        organizer_logo=_upload("logo.png", logo),
    )

    page = parse_page(Client().get(f"/{language}/p/{SEED_SLUG}/").content.decode())
    images = [
        i for i in page.all("img") if "organizer-logo" in i.attrs.get("class", "")
    ]
    assert len(images) == 1
    assert images[0].attrs["alt"] == alt
    assert (images[0].attrs["width"], images[0].attrs["height"]) == ("400", "200")
    response = Client().get(images[0].attrs["src"])
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (400, 200)


def test_a_logo_without_an_organizer_named_is_not_shown(client, organizer, bilingual):
    _post(
        client,
        bilingual,
        organizer_logo=_upload("logo.png", image_bytes((100, 100))),
    )

    page = Client().get(f"/en/p/{SEED_SLUG}/").content.decode()
    assert "organizer-logo" not in page


def test_a_replaced_or_removed_image_is_deleted_from_the_storage(
    client, organizer, bilingual, django_capture_on_commit_callbacks
):
    def save(**changes) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            _post(client, bilingual, **changes)
        bilingual.refresh_from_db()
        return bilingual.share_image_en.name

    first = save(share_image_en=_upload("a.png", image_bytes((1200, 630))))
    second = save(
        share_image_en=_upload("b.png", image_bytes((1200, 630), colour="yellow"))
    )

    assert not default_storage.exists(first)
    assert default_storage.exists(second)
    assert Client().get(f"/media/{first}").status_code == 404

    save(**{"share_image_en-clear": "on"})

    assert not default_storage.exists(second)


def test_removing_a_logo_keeps_the_same_logo_another_petition_shows(
    client, organizer, seed_campaign, settings, django_capture_on_commit_callbacks
):
    # A storage that overwrites a name already taken, as django-storages'
    # S3Storage does by default: the same picture is the same name.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"allow_overwrite": True},
        },
    }
    other = PetitionFactory()
    logo = image_bytes((200, 200))
    for petition in (seed_campaign, other):
        with django_capture_on_commit_callbacks(execute=True):
            _post(client, petition, organizer_logo=_upload("logo.png", logo))
        petition.refresh_from_db()
    assert seed_campaign.organizer_logo.name == other.organizer_logo.name

    with django_capture_on_commit_callbacks(execute=True):
        _post(client, seed_campaign, **{"organizer_logo-clear": "on"})

    assert default_storage.exists(other.organizer_logo.name)
    assert Client().get(f"/media/{other.organizer_logo.name}").status_code == 200
