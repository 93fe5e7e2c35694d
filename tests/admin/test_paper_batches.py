"""Paper signatures added by an organizer: checked by the web form's rules,
previewed row by row, added all together or not at all, counted once,
never twice for someone who already signed, and on record."""

import threading
import time
from datetime import date

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from petition.public import public_stats
from petition.services import petition_version_record
from signatures.counts import confirmations_key, counted_now
from signatures.models import ModerationAction, PaperBatch, Signature
from signatures.paper_csv import read_rows
from signatures.services import paper
from tests.admin.pages import CHANGELIST, EXPORT, download
from tests.admin.paper import ADD, GOOD_BATCH, batch_fields, row_text, upload
from tests.factories import SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db


def test_a_valid_batch_is_previewed_then_counted_once_as_confirmed_paper_signatures(
    client, organizer, petition, press_add
):
    SignatureFactory.create_batch(2, petition=petition)
    before = public_stats(petition).count

    preview = upload(client, petition, GOOD_BATCH)

    assert "3 rows are valid" in preview.content.decode()
    assert not Signature.objects.filter(paper_batch__isnull=False).exists()
    added = press_add(preview)

    paper = Signature.objects.filter(paper_batch__isnull=False).order_by("pk")
    assert [(s.full_name, s.email, s.postal_code, s.province) for s in paper] == [
        ("Marie Tremblay", "marie@example.org", "H2X 1Y4", "QC"),
        ("Jean Dupont", "", "K1A 0B1", "ON"),
        ("Aisha Khan", "AISHA@example.org", "M5V 2T6", "ON"),
    ]
    assert {s.status for s in paper} == {Signature.Status.CONFIRMED}
    assert {s.source for s in paper} == {"paper"}
    assert [s.wants_updates for s in paper] == [True, False, False]
    assert paper[1].email_canonical is None
    batch = PaperBatch.objects.get()
    assert (batch.event, batch.collected_on, batch.collected_by) == (
        "Rally at City Hall",
        date(2026, 5, 1),
        "Ottawa volunteers",
    )
    assert (batch.rows, batch.imported, batch.skipped) == (3, 3, 0)
    assert batch.created_by == organizer
    assert public_stats(petition).count == before + 3
    text = added.content.decode()
    assert "3 paper signatures added from “Rally at City Hall”" in text
    assert "The petition now counts 5 signatures" in text
    # Shown where it landed: the signature list, filtered to this batch.
    assert added.redirect_chain[-1][0] == f"{CHANGELIST}?paper={batch.pk}"
    assert text.count("On paper: Rally at City Hall (2026-05-01)") == 3
    # Paper signers are sent nothing.
    assert mail.outbox == []
    assert not DBTaskResult.objects.exists()


def test_a_large_batch_moves_the_count_once_by_its_size(
    client, organizer, petition, press_add
):
    before = public_stats(petition).count
    tallied = cache.get(confirmations_key(petition.pk))
    content = "Name,Email,Postal code\n" + "".join(
        f"Signer {n},signer{n}@example.org,K1A 0B1\n" for n in range(600)
    )

    press_add(upload(client, petition, content))

    assert cache.get(confirmations_key(petition.pk)) == tallied + 600
    assert public_stats(petition).count == before + 600
    assert counted_now(petition.pk)[0] == before + 600


def test_pressing_add_twice_adds_nothing_the_second_time(
    client, organizer, petition, press_add
):
    preview = upload(client, petition, GOOD_BATCH)
    press_add(preview)
    count = public_stats(petition).count

    again = press_add(preview)

    assert Signature.objects.filter(paper_batch__isnull=False).count() == 3
    assert public_stats(petition).count == count
    assert "3 rows were people who had already signed" in again.content.decode()


def test_one_bad_row_adds_nothing_and_its_error_is_shown_beside_it(
    client, organizer, petition
):
    content = (
        "Name,Email,Postal code\n"
        "Marie Tremblay,marie@example.org,H2X 1Y4\n"
        "Jean Dupont,jean@,K1A 0B1\n"
        "Aisha Khan,aisha@example.org,12345\n"
    )

    preview = upload(client, petition, content)

    text = preview.content.decode()
    assert "2 errors: nothing has been added" in text
    assert "Email address: Enter a valid email address" in row_text(preview, 3)
    assert "Postal code: Enter a Canadian postal code like K1A 0B1" in row_text(
        preview, 4
    )
    assert "No error" in row_text(preview, 2)
    assert parse_page(text).by_id("paper-confirm") is None
    # Even a confirmation sent anyway adds nothing.
    forced = client.post(
        ADD, {**batch_fields(petition), "text": content, "confirm": "1"}
    )
    assert "2 errors: nothing has been added" in forced.content.decode()
    assert not Signature.objects.exists()
    assert not PaperBatch.objects.exists()
    assert not ModerationAction.objects.exists()


def test_a_web_signer_on_paper_is_reported_not_counted_twice_nor_overwritten(
    client, organizer, petition, press_add
):
    web = SignatureFactory(
        petition=petition,
        full_name="Marie Online",
        email="marie.t@gmail.com",
        email_canonical="mariet@gmail.com",
        postal_code="H2X 1Y4",
    )
    before = public_stats(petition).count
    content = (
        "Name,Email,Postal code\n"
        "Marie Tremblay,Marie.T+rally@gmail.com,K1A 0B1\n"
        "Jean Dupont,jean@example.org,K1A 0B1\n"
    )

    preview = upload(client, petition, content)

    text = preview.content.decode()
    assert "1 row is valid" in text
    assert "1 duplicate of someone who already signed will be skipped" in text
    assert "Already signed online with this email address." in row_text(preview, 2)
    added = press_add(preview)
    assert "1 row was someone who had already signed" in added.content.decode()
    web.refresh_from_db()
    assert (web.full_name, web.postal_code, web.paper_batch) == (
        "Marie Online",
        "H2X 1Y4",
        None,
    )
    assert public_stats(petition).count == before + 1
    assert PaperBatch.objects.get().skipped == 1


