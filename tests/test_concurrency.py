"""Simultaneous signing on PostgreSQL: the unique constraint settles every race."""

import threading

import pytest
from django.db import connection

from petition.models import Petition
from signatures.models import Signature
from signatures.services.signing import signature_create
from tests.conftest import SEED_SLUG

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs DATABASE_URL=postgres://...: SQLite runs one writer at a time",
    ),
]


def sign_all_at_once(emails: list[str]) -> list[BaseException]:
    """One thread per email, released together; returns what any of them raised."""
    petition = Petition.objects.get(slug=SEED_SLUG)
    start = threading.Barrier(len(emails))
    failures: list[BaseException] = []

    def sign(email: str) -> None:
        try:
            start.wait()
            signature_create(
                petition=petition,
                full_name="Racing Signer",
                email=email,
                country="CA",
                postal_code="K1A 0B1",
                wants_updates=False,
                show_name_publicly=False,
                language="en",
                ip_address="203.0.113.9",
            )
        except BaseException as error:  # reported to the test below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures


@pytest.mark.usefixtures("seed_campaign")
def test_same_email_signed_at_once_leaves_one_row_and_no_errors():
    variants = ["jane@example.org", "JANE@example.org", " jane@Example.org "] * 8

    failures = sign_all_at_once(variants)

    assert failures == []
    assert Signature.objects.filter(email_canonical="jane@example.org").count() == 1


@pytest.mark.usefixtures("seed_campaign")
def test_different_emails_signed_at_once_are_all_stored():
    emails = [f"signer{n}@example.org" for n in range(24)]

    failures = sign_all_at_once(emails)

    assert failures == []
    assert Signature.objects.count() == 24
