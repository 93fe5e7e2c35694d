import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from tests.conftest import SEED_SLUG, TEST_DATA
from tests.factories import FootnoteFactory, PetitionFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db

SHARED_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def sentences(text: str) -> list[str]:
    """Split each line of the seed into sentences, white space folded."""
    found: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        found.extend(s for s in re.split(r"(?<=[.?!:])\s+", line) if s)
    return found


def test_home_page_shows_every_sentence_of_the_seed_campaign(client, seed_text):
    page = parse_page(client.get("/en/").content.decode())

    missing = [s for s in sentences(seed_text) if s not in page.visible_text]

    assert missing == []


def test_seed_campaign_paragraphs_appear_in_the_authors_order(client, seed_text):
    text = parse_page(client.get("/en/").content.decode()).visible_text
    # The page puts the title above the "To:" line; from the body on, the
    # order must be the source's.
    body_sentences = sentences(seed_text)[2:]

    positions = [text.find(s) for s in body_sentences]

    assert positions == sorted(positions)


def test_vendored_seed_is_the_shared_seed():
    shared = sorted(SHARED_SEEDS.glob("*.txt")) if SHARED_SEEDS.is_dir() else []
    if not shared:
        pytest.skip(f"no shared seed beside the checkout ({SHARED_SEEDS})")
    vendored = (TEST_DATA / "seed_campaign.txt").read_text(encoding="utf-8")

    assert shared[0].read_text(encoding="utf-8") == vendored


def test_seed_campaign_has_its_heading_to_line_and_emphasised_closing_lines(client):
    html = client.get(f"/en/p/{SEED_SLUG}/").content.decode()
    page = parse_page(html)

    assert [h.text for h in page.all("h1")] == [
        "No more caged families: Scrap the Safe Third Country Agreement"
    ]
    assert "Why is this important?" in [h.text for h in page.all("h2")]
    assert (
        "To: Prime Minister Justin Trudeau and Minister of Immigration, Refugees "
        "and Citizenship Ahmed Hussen" in page.visible_text
    )
    body = next(e for e in page.all("div") if e.attrs.get("class") == "petition-body")
    emphasised = [e.text for e in body.descendants() if e.tag == "strong"]
    assert emphasised == ["Let them in.", "Let them stay."]


def test_footnote_markers_and_footnotes_link_to_each_other(client):
    page = parse_page(client.get("/en/").content.decode())

    for number in (1, 2, 3):
        marker = page.by_id(f"fnref-{number}")
        footnote = page.by_id(f"fn-{number}")
        assert marker is not None, f"marker [{number}] has no anchor"
        assert footnote is not None, f"footnote {number} has no anchor"
        assert marker.tag == "a"
        assert marker.attrs["href"] == f"#fn-{number}"
        assert marker.text == f"[{number}]"
        back_links = [
            c for c in page.elements if c.attrs.get("href") == f"#fnref-{number}"
        ]
        assert len(back_links) == 1
        assert back_links[0] in footnote.descendants()


def test_every_in_page_link_has_a_target(client):
    page = parse_page(client.get("/en/").content.decode())
    ids = {e.attrs["id"] for e in page.elements if "id" in e.attrs}

    targets = {
        e.attrs["href"][1:]
        for e in page.all("a")
        if e.attrs.get("href", "").startswith("#")
    }

    assert targets
    assert targets <= ids


def test_footnotes_keep_their_titles_and_have_no_invented_links(client):
    page = parse_page(client.get("/en/").content.decode())
    footnote_texts = [" ".join(page.by_id(f"fn-{n}").text.split()) for n in (1, 2, 3)]

    assert footnote_texts[0].startswith("[1] Canada-US Safe Third Country Agreement")
    assert footnote_texts[1].startswith(
        "[2] New numbers show spike in asylum seekers crossing from U.S. to Manitoba "
        "(CBC News)."
    )
    assert footnote_texts[2].startswith(
        "[3] Trump moves ahead with wall, puts stamp on U.S. immigration, security "
        "policy (Reuters)."
    )
    external = [a for a in page.all("a") if a.attrs.get("href", "").startswith("http")]
    assert external == []


def test_footnote_with_a_link_points_to_its_source(client):
    footnote = FootnoteFactory(number=1, url="https://example.org/source")
    footnote.petition.body = "A claim.[1]"
    footnote.petition.save()

    page = parse_page(client.get(footnote.petition.get_absolute_url()).content.decode())

    link = next(
        a for a in page.all("a") if a.attrs.get("href") == "https://example.org/source"
    )
    assert link.text == "A source for the claim"


def test_home_page_features_the_most_recently_published_petition(client):
    PetitionFactory(title="Older", published_at=timezone.now() - timedelta(days=1))
    newest = PetitionFactory(title="Newest", published_at=timezone.now())

    page = parse_page(client.get("/en/").content.decode())

    assert [h.text for h in page.all("h1")] == [newest.title]


def test_home_page_without_any_published_petition_is_a_friendly_404(client):
    from petition.models import Petition

    Petition.objects.update(published_at=None)

    response = client.get("/en/")

    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()