def test_duplicates_within_a_batch_are_reported_and_added_once(
    client, organizer, petition, press_add
):
    content = (
        "Name,Email,Postal code\n"
        "Marie Tremblay,marie@example.org,H2X 1Y4\n"
        "Jean Dupont,,K1A 0B1\n"
        "MARIE TREMBLAY,Marie@Example.org,H2X 1Y4\n"
        "jean  dupont,,k1a0b1\n"
    )

    preview = upload(client, petition, content)

    assert "Same email address as row 2." in row_text(preview, 4)
    assert "Likely the same person as row 3: same name and postal code." in (
        row_text(preview, 5)
    )
    press_add(preview)
    assert Signature.objects.count() == 2


def test_a_row_without_email_matching_a_signer_by_name_and_postal_code_is_flagged(
    client, organizer, petition
):
    SignatureFactory(petition=petition, full_name="Jean Dupont", postal_code="K1A 0B1")

    preview = upload(client, petition, "Nom,Code postal\nJéan DUPONT,K1A 0B1\n")

    assert "Already signed online with this name and postal code." in row_text(
        preview, 2
    )
    assert parse_page(preview.content.decode()).by_id("paper-confirm") is not None


def test_a_closed_petition_takes_no_paper_signatures(client, organizer, petition):
    petition.is_open = False
    petition.save()

    response = upload(client, petition, GOOD_BATCH)

    assert "This petition is closed or not published" in response.content.decode()
    assert not Signature.objects.exists()


def test_the_import_is_on_record_and_paper_signatures_filter_and_export(
    client, organizer, petition, press_add
):
    SignatureFactory(petition=petition, full_name="Web Signer")
    press_add(upload(client, petition, GOOD_BATCH))
    batch = PaperBatch.objects.get()

    action = ModerationAction.objects.get(kind=ModerationAction.Kind.PAPER)
    assert (action.performed_by, action.count) == (organizer, 3)
    assert action.criteria == {
        "paper_batch": batch.pk,
        "petition": petition.pk,
        "rows": 3,
        "duplicates_skipped": 0,
    }
    record = client.get("/admin/signatures/moderationaction/").content.decode()
    assert "paper signatures added" in record
    batches = client.get("/admin/signatures/paperbatch/").content.decode()
    assert "Rally at City Hall" in batches
    assert f"?paper={batch.pk}" in batches
    shown = client.get(f"/admin/signatures/paperbatch/{batch.pk}/change/")
    assert "Ottawa volunteers" in shown.content.decode()
    web = client.get(f"{CHANGELIST}?paper=web").content.decode()
    assert "Web Signer" in web
    assert "Marie Tremblay" not in web
    rows = download(
        client.post(
            f"{EXPORT}?paper={batch.pk}",
            {
                "columns": [
                    "full_name",
                    "source",
                    "paper_event",
                    "paper_collected_on",
                    "paper_collected_by",
                ]
            },
        )
    )
    assert rows[0] == ["Name", "Source", "Paper batch", "Collected on", "Collected by"]
    assert rows[1] == [
        "Marie Tremblay",
        "paper",
        "Rally at City Hall",
        "2026-05-01",
        "Ottawa volunteers",
    ]
    assert len(rows) == 4


@pytest.mark.django_db(transaction=True)
def test_signing_online_does_not_wait_for_a_paper_batch_being_added(
    seed_campaign, monkeypatch
):
    """While a large batch is added (its rows checked, its webhooks
    queued), people keep signing on the web without waiting for it."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer")
    checking, release = threading.Event(), threading.Event()
    check = paper.paper_batch_check

    def slow_check(**kwargs):
        checking.set()
        release.wait(10)
        return check(**kwargs)

    def add_batch() -> None:
        try:
            paper.paper_batch_import(
                petition=seed_campaign,
                rows=read_rows("Name,Postal code\nJean Dupont,K1A 0B1\n"),
                language="en",
                event="Rally at City Hall",
                collected_on=date(2026, 5, 1),
                collected_by="Ottawa volunteers",
                user=None,
            )
        finally:
            connections.close_all()

    # Its text on record already, as once anyone has signed.
    petition_version_record(petition=seed_campaign)
    monkeypatch.setattr(paper, "paper_batch_check", slow_check)
    adding = threading.Thread(target=add_batch)
    adding.start()
    assert checking.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")
    try:
        started = time.monotonic()
        SignatureFactory(petition=seed_campaign, email="web@example.org")
        waited = time.monotonic() - started
    finally:
        release.set()
        adding.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert waited < 1
    assert Signature.objects.filter(petition=seed_campaign).count() == 2


def test_a_paper_signer_whose_online_signature_was_never_confirmed_counts_once(
    client, organizer, petition, press_add
):
    online = SignatureFactory(
        petition=petition,
        full_name="M. Tremblay",
        email="Marie@example.org",
        email_canonical="marie@example.org",
        pending=True,
    )
    before = public_stats(petition).count

    preview = upload(
        client,
        petition,
        "Name,Email,Postal code\nMarie Tremblay,marie@example.org,H2X 1Y4\n",
    )
    assert "Will confirm the signature made online" in preview.content.decode()
    press_add(preview)

    assert public_stats(petition).count == before + 1
    (signature,) = Signature.objects.filter(email_canonical="marie@example.org")
    assert signature.pk == online.pk
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Marie Tremblay"  # as written on paper
    assert signature.paper_batch == PaperBatch.objects.get()
    assert PaperBatch.objects.get().imported == 1
