"""Retention: signatures that never counted are purged, personal data
is removed once a petition has been closed long enough."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from signatures.models import ModerationAction, Signature
from tests.factories import PetitionFactory, SignatureFactory
from tests.privacy.links import count_of

pytestmark = pytest.mark.django_db


def test_purge_unconfirmed_deletes_only_old_signatures_that_never_counted(
    seed_campaign,
):
    old = timezone.now() - timedelta(days=31)
    SignatureFactory(petition=seed_campaign, pending=True, created_at=old)
    SignatureFactory(
        petition=seed_campaign, status=Signature.Status.WITHDRAWN, created_at=old
    )
    recent_pending = SignatureFactory(petition=seed_campaign, pending=True)
    old_confirmed = SignatureFactory(petition=seed_campaign, created_at=old)
    out = StringIO()

    call_command("purge_unconfirmed", "--days", "30", stdout=out)

    assert set(Signature.objects.all()) == {recent_pending, old_confirmed}
    assert "Deleted 2 signatures" in out.getvalue()
    assert ModerationAction.objects.get().count == 2


def test_anonymise_closed_removes_personal_data_and_keeps_the_counts(
    seed_campaign, client
):
    closed = PetitionFactory(is_open=False)
    closed.closed_at = timezone.now() - timedelta(days=200)
    closed.save(update_fields=["closed_at"])
    SignatureFactory.create_batch(
        3, petition=closed, province="QC", wants_updates=True, show_name_publicly=True
    )
    SignatureFactory(petition=closed, pending=True)
    open_signature = SignatureFactory(petition=seed_campaign)
    count_before = count_of(closed)

    call_command("anonymise_closed", "--days", "183", stdout=StringIO())

    for signature in Signature.objects.filter(petition=closed):
        assert signature.full_name == ""
        assert signature.email == ""
        assert signature.email_canonical == f"anonymised-{signature.pk}"
        assert signature.postal_code == ""
        assert signature.ip_hash == ""
        assert not signature.wants_updates
        assert signature.anonymised_at is not None
    assert Signature.objects.filter(petition=closed, province="QC").count() == 3
    from django.core.cache import cache

    cache.clear()  # recount from the database
    assert count_of(closed) == count_before == 3
    open_signature.refresh_from_db()
    assert open_signature.email
    assert open_signature.anonymised_at is None
    # Run daily: a second run finds nothing more to do.
    out = StringIO()
    call_command("anonymise_closed", "--days", "183", stdout=out)
    assert "Anonymised 0 signatures" in out.getvalue()


def test_recently_closed_petition_keeps_its_data_until_the_time_is_up(
    seed_campaign,
):
    seed_campaign.is_open = False
    seed_campaign.save()
    SignatureFactory(petition=seed_campaign)

    call_command("anonymise_closed", "--days", "183", stdout=StringIO())

    assert Signature.objects.get().email
    assert seed_campaign.closed_at is not None


def test_reopening_a_petition_stops_the_retention_clock(seed_campaign):
    seed_campaign.is_open = False
    seed_campaign.save()
    seed_campaign.is_open = True
    seed_campaign.save()

    seed_campaign.refresh_from_db()
    assert seed_campaign.closed_at is None


def test_purge_also_deletes_invalidated_signatures_never_confirmed(seed_campaign):
    old = timezone.now() - timedelta(days=31)
    SignatureFactory(
        petition=seed_campaign,
        status=Signature.Status.INVALIDATED,
        confirmed_at=None,
        created_at=old,
    )
    kept = SignatureFactory(
        petition=seed_campaign, status=Signature.Status.INVALIDATED, created_at=old
    )

    call_command("purge_unconfirmed", "--days", "30", stdout=StringIO())

    assert list(Signature.objects.all()) == [kept]
