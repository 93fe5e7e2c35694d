"""The organizers' funnel on the dashboard, page views to confirmations, and
charts that say what their axes are."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.admin.pages import table_rows
from tests.factories import SignatureFactory
from tests.html_tools import parse_page
from visits.counter import count_view

pytestmark = pytest.mark.django_db


def _dashboard(client, petition):
    return parse_page(
        client.get(
            f"/admin/petition/petition/{petition.pk}/dashboard/"
        ).content.decode()
    )


def test_dashboard_funnel_shows_page_views_signatures_and_confirmations(
    client, organizer, petition
):
    now = timezone.now()
    today = timezone.localdate(now)
    yesterday = today - timedelta(days=1)
    for day, source, times in [
        (yesterday, "whatsapp", 40),
        (yesterday, "", 10),
        (today, "whatsapp", 30),
        (today, "email", 20),
    ]:
        for _ in range(times):
            count_view(petition.pk, day, source)
    SignatureFactory.create_batch(
        3, petition=petition, source="whatsapp", created_at=now - timedelta(days=1)
    )
    SignatureFactory(petition=petition, source="email", created_at=now)
    SignatureFactory(petition=petition, source="email", created_at=now, pending=True)
    SignatureFactory(petition=petition, created_at=now - timedelta(days=9))  # before

    page = _dashboard(client, petition)

    assert page.by_id("funnel-views").text == "100"
    assert page.by_id("funnel-signatures").text == "5"
    assert page.by_id("funnel-confirmed").text == "4"
    assert "5.0 per 100 views" in page.visible_text
    assert "80 % of signatures" in page.visible_text
    assert table_rows(page.by_id("funnel-by-source")) == [
        ["whatsapp", "70", "3", "3", "4.3"],
        ["email", "20", "2", "1", "10.0"],
        ["(none)", "10", "0", "0", "0.0"],
    ]
    assert table_rows(page.by_id("funnel-per-day")) == [
        [today.isoformat(), "50", "2", "1"],
        [yesterday.isoformat(), "50", "3", "3"],
    ]


def test_dashboard_says_when_no_page_view_was_counted_yet(client, organizer, petition):
    SignatureFactory(petition=petition)

    page = _dashboard(client, petition)

    assert page.by_id("funnel") is None
    assert "No page views counted yet" in page.by_id("funnel-none").text


def test_dashboard_charts_label_their_axes_with_dates_and_values(
    client, organizer, petition
):
    now = timezone.now()
    today = timezone.localdate(now)
    for days_ago, signers in [(20, 1), (10, 7), (0, 3)]:
        SignatureFactory.create_batch(
            signers, petition=petition, created_at=now - timedelta(days=days_ago)
        )

    page = _dashboard(client, petition)

    figure = page.by_id("per-day-caption")
    assert figure is not None
    svg_texts = [
        (element.attrs.get("class"), element.text) for element in page.all("text")
    ]
    dates = [text for kind, text in svg_texts if kind == "x-tick"]
    values = [text for kind, text in svg_texts if kind == "y-tick"]
    axis_titles = [text for kind, text in svg_texts if kind == "axis-title"]
    first = (today - timedelta(days=20)).isoformat()
    assert dates[0] == first
    assert today.isoformat() in dates
    assert values[:5] == ["0", "2", "4", "6", "8"]  # the day chart, up to 7
    assert {"date", "signatures", "hour"} <= set(axis_titles)
    described = page.by_id("per-day-axes").text
    assert f"from {first} to {today.isoformat()}" in " ".join(described.split())
    assert "from 0 to 8" in described


def test_dashboard_funnel_reads_in_french(client, organizer, petition):
    count_view(petition.pk, timezone.localdate(), "")
    count_view(petition.pk, timezone.localdate(), "")
    SignatureFactory(petition=petition)

    page = parse_page(
        client.get(
            f"/admin/petition/petition/{petition.pk}/dashboard/",
            headers={"Accept-Language": "fr"},
        ).content.decode()
    )

    text = " ".join(page.visible_text.split())
    assert "Des pages vues aux confirmations" in text
    assert "50,0 pour 100 pages vues" in text
    assert "100 % des signatures" in text
    assert "En abscisse : date" in text
