"""Organizers in the Django admin: review, clean, export, see the campaign grow."""

import csv
import io
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from petition.models import Petition, PetitionVersion
from petition.public import public_stats
from signatures.models import HeldSubmission, ModerationAction, Signature
from signatures.services import (
    confirmation_resend,
    signatures_erase,
)
from tests.factories import HeldSubmissionFactory, PetitionFactory, SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/signatures/signature/"
EXPORT = "/admin/signatures/signature/export/"


@pytest.fixture
def organizer(client) -> User:
    call_command("createorganizer", "organizer@example.org", stdout=StringIO())
    user = User.objects.get(username="organizer@example.org")
    user.set_password("a long and unguessable passphrase")
    user.save()
    client.force_login(user)
    return user


@pytest.fixture
def petition(seed_campaign) -> Petition:
    return seed_campaign


def download(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff"), "no byte-order mark for Excel"
    return list(csv.reader(io.StringIO(content[1:])))


# --- Access -------------------------------------------------------------------


def test_anonymous_visitor_gets_the_login_page(client):
    for url in (CHANGELIST, EXPORT, "/admin/petition/petition/"):
        response = client.get(url)

        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_organizer_can_review_and_export_but_not_manage_users(
    client, organizer, petition
):
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(EXPORT).status_code == 200
    assert (
        client.get(f"/admin/petition/petition/{petition.pk}/change/").status_code == 200
    )
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/auth/group/").status_code == 403
    assert client.get("/admin/auth/user/add/").status_code == 403


def test_staff_without_the_group_cannot_export(client, petition):
    staff = User.objects.create_user("helper", is_staff=True)
    client.force_login(staff)

    assert client.get(EXPORT).status_code == 403


def test_createorganizer_prints_a_link_to_choose_a_password(client):
    out = StringIO()

    call_command("createorganizer", "New.Organizer@example.org", stdout=out)

    user = User.objects.get(username="new.organizer@example.org")
    assert user.is_staff
    assert not user.is_superuser
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["Organizers"]
    link = next(
        line for line in out.getvalue().splitlines() if "/admin/password/" in line
    )
    path = link.split("127.0.0.1:8000", 1)[1]
    form_page = client.get(path, follow=True)
    # The organizers' own header, as on every admin page.
    assert "Petition organizers" in form_page.content.decode()
    assert "Django administration" not in form_page.content.decode()
    new_password = "correct horse battery staple 42"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    assert client.login(username="new.organizer@example.org", password=new_password)


def test_admin_login_is_rate_limited(client, settings):
    settings.ADMIN_LOGIN_RATE = "3/m"

    statuses = [
        client.post(
            "/admin/login/", {"username": "x", "password": f"guess{n}"}
        ).status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


def test_admin_path_is_configurable():
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from django.urls import reverse\n"
        "print(reverse('admin:index'), Client().get('/admin/').status_code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[1],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ADMIN_URL": "organizers/",
            "ALLOWED_HOSTS": "testserver",
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    path, old_path_status = result.stdout.split()
    assert path == "/organizers/"
    assert old_path_status == "404"  # nothing answers at the default path


# --- Review -------------------------------------------------------------------


def test_changelist_finds_a_signer_by_postal_code_email_or_name(
    client, organizer, petition
):
    SignatureFactory(
        petition=petition, full_name="Marie Tremblay", postal_code="H2X 1Y4"
    )
    SignatureFactory(
        petition=petition, full_name="John Smith", email="John.Smith@Example.org"
    )

    def found(term: str) -> str:
        page = parse_page(client.get(CHANGELIST, {"q": term}).content.decode())
        return page.visible_text

    assert "Marie Tremblay" in found("h2x1y4")
    assert "John Smith" not in found("h2x1y4")
    assert "Marie Tremblay" in found("H2X")
    assert "John Smith" in found(" john.smith@example.org ")
    assert "John Smith" in found("smith")


def test_changelist_filters_by_status(client, organizer, petition):
    SignatureFactory(petition=petition, full_name="Confirmed Carla")
    SignatureFactory(petition=petition, full_name="Pending Paul", pending=True)

    text = parse_page(
        client.get(CHANGELIST, {"status__exact": "pending"}).content.decode()
    )

    assert "Pending Paul" in text.visible_text
    assert "Confirmed Carla" not in text.visible_text


def test_changelist_queries_do_not_grow_with_rows(
    client, organizer, petition, django_assert_max_num_queries
):
    SignatureFactory.create_batch(5, petition=petition)
    with django_assert_max_num_queries(30) as few:
        client.get(CHANGELIST)
    SignatureFactory.create_batch(60, petition=petition)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(CHANGELIST)

    assert response.status_code == 200


# --- Cleaning -----------------------------------------------------------------


def _post_action(client, action: str, signatures, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [s.pk for s in signatures], **extra},
        follow=True,
    )


def test_invalidation_asks_for_a_reason_and_takes_signatures_out_of_the_count(
    client, organizer, petition
):
    spam = SignatureFactory.create_batch(2, petition=petition)
    SignatureFactory(petition=petition)

    asked = _post_action(client, "invalidate", spam)
    assert "Reason" in asked.content.decode()
    assert Signature.objects.filter(status="invalidated").count() == 0

    done = _post_action(client, "invalidate", spam, apply="1", reason="Spam burst")

    assert "2 signatures invalidated" in done.content.decode()
    assert set(
        Signature.objects.filter(pk__in=[s.pk for s in spam]).values_list(
            "status", "invalidation_reason"
        )
    ) == {("invalidated", "Spam burst")}
    assert public_stats(petition).count == 1
    record = ModerationAction.objects.get()
    assert (record.kind, record.count, record.performed_by) == (
        "invalidate",
        2,
        organizer,
    )


def test_invalidation_is_reversible(client, organizer, petition):
    confirmed = SignatureFactory(petition=petition)
    pending = SignatureFactory(petition=petition, pending=True)
    _post_action(client, "invalidate", [confirmed, pending], apply="1", reason="Oops")

    asked = _post_action(client, "restore", [confirmed, pending])
    assert "This applies to 2 signatures" in asked.content.decode()
    done = _post_action(client, "restore", [confirmed, pending], apply="1")

    assert "2 signatures restored" in done.content.decode()
    confirmed.refresh_from_db()
    pending.refresh_from_db()
    assert (confirmed.status, pending.status) == ("confirmed", "pending")
    assert confirmed.invalidation_reason == ""
    assert [a.kind for a in ModerationAction.objects.order_by("pk")] == [
        "invalidate",
        "restore",
    ]


def test_burst_from_one_domain_is_invalidated_in_one_go(client, organizer, petition):
    SignatureFactory.create_batch(
        3, petition=petition, email=factory_email("spam.example")
    )
    SignatureFactory(petition=petition, email="real@person.example")
    url = "/admin/signatures/signature/invalidate-matching/"

    preview = client.post(url, {"email_domain": "spam.example", "reason": "Bot attack"})
    assert "3 signatures match" in preview.content.decode()
    assert Signature.objects.filter(status="invalidated").count() == 0

    client.post(
        url, {"email_domain": "@SPAM.example", "reason": "Bot attack", "apply": "1"}
    )

    assert Signature.objects.filter(status="invalidated").count() == 3
    assert Signature.objects.get(email="real@person.example").status == "confirmed"
    record = ModerationAction.objects.get()
    assert record.criteria["email_domain"] == "@SPAM.example"
    assert record.count == 3


def test_burst_by_ip_hash_and_time_window(client, organizer, petition):
    now = timezone.now()
    SignatureFactory(
        petition=petition, ip_hash="a" * 64, created_at=now - timedelta(hours=1)
    )
    SignatureFactory(
        petition=petition, ip_hash="a" * 64, created_at=now - timedelta(days=3)
    )
    SignatureFactory(
        petition=petition, ip_hash="b" * 64, created_at=now - timedelta(hours=1)
    )

    client.post(
        "/admin/signatures/signature/invalidate-matching/",
        {
            "ip_hash": "a" * 64,
            "since": (now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
            "reason": "One machine",
            "apply": "1",
        },
    )

    assert Signature.objects.filter(status="invalidated").count() == 1


def test_resend_goes_only_to_pending_signers(
    client, organizer, petition, mailoutbox, django_capture_on_commit_callbacks
):
    pending = SignatureFactory(petition=petition, pending=True, email="p@example.org")
    confirmed = SignatureFactory(petition=petition)

    with django_capture_on_commit_callbacks(execute=True):
        done = _post_action(
            client, "resend_confirmation", [pending, confirmed], apply="1"
        )

    assert "resent to 1 pending signer" in done.content.decode()
    assert [m.to for m in mailoutbox] == [["p@example.org"]]


def test_erasing_a_signer_removes_their_data_and_keeps_only_a_count(
    client, organizer, petition
):
    leaving = SignatureFactory(petition=petition, email="leaving@example.org")

    _post_action(client, "erase", [leaving], apply="1", reason="Asked by email")

    assert not Signature.objects.filter(email="leaving@example.org").exists()
    record = ModerationAction.objects.get()
    assert (record.kind, record.count, record.reason) == ("erase", 1, "Asked by email")
    assert "leaving@example.org" not in str(record.criteria)


def test_erasing_signers_erases_what_their_addresses_typed_since_and_nothing_else(
    client, organizer, petition
):
    leaving = SignatureFactory.create_batch(2, petition=petition, pending=True)
    staying = SignatureFactory(petition=petition, pending=True)
    elsewhere = SignatureFactory(
        petition=PetitionFactory(), email=leaving[0].email, pending=True
    )
    for signature in [*leaving, leaving[0], staying, elsewhere]:
        HeldSubmissionFactory(signature=signature)

    _post_action(client, "erase", leaving, apply="1", reason="Spam wave")

    assert sorted(
        HeldSubmission.objects.values_list("petition_id", "email_canonical")
    ) == sorted((s.petition_id, s.email_canonical) for s in (staying, elsewhere))


def test_erasing_signers_takes_their_addresses_out_of_requests_for_a_new_link(
    client, organizer, petition, settings
):
    leaving = SignatureFactory.create_batch(3, petition=petition, pending=True)
    staying = SignatureFactory(petition=petition, pending=True)
    elsewhere = SignatureFactory(
        petition=PetitionFactory(), email=leaving[0].email, pending=True
    )
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["email"]}
    }
    for signature in [*leaving, staying, elsewhere]:
        confirmation_resend(petition=signature.petition, email=signature.email)

    _post_action(client, "erase", leaving, apply="1", reason="Spam wave")

    named = sorted(
        tuple(row.args_kwargs["kwargs"].values()) for row in DBTaskResult.objects.all()
    )
    assert named == sorted(
        [(0, "")] * 3
        + [(s.petition_id, s.email_canonical) for s in (staying, elsewhere)]
    )