def test_unknown_petition_address_is_a_friendly_404(client):
    response = client.get("/en/p/no-such-petition/")

    assert response.status_code == 404
    page = parse_page(response.content.decode())
    assert [h.text for h in page.all("h1")] == ["We couldn’t find that page"]
    assert any(a.attrs.get("href") == "/en/" for a in page.all("a"))


@pytest.mark.parametrize(
    "published_at",
    [None, timezone.now() + timedelta(days=1)],
    ids=["draft", "scheduled"],
)
def test_unpublished_petition_is_not_shown(client, published_at):
    draft = PetitionFactory(published_at=published_at, title="Secret draft")

    response = client.get(f"/en/p/{draft.slug}/")

    assert response.status_code == 404
    assert "Secret draft" not in response.content.decode()


def test_closed_petition_is_still_shown_and_says_it_is_closed(client):
    closed = PetitionFactory(is_open=False)

    response = client.get(closed.get_absolute_url())

    assert response.status_code == 200
    assert "This petition is closed" in response.content.decode()


def test_organizer_html_in_any_field_is_shown_as_text_never_run(client):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    petition = PetitionFactory(
        title=attack,
        addressees=attack,
        body=f"{attack}\n\n[click](javascript:alert(1)) ![img](https://evil.example/x.png)",
        why_important=attack,
        call_to_action=attack,
    )
    FootnoteFactory(petition=petition, number=1, text=attack)

    html = client.get(petition.get_absolute_url()).content.decode()

    assert "<script>" not in html  # only our own <script src=...> tag
    assert "<img" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html


def test_page_has_one_h1_landmarks_skip_link_and_language(client):
    html = client.get("/en/").content.decode()
    page = parse_page(html)

    assert len(page.all("h1")) == 1
    assert page.all("html")[0].attrs["lang"] == "en"
    for landmark in ("header", "main", "footer"):
        assert page.all(landmark), f"no <{landmark}> landmark"
    skip = page.all("a")[0]
    assert skip.attrs["href"] == "#main"
    assert page.by_id("main").tag == "main"


def test_page_needs_no_javascript_and_no_outside_host(client):
    html = client.get("/en/").content.decode()
    page = parse_page(html)

    # The only script is our own, deferred: it enhances, nothing needs it.
    scripts = [e.attrs.get("src", "") for e in page.all("script")]
    assert len(scripts) == 1
    assert re.fullmatch(r"/static/js/site\.[0-9a-f]{12}\.js", scripts[0])
    assert "defer" in page.all("script")[0].attrs
    assert [f.attrs["method"] for f in page.all("form")] == ["post"]
    loaded = [
        e.attrs["href"]
        for e in page.all("link")
        if e.attrs["rel"] not in {"canonical", "alternate"}
    ]
    assert loaded
    # Our own host only: static files, and the icons and manifest served at
    # the addresses browsers look for.
    assert all(url.startswith("/") and not url.startswith("//") for url in loaded)
    stylesheet = next(e for e in page.all("link") if e.attrs.get("rel") == "stylesheet")
    assert re.fullmatch(
        r"/static/css/site\.[0-9a-f]{12}\.css", stylesheet.attrs["href"]
    )


def test_stylesheet_is_served_with_a_long_cache_lifetime(client):
    page = parse_page(client.get("/en/").content.decode())
    stylesheet = next(e for e in page.all("link") if e.attrs.get("rel") == "stylesheet")

    response = client.get(stylesheet.attrs["href"])

    assert response.status_code == 200
    assert "max-age=315360000" in response["Cache-Control"]


def test_link_previews_describe_the_campaign(client):
    page = parse_page(client.get("/en/").content.decode())
    meta = {
        e.attrs.get("property") or e.attrs.get("name"): e.attrs.get("content")
        for e in page.all("meta")
    }

    assert (
        meta["og:title"]
        == "No more caged families: Scrap the Safe Third Country Agreement"
    )
    assert meta["og:description"].startswith(
        "Ripping screaming children from their mother’s arms."
    )
    assert meta["og:url"] == f"{django_settings.SITE_URL}/en/p/{SEED_SLUG}/"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["description"] == meta["og:description"]


def test_server_error_page_is_friendly_and_complete(rf, settings):
    from core.views import server_error

    settings.SITE_NAMES = {"en": "Migrant Justice", "fr": "Justice migrante"}

    response = server_error(rf.get("/"))

    assert response.status_code == 500
    page = parse_page(response.content.decode())
    assert [h.text for h in page.all("h1")] == ["Something went wrong on our side"]
    assert any(a.attrs.get("href") == "/en/" for a in page.all("a"))
    site_link = next(
        a for a in page.all("a") if "site-name" in a.attrs.get("class", "")
    )
    assert site_link.text.strip() == "Migrant Justice"
    assert (
        "Migrant Justice: Sign, share, and make your voice heard." in page.visible_text
    )


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/en/")

    policy = response["Content-Security-Policy"]
    directives = {
        part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()
    }
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
