"""Page views, counted from the campaign page's script into the shared
cache, never the database, and kept per day in the database once the day
is over (visits/)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import SEED_SLUG, clear_cache
from tests.factories import PetitionFactory
from tests.html_tools import parse_page
from visits.counter import SOURCES_PER_DAY, count_view, counted
from visits.models import DailyViews
from visits.services import petition_views, views_fold

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seed_campaign")]

BEACON = f"/p/{SEED_SLUG}/views"
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "https://testserver"}


@pytest.fixture
def browser_client() -> Client:
    """Held to the checks a browser's POST meets, as the sign form is."""
    return Client(enforce_csrf_checks=True)


def _views_today(petition) -> tuple[int, dict]:
    views = petition_views(petition_id=petition.pk, today=timezone.localdate())
    return views.total, views.by_source


def test_each_beacon_counts_one_view_today_by_its_source(browser_client, seed_campaign):
    for source in ["whatsapp", "whatsapp", "", "Facebook"]:
        response = browser_client.post(
            BEACON, {"source": source}, headers=SAME_ORIGIN, secure=True
        )
        assert response.status_code == 204

    assert _views_today(seed_campaign) == (
        4,
        {"whatsapp": 2, "": 1, "facebook": 1},
    )


def test_counting_a_view_asks_nothing_of_the_database(browser_client):
    browser_client.post(BEACON, headers=SAME_ORIGIN, secure=True)  # the petition read

    with CaptureQueriesContext(connection) as queries:
        response = browser_client.post(
            BEACON, {"source": "email"}, headers=SAME_ORIGIN, secure=True
        )

    assert response.status_code == 204
    assert queries.captured_queries == []


def test_a_view_posted_from_another_site_is_refused_and_not_counted(
    browser_client, seed_campaign
):
    response = browser_client.post(
        BEACON,
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        secure=True,
    )

    assert response.status_code == 403
    assert _views_today(seed_campaign) == (0, {})


def test_a_script_posting_views_from_one_address_is_stopped(
    browser_client, seed_campaign, settings
):
    settings.PAGE_VIEW_RATE_PER_MINUTE = "3/m"

    answers = [
        browser_client.post(BEACON, headers=SAME_ORIGIN, secure=True).status_code
        for _ in range(5)
    ]

    assert answers == [204, 204, 204, 429, 429]
    assert _views_today(seed_campaign)[0] == 3


def test_the_beacon_is_kept_by_no_cache_and_takes_only_posts(browser_client):
    posted = browser_client.post(BEACON, headers=SAME_ORIGIN, secure=True)
    fetched = browser_client.get(BEACON)

    assert "no-store" in posted["Cache-Control"]
    assert "private" in posted["Cache-Control"]
    assert fetched.status_code == 405


def test_a_view_of_no_petition_counts_nothing(browser_client):
    response = browser_client.post(
        "/p/no-such-petition/views", headers=SAME_ORIGIN, secure=True
    )

    assert response.status_code == 404


def test_the_campaign_page_names_where_its_script_counts_the_view(client):
    page = parse_page(client.get(f"/en/p/{SEED_SLUG}/").content.decode())

    panel = page.by_id("sign")
    assert panel.attrs["data-views-url"] == BEACON


def test_past_days_are_kept_in_the_database_once_and_survive_a_cache_clear(
    seed_campaign,
):
    today = timezone.localdate()
    yesterday, before = today - timedelta(days=1), today - timedelta(days=3)
    for day, source, times in [
        (before, "", 2),
        (yesterday, "whatsapp", 5),
        (yesterday, "", 1),
        (today, "email", 4),
    ]:
        for _ in range(times):
            count_view(seed_campaign.pk, day, source)

    views_fold(petition_id=seed_campaign.pk, today=today)
    views_fold(petition_id=seed_campaign.pk, today=today)  # again: no change
    kept = {
        row.day: (row.views, row.by_source)
        for row in DailyViews.objects.filter(petition=seed_campaign)
    }
    clear_cache()  # Redis restarted: today's views are lost, no others
    views_fold(petition_id=seed_campaign.pk, today=today)
    after = petition_views(petition_id=seed_campaign.pk, today=today)

    assert kept == {
        before: (2, {"": 2}),
        yesterday: (6, {"whatsapp": 5, "": 1}),
    }
    assert DailyViews.objects.filter(petition=seed_campaign).count() == 2
    assert after.per_day == {before: 2, yesterday: 6}
    assert after.by_source == {"": 3, "whatsapp": 5}


def test_a_day_folded_again_from_a_partial_count_keeps_its_larger_figures(
    seed_campaign,
):
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    for _ in range(5):
        count_view(seed_campaign.pk, yesterday, "whatsapp")
    views_fold(petition_id=seed_campaign.pk, today=today)
    clear_cache()
    count_view(seed_campaign.pk, yesterday, "whatsapp")  # a host still on yesterday

    views_fold(petition_id=seed_campaign.pk, today=today)

    row = DailyViews.objects.get(petition=seed_campaign, day=yesterday)
    assert (row.views, row.by_source) == (5, {"whatsapp": 5})


def test_today_is_read_from_the_cache_and_not_written(seed_campaign):
    today = timezone.localdate()
    count_view(seed_campaign.pk, today, "")

    views = petition_views(petition_id=seed_campaign.pk, today=today)

    assert views.per_day == {today: 1}
    assert not DailyViews.objects.exists()


def test_the_daily_command_keeps_yesterdays_views_of_every_petition(seed_campaign):
    other = PetitionFactory()
    yesterday = timezone.localdate() - timedelta(days=1)
    count_view(seed_campaign.pk, yesterday, "")
    count_view(other.pk, yesterday, "email")

    call_command("fold_page_views", stdout=StringIO())

    assert sorted(
        DailyViews.objects.values_list("petition_id", "views", "by_source")
    ) == sorted([(seed_campaign.pk, 1, {"": 1}), (other.pk, 1, {"email": 1})])


def test_a_script_under_the_minutes_limit_is_stopped_for_the_day(
    browser_client, seed_campaign, settings
):
    settings.PAGE_VIEW_RATE_PER_DAY = "4/d"

    answers = [
        browser_client.post(BEACON, headers=SAME_ORIGIN, secure=True).status_code
        for _ in range(6)
    ]

    assert answers == [204, 204, 204, 204, 429, 429]
    assert _views_today(seed_campaign)[0] == 4


def test_made_up_sources_cannot_crowd_out_the_share_channels(seed_campaign):
    today = timezone.localdate()
    for n in range(SOURCES_PER_DAY + 5):
        count_view(seed_campaign.pk, today, f"made-up-{n}")
    count_view(seed_campaign.pk, today, "whatsapp")
    count_view(seed_campaign.pk, today, "made-up-late")

    _total, by_source = counted(seed_campaign.pk, [today])[today]
    assert by_source["whatsapp"] == 1
    assert "made-up-late" not in by_source
    assert len(by_source) == SOURCES_PER_DAY + 1