def test_erasing_a_spam_wave_takes_as_many_queries_for_thirty_as_for_three(
    petition,
):
    def erase_held(how_many: int) -> int:
        wave = SignatureFactory.create_batch(how_many, petition=petition)
        for signature in wave:
            HeldSubmissionFactory(signature=signature)
        with CaptureQueriesContext(connection) as queries:
            signatures_erase(
                signatures=Signature.objects.filter(pk__in=[s.pk for s in wave]),
                user=None,
            )
        assert not HeldSubmission.objects.exists()
        return len(queries)

    assert erase_held(30) == erase_held(3)


# --- Export -------------------------------------------------------------------


def test_export_holds_only_confirmed_signatures_with_chosen_columns(
    client, organizer, petition
):
    SignatureFactory(
        petition=petition,
        full_name="Ann Confirmed",
        postal_code="K1A 0B1",
        province="ON",
    )
    SignatureFactory(petition=petition, full_name="Pat Pending", pending=True)
    SignatureFactory(petition=petition, full_name="Ivy Invalid", status="invalidated")

    response = client.post(
        EXPORT, {"columns": ["full_name", "postal_code", "province"]}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = download(response)
    assert rows == [
        ["Name", "Postal code", "Province or territory"],
        ["Ann Confirmed", "K1A 0B1", "Ontario"],
    ]
    assert ModerationAction.objects.get().kind == "export"


def test_export_cells_cannot_run_as_spreadsheet_formulas(client, organizer, petition):
    for n, name in enumerate(
        ["=HYPERLINK(1)", "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "Émile Noël"]
    ):
        SignatureFactory(petition=petition, full_name=name, email=f"n{n}@example.org")

    rows = download(client.post(EXPORT, {"columns": ["full_name"]}))

    assert [row[0] for row in rows[1:]] == [
        "'=HYPERLINK(1)",
        "'+1+1",
        "'-2",
        "'@SUM(A1)",
        "'\tTab",
        "'\rCR",
        "Émile Noël",
    ]


def test_export_follows_the_changelist_filters(client, organizer, petition):
    other = PetitionFactory()
    SignatureFactory(petition=petition, full_name="On This One")
    SignatureFactory(petition=other, full_name="On The Other")

    rows = download(
        client.post(
            f"{EXPORT}?petition__id__exact={petition.pk}", {"columns": ["full_name"]}
        )
    )

    assert rows[1:] == [["On This One"]]


def test_export_of_selected_signatures_from_the_changelist(client, organizer, petition):
    chosen = SignatureFactory(petition=petition, full_name="Chosen One")
    SignatureFactory(petition=petition, full_name="Not Chosen")

    redirect = client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [chosen.pk]}
    )
    rows = download(client.post(redirect["Location"], {"columns": ["full_name"]}))

    assert rows[1:] == [["Chosen One"]]


