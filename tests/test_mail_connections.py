"""An email worker keeps its mail session open across emails: one SMTP
session per thread for a run of emails, not one per email; a session the server
dropped meanwhile is replaced without losing the email."""

import smtplib

import pytest
from aiosmtpd.controller import Controller

from signatures import emails
from signatures.models import Signature
from tests.backing_services import MailServer
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.signing import form_data, run_email_worker

# The worker opens its own connections, as in production: these tests commit.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]


@pytest.fixture
def mail_server(mail_server, settings):
    """conftest's real SMTP server, with emails queued in the database."""
    settings.TASKS = DATABASE_QUEUE
    return mail_server


def _sign(client, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        client.post(
            f"/en/p/{SEED_SLUG}/sign/",
            form_data(email=f"s{n}@example.org"),
            # One signer per address, as in a surge: no rate limit in the way.
            REMOTE_ADDR=f"198.51.100.{n % 250}",
        )


def _send_in_this_thread(address: str) -> None:
    """What one worker thread does for one email, here in the test's thread,
    so that the session it keeps is this thread's."""
    signature = Signature.objects.get(email=address)
    emails.send_signature_email(signature, emails.EmailKind.CONFIRM)


def test_a_worker_sends_many_emails_over_no_more_sessions_than_threads(
    client, mail_server, settings
):
    settings.EMAIL_WORKER_THREADS = 4
    _sign(client, 40)

    run_email_worker()

    assert sorted(m["To"] for m in mail_server.received) == sorted(
        f"s{n}@example.org" for n in range(40)
    )
    # One session per thread at most (SQLite's worker runs one thread).
    assert 1 <= mail_server.sessions <= 4


def test_a_session_the_server_dropped_is_replaced_and_no_email_is_lost(
    client, mail_server
):
    _sign(client, 3)
    _send_in_this_thread("s0@example.org")
    # The mail server restarts on the same port: the kept session is dead.
    port = mail_server.port
    mail_server.close()
    restarted = MailServer()
    restarted.controller = Controller(restarted, hostname="127.0.0.1", port=port)
    restarted.start()
    try:
        _send_in_this_thread("s1@example.org")
        _send_in_this_thread("s2@example.org")

        assert [m["To"] for m in restarted.received] == [
            "s1@example.org",
            "s2@example.org",
        ]
        assert restarted.sessions == 1
    finally:
        emails.forget_kept_connection()
        restarted.close()


def test_a_refused_email_does_not_spoil_the_next_one(client, mail_server):
    _sign(client, 2)
    mail_server.mode = "451-data"
    with pytest.raises(smtplib.SMTPDataError):
        _send_in_this_thread("s0@example.org")
    mail_server.mode = "accept"

    _send_in_this_thread("s1@example.org")

    assert [message["To"] for message in mail_server.received] == ["s1@example.org"]


def test_a_server_slow_to_answer_is_not_handed_the_email_twice(
    client, mail_server, settings
):
    _sign(client, 2)
    settings.EMAIL_TIMEOUT = 1
    handed_over = []
    take = mail_server.handle_DATA

    async def counting(*args):
        handed_over.extend(args[2].rcpt_tos)
        return await take(*args)

    mail_server.handle_DATA = counting  # before any session: aiosmtpd keeps it
    _send_in_this_thread("s0@example.org")  # the session is now a kept one
    # It takes the next message, and says so after the client stopped waiting.
    mail_server.delay = 1.5
    try:
        with pytest.raises(smtplib.SMTPServerDisconnected):
            _send_in_this_thread("s1@example.org")
    finally:
        emails.forget_kept_connection()

    # Once: the task's own retry, minutes later, is the next try.
    assert handed_over == ["s0@example.org", "s1@example.org"]
