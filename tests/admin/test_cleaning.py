"""Cleaning: invalidate, restore, resend, erase, each recorded."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.net import ip_hash, ip_hash_in_logs
from petition.public import public_stats
from signatures.models import HeldSubmission, ModerationAction, Signature
from signatures.services.moderation import signatures_erase
from signatures.services.signing import confirmation_resend
from signatures.tasks import may_email
from tests.admin.pages import CHANGELIST, factory_email, post_action
from tests.factories import HeldSubmissionFactory, PetitionFactory, SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db


def test_invalidation_asks_for_a_reason_and_takes_signatures_out_of_the_count(
    client, organizer, petition
):
    spam = SignatureFactory.create_batch(2, petition=petition)
    SignatureFactory(petition=petition)

    asked = post_action(client, "invalidate", spam)
    assert "Reason" in asked.content.decode()
    assert Signature.objects.filter(status="invalidated").count() == 0

    done = post_action(client, "invalidate", spam, apply="1", reason="Spam burst")

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
    post_action(client, "invalidate", [confirmed, pending], apply="1", reason="Oops")

    asked = post_action(client, "restore", [confirmed, pending])
    assert "This applies to 2 signatures" in asked.content.decode()
    done = post_action(client, "restore", [confirmed, pending], apply="1")

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


def test_burst_by_the_ip_hash_a_log_line_shows(client, organizer, petition):
    SignatureFactory(petition=petition, ip_hash=ip_hash("198.51.100.9"))
    SignatureFactory(petition=petition, ip_hash=ip_hash("198.51.100.10"))

    client.post(
        "/admin/signatures/signature/invalidate-matching/",
        {
            "ip_hash": ip_hash_in_logs("198.51.100.9"),
            "reason": "One machine, seen in the logs",
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
        done = post_action(
            client, "resend_confirmation", [pending, confirmed], apply="1"
        )

    assert "resent to 1 pending signer" in done.content.decode()
    assert [m.to for m in mailoutbox] == [["p@example.org"]]


def test_erasing_a_signer_removes_their_data_and_keeps_only_a_count(
    client, organizer, petition
):
    leaving = SignatureFactory(petition=petition, email="leaving@example.org")

    post_action(client, "erase", [leaving], apply="1", reason="Asked by email")

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

    post_action(client, "erase", leaving, apply="1", reason="Spam wave")

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

    post_action(client, "erase", leaving, apply="1", reason="Spam wave")

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
    may_email(pending)  # this hour's allowance already spent

    with django_capture_on_commit_callbacks(execute=True):
        done = post_action(client, "resend_confirmation", [pending], apply="1")

    assert "resent to 0 pending signers" in done.content.decode()
    assert mailoutbox == []
    assert ModerationAction.objects.get().count == 0