def test_export_without_columns_says_what_is_missing(client, organizer):
    response = client.post(EXPORT, {})

    assert response.status_code == 200
    assert "Choose at least one column." in response.content.decode()


# --- Versions -----------------------------------------------------------------


def _change_form_data(client, petition: Petition) -> dict:
    """Everything the change form would send back, as the browser would."""
    page = parse_page(
        client.get(f"/admin/petition/petition/{petition.pk}/change/").content.decode()
    )
    data: dict = {}
    for element in page.elements:
        name = element.attrs.get("name")
        if not name or name == "csrfmiddlewaretoken":
            continue
        if element.tag == "textarea":
            data[name] = element.text.lstrip("\n")
        elif element.tag == "select":
            chosen = [
                o.attrs.get("value", "")
                for o in element.children
                if "selected" in o.attrs
            ]
            data[name] = chosen[0] if chosen else ""
        elif element.tag == "input" and element.attrs.get("type") == "checkbox":
            if "checked" in element.attrs:
                data.setdefault(name, []).append(element.attrs.get("value", "on"))
        elif element.tag == "input" and element.attrs.get("type") not in {
            "submit",
            "button",
        }:
            data[name] = element.attrs.get("value", "")
    return data


def test_editing_the_text_keeps_the_earlier_version(client, organizer, petition):
    before = SignatureFactory(petition=petition)
    signed_version = before.petition_version
    data = _change_form_data(client, petition)
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
    client.post(url, _change_form_data(client, petition))
    versions = PetitionVersion.objects.filter(petition=petition).count()

    client.post(url, _change_form_data(client, petition))

    assert PetitionVersion.objects.filter(petition=petition).count() == versions


