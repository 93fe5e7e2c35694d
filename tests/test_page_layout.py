"""The campaign page as served, before any script runs: the count near the
top, the way to the form, and when each recent signer signed."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db


def _page(client, language: str = "en"):
    response = client.get(f"/{language}/p/{SEED_SLUG}/")
    assert response.status_code == 200
    return parse_page(response.content.decode())


def _signed_minutes_ago(petition, minutes: int, **fields):
    at = timezone.now() - timedelta(minutes=minutes, seconds=5)
    return SignatureFactory(
        petition=petition,
        show_name_publicly=True,
        created_at=at,
        confirmed_at=at,
        **fields,
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "2 minutes ago"), ("fr", "il y a 2 minutes")],
)
def test_recent_signer_says_how_long_ago_they_signed_without_javascript(
    client, seed_campaign, language, words
):
    signature = _signed_minutes_ago(seed_campaign, 2, full_name="Jane Doe")

    page = _page(client, language)

    times = page.all("time")
    assert len(times) == 1
    assert times[0].text.replace("\xa0", " ") == words
    # The exact moment, for the page's script to say it again by the
    # reader's clock: the page itself is one copy for everyone.
    signed_at = datetime.fromisoformat(times[0].attrs["datetime"])
    assert signed_at == signature.confirmed_at
    assert "data-relative-time" in times[0].attrs
    signer = [li for li in page.all("li") if times[0] in li.children]
    assert signer[0].text.split()[0] == "Jane"


def test_each_recent_signer_has_their_own_time(client, seed_campaign):
    _signed_minutes_ago(seed_campaign, 50, full_name="Old Signer")
    _signed_minutes_ago(seed_campaign, 3, full_name="New Signer")

    page = _page(client)

    assert page.by_id("recent-signers-heading") is not None
    signers = [
        li for li in page.all("li") if li.children and li.children[-1].tag == "time"
    ]
    assert [" ".join(li.text.split()) for li in signers] == [
        "New (Ontario) 3 minutes ago",
        "Old (Ontario) 50 minutes ago",
    ]


def test_count_and_goal_come_before_the_text(client, seed_campaign):
    SignatureFactory.create_batch(2, petition=seed_campaign)

    page = _page(client)

    text = page.visible_text
    title = text.index("No more caged families")
    count = text.index("2 people have signed.")
    goal = text.index("Let’s reach 1,000.")
    first_words = text.index("Ripping screaming children")
    assert title < count < goal < first_words
    goal_figure = [
        span
        for span in page.all("span")
        if "progress-goal-figure" in span.attrs.get("class", "")
    ]
    assert [span.text for span in goal_figure] == ["1,000"]


def test_goal_figure_is_marked_in_french_too(client, seed_campaign):
    page = _page(client, "fr")

    assert "Objectif : 1" in page.visible_text.replace("\xa0", " ")
    goal_figure = [
        span
        for span in page.all("span")
        if "progress-goal-figure" in span.attrs.get("class", "")
    ]
    assert len(goal_figure) == 1
    assert goal_figure[0].text.replace("\xa0", "").replace("\u202f", "") == "1000"


def test_sign_button_at_the_bottom_waits_for_the_script(client, seed_campaign):
    page = _page(client)

    bars = [d for d in page.all("div") if "data-sign-bar" in d.attrs]
    assert len(bars) == 1
    # Hidden until the script shows it while reading; without the script
    # the button under the count leads to the form.
    assert "hidden" in bars[0].attrs
    links = [a.attrs["href"] for a in bars[0].descendants() if a.tag == "a"]
    assert links == ["#sign"]
    assert page.by_id("sign") is not None
    jump = [p for p in page.all("p") if "jump-to-sign" in p.attrs.get("class", "")]
    assert [a.attrs["href"] for a in jump[0].children if a.tag == "a"] == ["#sign"]


def test_closed_petition_has_no_sign_button_at_the_bottom(client, seed_campaign):
    seed_campaign.is_open = False
    seed_campaign.save()

    page = _page(client)

    assert not [d for d in page.all("div") if "data-sign-bar" in d.attrs]
    assert page.all("progress")


@pytest.mark.parametrize(
    ("language", "one", "other"),
    [
        (
            "en",
            "<strong>#</strong> person has signed.",
            "<strong>#</strong> people have signed.",
        ),
        (
            "fr",
            "<strong>#</strong> personne a signé.",
            "<strong>#</strong> personnes ont signé.",
        ),
    ],
)
def test_count_sentence_carries_both_forms_for_the_live_count(
    client, seed_campaign, language, one, other
):
    page = _page(client, language)

    sentences = [
        span
        for span in page.all("span")
        if "progress-signed" in span.attrs.get("class", "")
    ]
    assert len(sentences) == 1
    assert sentences[0].attrs["data-one"] == one
    assert sentences[0].attrs["data-other"] == other
