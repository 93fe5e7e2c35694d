"""Signatures are stored whatever the mail server does; emails are retried."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from signatures.models import Signature
from signatures.tasks import retry_delay
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.figures import report
from tests.servers import free_port
from tests.signing import confirmation_link, form_data, run_email_worker

pytestmark = pytest.mark.django_db

# The worker opens and closes its own connections, as in production, so these
# tests commit for real instead of running inside one rolled-back transaction.
committing = pytest.mark.django_db(transaction=True)

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"


@pytest.fixture
def refusing_mail_server(settings):
    """SMTP pointed at a port where nothing listens: every send is refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2
    return settings


@pytest.fixture
def mail_server(mail_server, settings):
    """conftest's real SMTP server, with emails queued in the database."""
    settings.TASKS = DATABASE_QUEUE
    return mail_server


def test_refused_email_never_loses_the_signature(
    client, refusing_mail_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGN_URL, form_data())

    assert response.status_code == 302
    assert Signature.objects.count() == 1


@committing
@pytest.mark.usefixtures("seed_campaign")
def test_email_is_queued_in_the_database_and_sent_by_the_worker(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE

    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGN_URL, form_data())

    assert mailoutbox == []
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    run_email_worker()

    assert len(mailoutbox) == 1
    assert confirmation_link(mailoutbox[0])


@committing
@pytest.mark.usefixtures("seed_campaign")
def test_refused_email_is_retried_later_and_sent_once_the_server_is_back(
    client, refusing_mail_server, mailoutbox, django_capture_on_commit_callbacks
):
    settings = refusing_mail_server
    settings.TASKS = DATABASE_QUEUE
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGN_URL, form_data())

    run_email_worker()  # the server refuses

    failed = DBTaskResult.objects.get(status="FAILED")
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now() + timedelta(seconds=30)
    assert failed.args_kwargs["kwargs"].get("attempt", 1) == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_email_worker()  # not due yet: nothing is sent early
    assert mailoutbox == []

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_email_worker()

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["jane@example.org"]
    assert Signature.objects.count() == 1
    report(
        "mail server refusing: signature stored, send retried with backoff, "
        "delivered once when the server accepted"
    )


def test_retries_wait_longer_each_time():
    delays = [retry_delay(attempt) for attempt in range(1, 5)]

    assert delays == [timedelta(minutes=m) for m in (1, 5, 25, 125)]


@committing
@pytest.mark.usefixtures("seed_campaign")
def test_retrying_stops_after_the_configured_attempts(
    client, refusing_mail_server, django_capture_on_commit_callbacks
):
    settings = refusing_mail_server
    settings.TASKS = DATABASE_QUEUE
    settings.EMAIL_SEND_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGN_URL, form_data())

    run_email_worker()
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_email_worker()

    assert DBTaskResult.objects.filter(status="FAILED").count() == 2
    assert not DBTaskResult.objects.filter(status="READY").exists()


@committing
@pytest.mark.usefixtures("seed_campaign")
@pytest.mark.parametrize(
    "refusal",
    [
        pytest.param("451-rcpt", id="greylisted"),
        pytest.param("451-data", id="queue-full"),
    ],
)
def test_a_mail_server_that_says_try_later_gets_the_email_once_it_accepts(
    client, mail_server, refusal, django_capture_on_commit_callbacks
):
    mail_server.mode = refusal
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGN_URL, form_data())
    assert response.status_code == 302
    assert Signature.objects.count() == 1

    run_email_worker()  # "try again later"

    assert (mail_server.refused, mail_server.received) == (1, [])
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now() + timedelta(seconds=30)

    mail_server.mode = "accept"
    run_email_worker()  # not due yet
    assert mail_server.received == []

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_email_worker()
    run_email_worker()  # nothing left: sent once, not again

    assert [m["To"] for m in mail_server.received] == ["jane@example.org"]
    assert "/en/confirm/" in mail_server.received[0].get_body(("plain",)).get_content()
    assert DBTaskResult.objects.get(pk=retry.pk).status == "SUCCESSFUL"
    assert Signature.objects.count() == 1


@committing
@pytest.mark.usefixtures("seed_campaign")
def test_a_mailbox_that_does_not_exist_is_not_tried_again(
    client, mail_server, django_capture_on_commit_callbacks
):
    mail_server.mode = "550-rcpt"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGN_URL, form_data())

    run_email_worker()

    assert mail_server.refused == 1
    assert DBTaskResult.objects.get().status == "FAILED"
    assert Signature.objects.count() == 1


def test_the_email_task_is_stored_in_the_signatures_own_transaction(
    settings, seed_campaign
):
    """With the database queue, a signature never commits without its email
    task (a crash between two commits could lose the email), and a signature
    rolled back leaves no task behind."""
    from django.db import transaction

    from signatures.services.signing import signature_create

    settings.TASKS = DATABASE_QUEUE
    details = {
        "petition": seed_campaign,
        "full_name": "Jane Doe",
        "country": "CA",
        "postal_code": "K1A 0B1",
        "wants_updates": False,
        "show_name_publicly": False,
        "language": "en",
        "ip_address": "198.51.100.7",
    }

    with transaction.atomic():
        signature_create(email="kept@example.org", **details)
        queued_before_commit = DBTaskResult.objects.count()

    def sign_then_fail() -> None:
        with transaction.atomic():
            signature_create(email="dropped@example.org", **details)
            raise RuntimeError("the request failed after signing")

    with pytest.raises(RuntimeError, match="failed after signing"):
        sign_then_fail()

    assert queued_before_commit == 1
    assert Signature.objects.filter(email="dropped@example.org").count() == 0
    assert DBTaskResult.objects.count() == 1