# --- Dashboard and report -----------------------------------------------------


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
    day_bars = [e for e in page.all("rect")]
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


def test_organizer_group_exists_after_migrations():
    group = Group.objects.get(name="Organizers")
    codenames = set(group.permissions.values_list("codename", flat=True))

    assert {"export_signature", "change_signature", "change_petition"} <= codenames
    assert not any(c.endswith("_user") or c.endswith("_group") for c in codenames)


def factory_email(domain: str):
    import factory

    return factory.Sequence(lambda n: f"bot{n}@{domain}")


def table_rows(table) -> list[list[str]]:
    body = next(e for e in table.descendants() if e.tag == "tbody")
    return [
        [" ".join(cell.text.split()) for cell in row.children if cell.tag == "td"]
        for row in body.children
        if row.tag == "tr"
    ]


def test_changelist_says_or_more_past_the_counting_cap(
    client, organizer, petition, monkeypatch
):
    from signatures.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    SignatureFactory.create_batch(4, petition=petition)

    text = parse_page(
        client.get(CHANGELIST, {"q": "signer"}).content.decode()
    ).visible_text

    assert "3 or more results" in text
    assert "3 or more signatures" in text


def test_failed_logins_lock_an_account_name_but_successes_do_not(
    client, settings, organizer
):
    settings.ADMIN_LOGIN_RATE = "100/m"
    settings.ADMIN_LOGIN_RATE_PER_ACCOUNT = "2/h"
    client.logout()
    good = {
        "username": "organizer@example.org",
        "password": "a long and unguessable passphrase",
    }

    for _ in range(3):
        assert client.post("/admin/login/", good).status_code == 302
        client.logout()
    bad = {"username": "organizer@example.org", "password": "wrong"}
    statuses = [client.post("/admin/login/", bad).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_organizers_cannot_delete_without_a_reason(client, organizer, petition):
    signature = SignatureFactory(petition=petition)

    page = client.get(CHANGELIST).content.decode()
    direct = client.post(f"{CHANGELIST}{signature.pk}/delete/", {"post": "yes"})

    assert 'value="delete_selected"' not in page
    assert direct.status_code == 403
    assert Signature.objects.filter(pk=signature.pk).exists()


def test_invalidating_all_matching_rows_across_pages(
    client, organizer, petition, monkeypatch
):
    from signatures.admin import SignatureAdmin

    monkeypatch.setattr(SignatureAdmin, "list_per_page", 2)
    SignatureFactory.create_batch(5, petition=petition, province="QC")
    SignatureFactory(petition=petition, province="ON")
    url = f"{CHANGELIST}?province__exact=QC"
    first_page = [
        s.pk
        for s in Signature.objects.filter(province="QC").order_by("-created_at")[:2]
    ]

    asked = client.post(
        url,
        {"action": "invalidate", "select_across": "1", "_selected_action": first_page},
    )
    hidden = [
        e
        for e in parse_page(asked.content.decode()).all("input")
        if e.attrs.get("name") == "_selected_action"
    ]
    client.post(
        url,
        {
            "action": "invalidate",
            "select_across": "1",
            "_selected_action": first_page,
            "apply": "1",
            "reason": "Burst",
        },
    )

    assert len(hidden) == 1
    assert "This applies to 5 signatures" in asked.content.decode()
    assert Signature.objects.filter(status="invalidated").count() == 5
    assert Signature.objects.get(province="ON").status == "confirmed"


def test_date_hierarchy_survives_a_leap_day(client, organizer, petition):
    from datetime import datetime

    leap = timezone.make_aware(datetime(2024, 2, 29, 12))
    SignatureFactory(petition=petition, created_at=leap)
    SignatureFactory(petition=petition)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert "2024" in parse_page(response.content.decode()).visible_text


def test_saving_from_a_browser_with_crlf_line_ends_records_no_new_version(
    client, organizer, petition
):
    url = f"/admin/petition/petition/{petition.pk}/change/"
    client.post(url, _change_form_data(client, petition))
    versions = PetitionVersion.objects.filter(petition=petition).count()
    data = _change_form_data(client, petition)
    data["body_en"] = data["body_en"].replace("\n", "\r\n")

    client.post(url, data)

    assert PetitionVersion.objects.filter(petition=petition).count() == versions


def test_resend_counts_only_emails_actually_sent(
    client,
    organizer,
    petition,
    settings,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    settings.SIGNATURE_EMAILS_PER_ADDRESS_PER_HOUR = 1
    pending = SignatureFactory(petition=petition, pending=True)
    from signatures.services import _may_email

    _may_email(pending)  # this hour's allowance already spent

    with django_capture_on_commit_callbacks(execute=True):
        done = _post_action(client, "resend_confirmation", [pending], apply="1")

    assert "resent to 0 pending signers" in done.content.decode()
    assert mailoutbox == []
    assert ModerationAction.objects.get().count == 0


def test_createorganizer_promotes_an_existing_account_by_email():
    User.objects.create_user("alice", email="Alice@Example.org", is_active=False)
    out = StringIO()

    call_command("createorganizer", "alice@example.org", stdout=out)

    assert User.objects.count() == 1
    alice = User.objects.get()
    assert alice.is_staff
    assert alice.is_active
    assert "Reactivated organizer alice" in out.getvalue()


def test_export_is_on_record_even_if_the_download_is_abandoned(
    client, organizer, petition
):
    SignatureFactory(petition=petition)

    response = client.post(EXPORT, {"columns": ["full_name"]})  # never read

    assert response.status_code == 200
    record = ModerationAction.objects.get()
    assert record.kind == "export"
    assert record.performed_by == organizer


def test_a_signature_page_is_for_viewing_and_refuses_an_edit(
    client, organizer, petition
):
    signature = SignatureFactory(petition=petition, full_name="Amira Haddad")
    url = f"{CHANGELIST}{signature.pk}/change/"

    page = client.get(url).content.decode()
    posted = client.post(url, {"full_name": "Someone Else", "_save": "Save"})

    assert "Amira Haddad" in page
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert posted.status_code == 403
    signature.refresh_from_db()
    assert signature.full_name == "Amira Haddad"
