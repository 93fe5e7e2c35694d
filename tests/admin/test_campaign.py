"""The campaign in the admin: the petition's versions, the dashboard and the
delivery report."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from petition.models import PetitionVersion
from tests.admin.pages import change_form_data, table_rows
from tests.factories import PetitionFactory, SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db


def test_editing_the_text_keeps_the_earlier_version(client, organizer, petition):
    before = SignatureFactory(petition=petition)
    signed_version = before.petition_version
    data = change_form_data(client, petition)
    data["body_en"] = data["body_en"] + "\n\nA new closing paragraph."

    response = client.post(f"/admin/petition/petition/{petition.pk}/change/", data)

    assert response.status_code == 302, parse_page(
        response.content.decode()
    ).visible_text[:2000]
    petition.refresh_from_db()
    new_version = petition.current_version
    assert new_version.number == signed_version.number + 1
    assert new_version.created_by == organizer
    assert "A new closing paragraph." in new_version.body_en
    signed_version.refresh_from_db()
    assert "A new closing paragraph." not in signed_version.body_en
    before.refresh_from_db()
    assert before.petition_version == signed_version
    history = parse_page(
        client.get(f"/admin/petition/petition/{petition.pk}/change/").content.decode()
    )
    assert "History of the text" in history.visible_text
    assert "organizer@example.org" in history.visible_text


def test_saving_without_changes_records_no_new_version(client, organizer, petition):
    url = f"/admin/petition/petition/{petition.pk}/change/"
    client.post(url, change_form_data(client, petition))
    versions = PetitionVersion.objects.filter(petition=petition).count()

    client.post(url, change_form_data(client, petition))

    assert PetitionVersion.objects.filter(petition=petition).count() == versions


def test_saving_from_a_browser_with_crlf_line_ends_records_no_new_version(
    client, organizer, petition
):
    url = f"/admin/petition/petition/{petition.pk}/change/"
    client.post(url, change_form_data(client, petition))
    versions = PetitionVersion.objects.filter(petition=petition).count()
    data = change_form_data(client, petition)
    data["body_en"] = data["body_en"].replace("\n", "\r\n")

    client.post(url, data)

    assert PetitionVersion.objects.filter(petition=petition).count() == versions


@pytest.fixture
def known_signatures(petition):
    now = timezone.now()
    SignatureFactory.create_batch(
        3, petition=petition, province="QC", postal_code="H2X 1Y4", created_at=now
    )
    SignatureFactory.create_batch(
        2,
        petition=petition,
        province="ON",
        created_at=now - timedelta(days=2),
        wants_updates=True,
    )
    SignatureFactory(
        petition=petition,
        country="FR",
        province="",
        postal_code="75001",
        created_at=now,
    )
    SignatureFactory.create_batch(
        2, petition=petition, pending=True, created_at=now, wants_updates=True
    )
    SignatureFactory(
        petition=petition, status="invalidated", created_at=now, wants_updates=True
    )
    SignatureFactory(petition=PetitionFactory())  # another petition


def test_dashboard_figures_on_a_known_data_set(
    client, organizer, petition, known_signatures
):
    page = parse_page(
        client.get(
            f"/admin/petition/petition/{petition.pk}/dashboard/"
        ).content.decode()
    )

    def total(name: str) -> str:
        return page.by_id(f"total-{name}").text

    assert (
        total("confirmed"),
        total("pending"),
        total("invalidated"),
        total("opted-in"),
    ) == ("6", "2", "1", "2")
    provinces = table_rows(page.by_id("by-province"))
    assert provinces == [["Quebec", "3"], ["Ontario", "2"]]
    assert table_rows(page.by_id("by-country")) == [["Canada", "5"], ["France", "1"]]
    day_bars = list(page.all("rect"))
    assert day_bars, "no chart drawn"
    titles = [e.text for e in page.all("title")]
    assert any(t.endswith(": 6") for t in titles), titles  # today's bar: 3+1+2 received
    assert any(t.endswith(": 2") for t in titles)


def test_dashboard_queries_do_not_grow_with_rows(
    client, organizer, petition, known_signatures, django_assert_max_num_queries
):
    url = f"/admin/petition/petition/{petition.pk}/dashboard/"
    cache.clear()
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    SignatureFactory.create_batch(50, petition=petition)
    cache.clear()  # recomputed, not served from the minute's cache

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_delivery_report_has_the_text_total_and_provinces(
    client, organizer, petition, known_signatures
):
    page = parse_page(
        client.get(f"/admin/petition/petition/{petition.pk}/report/").content.decode()
    )

    assert page.by_id("report-total").text == "6"
    text = page.visible_text
    assert "No more caged families" in text
    assert "Let them stay." in text
    assert "Quebec 3" in text
    assert "Outside Canada 1" in text
    assert "Yukon 0" in text
    stylesheet = next(e for e in page.all("link") if e.attrs.get("rel") == "stylesheet")
    assert "report" in stylesheet.attrs["href"]


class _Renamed:
    """Stands for a class a later (or earlier) release no longer has."""


def test_dashboard_kept_by_another_release_is_computed_again_not_an_error(
    client, organizer, petition, known_signatures, monkeypatch
):
    import tests.admin.test_campaign as here
    from petition.admin import dashboard_key

    cache.set(dashboard_key(petition.pk, "en"), _Renamed(), 60)
    monkeypatch.delattr(here, "_Renamed")  # unpickling it now fails

    response = client.get(f"/admin/petition/petition/{petition.pk}/dashboard/")

    assert response.status_code == 200
    assert parse_page(response.content.decode()).by_id("total-confirmed").text == "6"
