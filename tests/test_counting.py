"""The public count, progress bar and latest signers."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from petition import public
from petition.public import public_stats
from signatures.counts import entry_key, progress_goal
from signatures.services.signing import signature_confirm
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.html_tools import parse_page
from tests.signing import form_data

pytestmark = pytest.mark.django_db


def shown_count(client, url: str = f"/en/p/{SEED_SLUG}/") -> int:
    page = parse_page(client.get(url).content.decode())
    progress = page.all("progress")[0]
    return int(progress.attrs["value"])


def test_count_includes_only_confirmed_signatures(client, seed_campaign):
    SignatureFactory.create_batch(3, petition=seed_campaign)
    SignatureFactory.create_batch(2, petition=seed_campaign, pending=True)
    SignatureFactory(petition=seed_campaign, status="invalidated")
    SignatureFactory()  # another petition

    assert shown_count(client) == 3
    page = parse_page(client.get(f"/en/p/{SEED_SLUG}/").content.decode())
    assert "3 people have signed" in page.visible_text


def test_count_is_cached_and_catches_up_within_the_allowed_lag(
    client, settings, seed_campaign, monkeypatch
):
    settings.SIGNATURE_COUNT_CACHE_SECONDS = 2
    clock = [1_000_000.0]
    monkeypatch.setattr(public, "_now", lambda: clock[0])
    SignatureFactory(petition=seed_campaign)
    assert shown_count(client) == 1

    SignatureFactory(petition=seed_campaign)  # confirmed behind the cache's back
    clock[0] += 1.9
    lagging = shown_count(client)
    clock[0] += 0.2

    assert lagging == 1
    assert shown_count(client) == 2


def test_stale_count_is_recounted_by_one_request_while_others_serve_it(
    seed_campaign, monkeypatch, django_assert_num_queries
):
    clock = [1_000_000.0]
    monkeypatch.setattr(public, "_now", lambda: clock[0])
    SignatureFactory(petition=seed_campaign)
    public_stats(seed_campaign)
    clock[0] += 60
    cache.add(f"{entry_key(seed_campaign.pk)}:reading", 1, 30)  # another is on it

    with django_assert_num_queries(0):
        stats = public_stats(seed_campaign)

    assert stats.count == 1


def test_page_views_do_not_count_rows_each_time(
    client, seed_campaign, django_assert_num_queries
):
    client.get("/en/")  # fills the cache

    # The petition, its footnotes, the count and signers: all from the cache.
    with django_assert_num_queries(0):
        client.get("/en/")


def test_confirming_shows_the_new_count_at_once_to_the_signer(
    client, seed_campaign, django_capture_on_commit_callbacks
):
    pending = SignatureFactory(petition=seed_campaign, pending=True)
    assert shown_count(client) == 0

    with django_capture_on_commit_callbacks(execute=True):
        signature_confirm(signature=pending)

    assert shown_count(client, f"/en/p/{SEED_SLUG}/confirmed/") == 1


def test_latest_public_signers_show_first_name_and_province_only(client, seed_campaign):
    SignatureFactory(
        petition=seed_campaign,
        full_name="Marie-Ève Tremblay",
        province="QC",
        show_name_publicly=True,
    )
    SignatureFactory(
        petition=seed_campaign, full_name="Private Person", show_name_publicly=False
    )
    SignatureFactory(
        petition=seed_campaign,
        full_name="Pending Person",
        show_name_publicly=True,
        pending=True,
    )

    text = parse_page(client.get("/en/").content.decode()).visible_text

    assert "Marie-Ève (Quebec)" in text
    assert "Tremblay" not in text
    assert "Private" not in text
    assert "Pending" not in text


def test_signer_names_are_escaped_on_the_page(client, seed_campaign):
    SignatureFactory(
        petition=seed_campaign,
        full_name="<script>alert(1)</script>",
        show_name_publicly=True,
    )

    html = client.get("/en/").content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("count", "goal", "shown"),
    [
        (0, 1000, 1000),
        (999, 1000, 1000),
        (1000, 1000, 2500),
        (2500, 1000, 5000),
        (5000, 1000, 10000),
        (12_345, 1000, 25_000),
        (99, 100, 100),
        (100, 100, 250),
        (260, 100, 500),
        (0, 0, 1),
    ],
)
def test_goal_steps_up_as_it_is_passed(count, goal, shown):
    assert progress_goal(count, goal) == shown


def test_progress_bar_reports_count_against_the_stepped_goal(seed_campaign):
    seed_campaign.goal = 2
    seed_campaign.save()
    SignatureFactory.create_batch(3, petition=seed_campaign)

    stats = public_stats(seed_campaign)

    assert (stats.count, stats.goal) == (3, 5)
    assert stats.percent == 60


def test_count_endpoint_is_public_cacheable_json(client, seed_campaign):
    SignatureFactory.create_batch(2, petition=seed_campaign)
    SignatureFactory(petition=seed_campaign, pending=True)

    response = client.get(f"/p/{SEED_SLUG}/count.json")

    assert response.status_code == 200
    figures = response.json()
    assert figures.pop(
        "issued"
    )  # for the sign form (tests/test_suspicious_submissions.py)
    assert figures == {
        "count": 2,
        "goal": 1000,
        "open": True,
        "url": f"{django_settings.SITE_URL}/en/p/{SEED_SLUG}/",
    }
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=2, s-maxage=2"
    # A CDN may serve it stale while it fetches it anew; a browser may not.
    assert "stale-while-revalidate=30" in response["CDN-Cache-Control"]
    assert "Set-Cookie" not in response


def test_count_endpoint_does_not_vary_on_the_visitors_language(client, seed_campaign):
    url = f"/p/{SEED_SLUG}/count.json"

    responses = [
        client.get(url, headers={"Accept-Language": language})
        for language in ("fr-CA,fr;q=0.9", "en-US,en;q=0.5")
    ]

    first, second = (response.json() for response in responses)
    assert first.pop("issued")
    assert second.pop("issued")
    assert first == second
    for response in responses:
        assert "accept-language" not in response.get("Vary", "").lower()
        assert "Content-Language" not in response


def test_count_endpoint_hides_unpublished_petitions(client):
    from tests.factories import PetitionFactory

    draft = PetitionFactory(published_at=None)

    assert client.get(f"/p/{draft.slug}/count.json").status_code == 404


def test_moderation_moves_the_count_at_once_between_recounts(
    seed_campaign, django_capture_on_commit_callbacks
):
    from signatures.models import Signature
    from signatures.services.moderation import (
        signatures_erase,
        signatures_invalidate,
        signatures_restore,
    )

    signers = SignatureFactory.create_batch(4, petition=seed_campaign)
    assert public_stats(seed_campaign).count == 4  # recounted and cached now
    two = Signature.objects.filter(pk__in=[s.pk for s in signers[:2]])

    with django_capture_on_commit_callbacks(execute=True):
        signatures_invalidate(signatures=two, reason="spam", user=None)
    after_invalidation = public_stats(seed_campaign).count
    with django_capture_on_commit_callbacks(execute=True):
        signatures_restore(signatures=two, user=None)
    after_restore = public_stats(seed_campaign).count
    with django_capture_on_commit_callbacks(execute=True):
        signatures_erase(
            signatures=Signature.objects.filter(pk=signers[3].pk), user=None
        )
    after_erasure = public_stats(seed_campaign).count

    assert (after_invalidation, after_restore, after_erasure) == (2, 4, 3)


def test_signature_on_a_petition_without_confirmation_counts_at_once(
    client, django_capture_on_commit_callbacks
):
    from tests.factories import PetitionFactory

    petition = PetitionFactory(requires_confirmation=False)
    assert public_stats(petition).count == 0

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/p/{petition.slug}/sign/", form_data())

    assert public_stats(petition).count == 1
