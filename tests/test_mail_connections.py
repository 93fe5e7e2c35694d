"""An email worker keeps its mail session open across emails: one SMTP
session for a run of emails, not one per email, and a session the server
dropped meanwhile is replaced without losing the email."""

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from signatures import emails
from tests.backing_services import MailServer
from tests.conftest import SEED_SLUG
from tests.signing import form_data

# The worker opens its own connections, as in production: these tests commit.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]

DATABASE_QUEUE = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["email"]}
}


@pytest.fixture
def mail_server(mail_server, settings):
    """conftest's real SMTP server, with emails queued in the database."""
    settings.TASKS = DATABASE_QUEUE
    return mail_server


def _sign(client, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        client.post(f"/en/p/{SEED_SLUG}/sign/", form_data(email=f"s{n}@example.org"))


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "email")


def test_a_worker_sends_a_run_of_emails_over_one_smtp_session(client, mail_server):
    _sign(client, 8)

    run_worker()

    assert len(mail_server.received) == 8
    assert mail_server.sessions == 1


def test_a_session_the_server_dropped_is_replaced_and_no_email_is_lost(
    client, mail_server
):
    _sign(client, 1)
    run_worker()
    # The mail server restarts on the same port: the kept session is dead.
    port = mail_server.port
    mail_server.close()
    restarted = MailServer()
    restarted.controller = Controller(restarted, hostname="127.0.0.1", port=port)
    restarted.start()
    try:
        _sign(client, 2, start=1)
        run_worker()

        assert len(restarted.received) == 2
        assert restarted.sessions == 1
        assert not DBTaskResult.objects.exclude(
            status=TaskResultStatus.SUCCESSFUL
        ).exists()
    finally:
        emails.forget_kept_connection()
        restarted.close()


def test_a_refused_email_does_not_spoil_the_next_one(client, mail_server):
    mail_server.mode = "451-data"
    _sign(client, 1)
    run_worker()
    mail_server.mode = "accept"

    _sign(client, 1, start=1)
    run_worker()

    assert [message["To"] for message in mail_server.received] == ["s1@example.org"]
