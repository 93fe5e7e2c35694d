"""Signing and asking for a new link do the same work, statement for
statement, for an address that has signed and one that has not: what differs
(the lookup, the choice of email) happens in the background task, so the
time a request takes cannot tell who has signed."""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatures.models import Signature
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.factories import SignatureFactory
from tests.signing import confirmation_link, form_data, run_email_worker

# The worker opens its own connections, as in production: these tests commit.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"
RESEND_URL = f"/en/p/{SEED_SLUG}/resend/"


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE


def _shape(sql: str) -> str:
    """The statement with its values, and savepoint and task ids, taken out."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b[su]\d+_x\d+\b", "sp", sql)
    return re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)


def _written_tables(statements: list[str]) -> list[str]:
    return [
        match.group(1)
        for sql in statements
        if (match := re.match(r'(?:INSERT INTO|UPDATE|DELETE FROM) "?(\w+)', sql))
    ]


def _statements(client, url: str, data: dict) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    assert response.status_code in (200, 302)
    return [_shape(query["sql"]) for query in queries.captured_queries]


@pytest.fixture
def known(seed_campaign):
    """Addresses that have signed, in each state a signature can be in."""
    return {
        status: SignatureFactory(
            petition=seed_campaign,
            email=f"{status}@example.org",
            status=status,
            pending=status == Signature.Status.PENDING,
        )
        for status in Signature.Status
    }


def _warm_up(client) -> None:
    # The first request of a process loads what it keeps (the petition).
    client.get(SIGN_URL)
    client.post(RESEND_URL, {"email": "warm-up@example.org"})


def test_signing_runs_the_same_statements_for_a_known_and_an_unknown_address(
    client, known, mailoutbox
):
    _warm_up(client)
    unknown = _statements(client, SIGN_URL, form_data(email="new@example.org"))

    for status in Signature.Status:
        # Typed another way than it was stored: the same inbox.
        variant = f"{status.upper()}@Example.org"
        repeat = _statements(client, SIGN_URL, form_data(email=variant))

        assert len(repeat) == len(unknown), status
        assert _written_tables(repeat) == _written_tables(unknown), status
        assert repeat == unknown, status
    assert mailoutbox == []  # nothing decided, nothing sent in the request

    run_email_worker()

    by_address = {message.to[0].lower(): message for message in mailoutbox}
    assert by_address["new@example.org"].subject.startswith("Confirm your signature")
    assert by_address["pending@example.org"].subject.startswith(
        "Confirm your signature"
    )
    assert by_address["withdrawn@example.org"].subject.startswith(
        "Confirm your signature"
    )
    assert by_address["confirmed@example.org"].subject.startswith(
        "You have already signed"
    )
    assert by_address["invalidated@example.org"].subject.startswith(
        "You have already signed"
    )
    assert len(mailoutbox) == 5
    # The pending signer's new link applies what was typed this time.
    client.post(confirmation_link(by_address["pending@example.org"]))
    assert (
        known["pending"].__class__.objects.get(pk=known["pending"].pk).email
        == "PENDING@example.org"
    )


def test_asking_for_a_new_link_runs_the_same_statements_for_any_address(
    client, known, mailoutbox
):
    _warm_up(client)
    unknown = _statements(client, RESEND_URL, {"email": "nobody@example.org"})

    for status in Signature.Status:
        repeat = _statements(client, RESEND_URL, {"email": f"{status}@EXAMPLE.org"})

        assert len(repeat) == len(unknown), status
        assert _written_tables(repeat) == _written_tables(unknown), status
        assert repeat == unknown, status
    assert mailoutbox == []

    run_email_worker()

    assert sorted(m.to[0] for m in mailoutbox) == [
        "confirmed@example.org",
        "invalidated@example.org",
        "pending@example.org",
    ]
    pending = next(m for m in mailoutbox if m.to == ["pending@example.org"])
    client.post(confirmation_link(pending))
    assert Signature.objects.get(email="pending@example.org").status == "confirmed"


def test_finished_requests_for_a_link_do_not_keep_the_address(client, settings):
    from datetime import timedelta
    from io import StringIO

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    client.post(RESEND_URL, {"email": "asked@example.org"})
    run_email_worker()
    assert "asked@example.org" in str(DBTaskResult.objects.get().args_kwargs)

    DBTaskResult.objects.update(
        finished_at=timezone.now()
        - timedelta(seconds=settings.SIGNATURE_CONFIRMATION_MAX_AGE, days=2)
    )
    call_command("purge_unconfirmed", stdout=StringIO())

    assert DBTaskResult.objects.count() == 0
