"""What a link to the campaign shows when pasted into a chat app or a
social network: the preview tags of each language, and every image they
name, fetched the way a link preview robot fetches it."""

import io
import json
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from PIL import Image

from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db

OTHER_LOCALE = {"en_CA": "fr_CA", "fr_CA": "en_CA"}


@pytest.fixture
def bilingual(seed_campaign):
    seed_campaign.published_languages = ["en", "fr"]
    seed_campaign.save()
    return seed_campaign


def _tags(html: str) -> dict[str, list[str]]:
    """Each meta property or name, and the link relations, with their values."""
    page = parse_page(html)
    tags: dict[str, list[str]] = {}
    for meta in page.all("meta"):
        key = meta.attrs.get("property") or meta.attrs.get("name")
        if key:
            tags.setdefault(key, []).append(meta.attrs.get("content", ""))
    for link in page.all("link"):
        key = f"link:{link.attrs.get('rel')}"
        tags.setdefault(key, []).append(link.attrs["href"])
    return tags


def _local(url: str) -> str:
    """The path of one of our absolute URLs, for the test client."""
    assert url.startswith((django_settings.SITE_URL + "/", "/"))
    return urlsplit(url).path


def _image(client, url: str) -> Image.Image:
    response = client.get(_local(url))
    assert response.status_code == 200, url
    assert response["Content-Type"] == "image/png", url
    return Image.open(io.BytesIO(response.content))


@pytest.mark.parametrize(("language", "locale"), [("en", "en_CA"), ("fr", "fr_CA")])
def test_campaign_page_has_large_image_preview_tags_in_each_language(
    client, bilingual, language, locale
):
    response = client.get(f"/{language}/p/{SEED_SLUG}/")
    tags = _tags(response.content.decode())
    page_url = f"{django_settings.SITE_URL}/{language}/p/{SEED_SLUG}/"
    title = bilingual.text(language).title

    assert tags["og:url"] == [page_url]
    assert tags["link:canonical"] == [page_url]
    assert tags["og:title"] == [title]
    assert tags["og:description"][0]
    assert tags["og:site_name"][0]
    assert tags["og:locale"] == [locale]
    assert tags["og:locale:alternate"] == [OTHER_LOCALE[locale]]
    assert tags["twitter:card"] == ["summary_large_image"]
    assert tags["og:image"] == tags["twitter:image"]
    assert tags["og:image"][0].startswith(f"{django_settings.SITE_URL}/{language}/")
    assert (tags["og:image:width"], tags["og:image:height"]) == (["1200"], ["630"])
    assert tags["og:image:alt"] == [title]
    alternates = set(tags["link:alternate"])
    assert {
        f"{django_settings.SITE_URL}/en/p/{SEED_SLUG}/",
        f"{django_settings.SITE_URL}/fr/p/{SEED_SLUG}/",
    } <= alternates
    assert tags["theme-color"] == ["#14324a"]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_image_the_preview_tags_name_can_be_fetched(client, bilingual, language):
    tags = _tags(client.get(f"/{language}/p/{SEED_SLUG}/").content.decode())

    share = _image(client, tags["og:image"][0])
    assert share.format == "PNG"
    assert share.size == (1200, 630)
    share.load()  # the whole image decodes, not just its header

    apple = _image(client, tags["link:apple-touch-icon"][0])
    assert apple.size == (180, 180)

    icons = [href for href in tags["link:icon"] if href.endswith(".ico")]
    favicon = client.get(_local(icons[0]))
    assert favicon.status_code == 200
    assert favicon["Content-Type"] == "image/x-icon"
    assert Image.open(io.BytesIO(favicon.content)).format == "ICO"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_manifest_names_the_site_and_opens_in_the_readers_language(
    client, seed_campaign, language
):
    tags = _tags(client.get(f"/{language}/p/{SEED_SLUG}/").content.decode())
    response = client.get(_local(tags["link:manifest"][0]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == django_settings.SITE_NAMES[language]
    assert manifest["start_url"] == f"/{language}/"
    assert manifest["theme_color"] == "#14324a"
    for icon in manifest["icons"]:
        image = _image(client, icon["src"])
        assert f"{image.width}x{image.height}" == icon["sizes"]


@pytest.mark.parametrize("path", ["/favicon.ico", "/apple-touch-icon.png"])
def test_icons_browsers_ask_for_unprompted_are_there_and_kept_long(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert "max-age=86400" in response["Cache-Control"]
    assert "Vary" not in response or "Accept-Language" not in response["Vary"]


def test_share_image_is_cached_for_a_few_minutes_then_shows_the_new_count(
    client, seed_campaign, settings
):
    url = f"/en/p/{SEED_SLUG}/share.png"
    first = client.get(url)
    assert "s-maxage=300" in first["Cache-Control"]
    assert "public" in first["Cache-Control"]

    SignatureFactory.create_batch(3, petition=seed_campaign)
    assert client.get(url).content == first.content  # drawn at most every 5 min

    cache.clear()  # as five minutes later
    assert client.get(url).content != first.content  # the count moved


def test_untranslated_page_previews_the_text_it_shows(client, seed_campaign):
    """The French page of a petition not yet published in French shows the
    English text: its preview is the English page's."""
    tags = _tags(client.get(f"/fr/p/{SEED_SLUG}/").content.decode())

    assert tags["og:locale"] == ["en_CA"]
    assert "og:locale:alternate" not in tags
    assert tags["og:image"] == [
        f"{django_settings.SITE_URL}/en/p/{SEED_SLUG}/share.png"
    ]


def test_share_image_of_an_unknown_petition_is_not_found(client, db):
    assert client.get("/en/p/no-such-petition/share.png").status_code == 404


def test_share_image_draws_french_with_its_accents_and_dashes():
    from petition.share_image import drawable

    french = "Pas de familles en cage : « pays tiers sûrs » — Pétition, ça suffit"
    assert drawable(french) == french
