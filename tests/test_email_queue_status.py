"""Operators see the email queue: how many emails wait, how old the oldest
is, and how many went out in the last minute, on the dashboard and as JSON
for monitoring."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.signing import form_data, run_email_worker

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]

QUEUE_JSON = "/admin/email-queue.json"


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE


def _sign(client, email: str) -> None:
    client.post(f"/en/p/{SEED_SLUG}/sign/", form_data(email=email))


@pytest.mark.usefixtures("database_queue")
def test_the_queue_shows_what_waits_how_long_and_what_went_out(client, admin_client):
    for n in range(3):
        _sign(client, f"signer{n}@example.org")
    # The first one has waited a minute and a half.
    first = DBTaskResult.objects.order_by("enqueued_at").first()
    DBTaskResult.objects.filter(pk=first.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=90)
    )

    waiting = admin_client.get(QUEUE_JSON).json()

    assert waiting["queued_in_database"] is True
    assert waiting["waiting"] == 3
    assert waiting["running"] == 0
    assert waiting["oldest_waiting_seconds"] >= 90
    assert waiting["finished_last_minute"] == 0

    run_email_worker()
    drained = admin_client.get(QUEUE_JSON).json()

    assert drained["waiting"] == 0
    assert drained["oldest_waiting_seconds"] is None
    # Three follow-ups, each of which sent its email.
    assert drained["finished_last_minute"] == 3


@pytest.mark.usefixtures("database_queue")
def test_the_dashboard_shows_the_email_queue(client, admin_client, seed_campaign):
    _sign(client, "signer@example.org")

    page = admin_client.get(
        f"/admin/petition/petition/{seed_campaign.pk}/dashboard/"
    ).content.decode()

    assert 'id="queue-waiting">1<' in page
    assert QUEUE_JSON in page


def test_the_queue_is_for_staff_only(client):
    assert client.get(QUEUE_JSON).status_code == 302
    client.force_login(User.objects.create_user("signer", is_staff=False))
    assert client.get(QUEUE_JSON).status_code == 302


def test_emails_sent_at_once_have_no_queue_to_show(admin_client, seed_campaign):
    assert admin_client.get(QUEUE_JSON).json() == {"queued_in_database": False}
    page = admin_client.get(
        f"/admin/petition/petition/{seed_campaign.pk}/dashboard/"
    ).content.decode()
    assert 'id="email-queue"' not in page
