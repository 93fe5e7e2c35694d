"""The campaign page's link preview, as Chromium reads it: the tags of both
languages, and every image, icon and manifest they name fetched from the
running site and decoded."""

import io
import json
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.django_db(transaction=True)

READ_TAGS = """() => {
  const tags = {};
  const add = (key, value) => { (tags[key] = tags[key] || []).push(value); };
  for (const meta of document.querySelectorAll("meta[property], meta[name]")) {
    add(meta.getAttribute("property") || meta.getAttribute("name"), meta.content);
  }
  for (const link of document.querySelectorAll("link[rel]")) {
    add("link:" + link.rel, link.getAttribute("href"));
  }
  return tags;
}"""


@pytest.fixture
def bilingual(seed_campaign):
    # A transactional test reloads the seed without migration 0007's French.
    seed_campaign.title_fr = "Plus jamais de familles en cage"
    seed_campaign.body_fr = "Laissez-les entrer."
    seed_campaign.call_to_action_fr = "Signez la pétition"
    seed_campaign.published_languages = ["en", "fr"]
    seed_campaign.save()
    return seed_campaign


def fetched_image(page, base: str, url: str) -> Image.Image:
    """One image a tag names, from the running site (the tags give the
    public address, SITE_URL; the path is the same here)."""
    response = page.request.get(base + urlsplit(url).path)
    assert response.ok, url
    assert response.headers["content-type"].startswith("image/"), url
    image = Image.open(io.BytesIO(response.body()))
    image.load()  # all of it decodes, not only its header
    return image


@pytest.mark.parametrize(("language", "locale"), [("en", "en_CA"), ("fr", "fr_CA")])
def test_preview_tags_name_a_large_card_whose_images_all_load(
    bilingual, page, live_server, language, locale
):
    page.goto(f"{live_server.url}/{language}/p/{SEED_SLUG}/")
    tags = page.evaluate(READ_TAGS)
    title = bilingual.text(language).title

    assert tags["og:title"] == [title]
    assert tags["og:locale"] == [locale]
    assert tags["og:site_name"][0]
    assert tags["twitter:card"] == ["summary_large_image"]
    assert tags["og:image"] == tags["twitter:image"]
    assert urlsplit(tags["og:url"][0]).path == f"/{language}/p/{SEED_SLUG}/"
    assert tags["link:canonical"] == tags["og:url"]

    card = fetched_image(page, live_server.url, tags["og:image"][0])
    assert card.size == (1200, 630)
    assert [str(card.width)] == tags["og:image:width"]

    assert fetched_image(
        page, live_server.url, tags["link:apple-touch-icon"][0]
    ).size == (180, 180)
    for href in tags["link:icon"]:
        response = page.request.get(live_server.url + urlsplit(href).path)
        assert response.ok, href
    manifest = json.loads(
        page.request.get(
            live_server.url + urlsplit(tags["link:manifest"][0]).path
        ).body()
    )
    assert manifest["start_url"] == f"/{language}/"
    for icon in manifest["icons"]:
        image = fetched_image(page, live_server.url, icon["src"])
        assert f"{image.width}x{image.height}" == icon["sizes"]
