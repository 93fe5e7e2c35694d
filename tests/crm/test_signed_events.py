"""Organizers' systems hear of each signature as it changes, in signed
Standard Webhooks events."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from crm import events
from crm.models import Delivery, EventType, WebhookEndpoint
from petition.models import Petition
from signatures.models import Signature
from signatures.services.moderation import (
    signatures_erase,
    signatures_invalidate,
    signatures_restore,
)
from signatures.services.retention import (
    signatures_anonymise_closed,
    signatures_purge_unconfirmed,
)
from signatures.services.self_service import (
    signature_erase_by_signer,
    signature_withdraw,
)
from signatures.services.signing import signature_confirm
from tests.conftest import SEED_SLUG
from tests.crm.conftest import events_received, import_paper_rows, types_received
from tests.factories import PetitionFactory, SignatureFactory
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db


def sign(client, capture, **fields) -> None:
    with capture(execute=True):
        response = client.post(f"/en/p/{SEED_SLUG}/sign/", form_data(**fields))
    assert response.status_code == 302


def test_a_new_signature_reaches_the_endpoint_signed_as_the_specification_says(
    client, endpoint, receiver, django_capture_on_commit_callbacks, seed_campaign
):
    sign(
        client,
        django_capture_on_commit_callbacks,
        full_name="Jane Q. Doe",
        email="Jane@example.org",
        postal_code="H2X 1Y4",
        wants_updates="on",
    )

    assert types_received(receiver) == ["signature.created"]
    request = receiver.received[0]
    # The published algorithm, as a receiver runs it...
    event = Webhook(endpoint.secret).verify(request.body, request.headers)
    # ...and the same HMAC-SHA256 worked out by hand from the specification.
    webhook_id = request.headers["webhook-id"]
    timestamp = request.headers["webhook-timestamp"]
    key = base64.b64decode(endpoint.secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.{request.body.decode()}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    assert request.headers["webhook-signature"] == f"v1,{expected.decode()}"
    assert webhook_id.startswith("msg_")
    assert request.headers["Content-Type"] == "application/json"

    signature = Signature.objects.get()
    assert event["type"] == "signature.created"
    assert event["data"]["signature"] == {
        "id": str(signature.public_id),
        "status": "pending",
        "first_name": "Jane",
        "last_name": "Q. Doe",
        "email": "Jane@example.org",
        "postal_code": "H2X 1Y4",
        "province": "QC",
        "country": "CA",
        "language": "en",
        "consent": {
            "updates": True,
            "show_name_publicly": False,
            # The words the signer ticked, as on record.
            "updates_wording": "Keep me updated about this campaign by email",
            "updates_version": "updates-1",
            "updates_given_at": signature.updates_consent_at.isoformat(),
            "updates_withdrawn_at": None,
            "updates_withdrawn_via": "",
        },
        "source": "",
        "referral_code": signature.referral_code,
        "referred_by_code": "",
        "signed_at": signature.created_at.isoformat(),
        "confirmed_at": None,
    }
    assert event["data"]["petition"]["slug"] == SEED_SLUG
    assert event["data"]["petition"]["title"] == seed_campaign.title_en


def test_a_tampered_body_fails_the_receivers_check(
    client, endpoint, receiver, django_capture_on_commit_callbacks, seed_campaign
):
    sign(client, django_capture_on_commit_callbacks)
    request = receiver.received[0]
    tampered = request.body.replace(b"jane@example.org", b"evil@example.org")

    with pytest.raises(Exception, match="No matching signature"):
        Webhook(endpoint.secret).verify(tampered, request.headers)


def test_confirming_by_the_emailed_link_sends_confirmed(
    client,
    endpoint,
    receiver,
    mailoutbox,
    django_capture_on_commit_callbacks,
    seed_campaign,
):
    sign(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirmation_link(mailoutbox[-1]))

    assert types_received(receiver) == ["signature.created", "signature.confirmed"]
    confirmed = events_received(receiver)[1]["data"]["signature"]
    assert confirmed["status"] == "confirmed"
    assert confirmed["confirmed_at"] is not None


def test_a_petition_that_counts_at_once_sends_created_then_confirmed(
    client, endpoint, receiver, django_capture_on_commit_callbacks, seed_campaign
):
    seed_campaign.requires_confirmation = False
    seed_campaign.save()

    sign(client, django_capture_on_commit_callbacks)

    assert types_received(receiver) == ["signature.created", "signature.confirmed"]


def test_withdrawing_invalidating_and_restoring_each_send_their_event(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    signature = SignatureFactory()
    other = SignatureFactory(petition=signature.petition)

    with django_capture_on_commit_callbacks(execute=True):
        signatures_invalidate(
            signatures=Signature.objects.filter(pk=other.pk), reason="spam", user=None
        )
    with django_capture_on_commit_callbacks(execute=True):
        signatures_restore(signatures=Signature.objects.filter(pk=other.pk), user=None)
    with django_capture_on_commit_callbacks(execute=True):
        signature_withdraw(signature=signature)

    assert types_received(receiver) == [
        "signature.invalidated",
        "signature.restored",
        "signature.withdrawn",
    ]
    invalidated, restored, withdrawn = (
        event["data"]["signature"] for event in events_received(receiver)
    )
    assert invalidated["id"] == restored["id"] == str(other.public_id)
    assert (invalidated["status"], restored["status"]) == ("invalidated", "confirmed")
    assert withdrawn == {
        **withdrawn,
        "id": str(signature.public_id),
        "status": "withdrawn",
    }


def test_confirming_a_pending_signature_in_code_sends_confirmed(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    signature = SignatureFactory(pending=True)

    with django_capture_on_commit_callbacks(execute=True):
        assert signature_confirm(signature=signature)

    assert types_received(receiver) == ["signature.confirmed"]


@pytest.mark.parametrize("by", ["signer", "organizer"])
def test_an_erased_signature_sends_its_id_and_nothing_personal(
    by, endpoint, receiver, django_capture_on_commit_callbacks
):
    signature = SignatureFactory(full_name="Jane Doe", email="jane@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        signatures_invalidate(
            signatures=Signature.objects.filter(pk=signature.pk), reason="", user=None
        )

    with django_capture_on_commit_callbacks(execute=True):
        if by == "signer":
            signature_erase_by_signer(signature=signature)
        else:
            signatures_erase(
                signatures=Signature.objects.filter(pk=signature.pk), user=None
            )

    erased = events_received(receiver)[-1]
    assert erased["type"] == "signature.erased"
    assert erased["data"]["signature"] == {"id": str(signature.public_id)}
    body = receiver.received[-1].body.decode()
    assert "jane" not in body.lower()
    assert "K1A" not in body
    # The log of what was sent earlier keeps nothing of them either.
    earlier = Delivery.objects.get(event_type="signature.invalidated")
    assert "jane" not in json.dumps(earlier.payload).lower()


def test_a_rolled_back_change_sends_nothing(endpoint, receiver):
    signature = SignatureFactory()

    def withdraw_then_fail() -> None:
        with transaction.atomic():
            signature_withdraw(signature=signature)
            raise RuntimeError("the request failed after the withdrawal")

    with pytest.raises(RuntimeError):
        withdraw_then_fail()

    assert receiver.received == []
    assert not Delivery.objects.exists()


def test_an_endpoint_hears_only_the_events_and_petition_it_chose(
    receiver, django_capture_on_commit_callbacks
):
    signature = SignatureFactory()
    elsewhere = SignatureFactory()
    WebhookEndpoint.objects.create(
        url=receiver.url,
        events=[EventType.SIGNATURE_WITHDRAWN],
        petition=signature.petition,
    )

    with django_capture_on_commit_callbacks(execute=True):
        signature_withdraw(signature=elsewhere)
        signatures_invalidate(
            signatures=Signature.objects.filter(pk=signature.pk), reason="", user=None
        )
    with django_capture_on_commit_callbacks(execute=True):
        signatures_restore(
            signatures=Signature.objects.filter(pk=signature.pk), user=None
        )
        signature_withdraw(signature=signature)

    assert types_received(receiver) == ["signature.withdrawn"]
    assert events_received(receiver)[0]["data"]["signature"]["id"] == str(
        signature.public_id
    )


def test_a_switched_off_endpoint_is_sent_nothing(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    endpoint.is_active = False
    endpoint.save()

    with django_capture_on_commit_callbacks(execute=True):
        signature_withdraw(signature=SignatureFactory())

    assert receiver.received == []


def test_a_follow_up_task_run_twice_reports_the_new_signature_once(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    signature = SignatureFactory()  # counted at once

    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            events.signature_created(signature)

    assert types_received(receiver) == ["signature.created", "signature.confirmed"]


def test_another_feature_can_send_its_own_event_through_emit_event(
    receiver, django_capture_on_commit_callbacks, seed_campaign
):
    endpoint = WebhookEndpoint.objects.create(
        url=receiver.url, events=[EventType.UPDATE_SENT]
    )

    with django_capture_on_commit_callbacks(execute=True):
        queued = events.emit_event(
            type=EventType.UPDATE_SENT,
            petition=seed_campaign,
            data={"update": {"subject": "We delivered the petition"}, "recipients": 42},
        )

    assert queued == 1
    [request] = receiver.received
    event = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert event["type"] == "update.sent"
    assert event["data"]["recipients"] == 42


def test_a_signature_purged_by_retention_sends_erased(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    old = SignatureFactory(pending=True, created_at=timezone.now() - timedelta(days=40))

    with django_capture_on_commit_callbacks(execute=True):
        signatures_purge_unconfirmed(older_than=timedelta(days=30))

    assert events_received(receiver) == [
        {**events_received(receiver)[0], "type": "signature.erased"}
    ]
    assert events_received(receiver)[0]["data"]["signature"] == {
        "id": str(old.public_id)
    }


def test_paper_signatures_reach_the_endpoint_as_created_and_confirmed(
    endpoint, receiver, django_capture_on_commit_callbacks, seed_campaign
):
    with django_capture_on_commit_callbacks(execute=True):
        import_paper_rows(seed_campaign, language="fr")

    received = events_received(receiver)
    assert sorted(event["type"] for event in received) == [
        "signature.confirmed",
        "signature.confirmed",
        "signature.created",
        "signature.created",
    ]
    names = {event["data"]["signature"]["last_name"] for event in received}
    assert names == {"Tremblay", "Dupont"}
    assert {event["data"]["signature"]["source"] for event in received} == {"paper"}


def test_anonymising_a_closed_petition_empties_its_signers_deliveries(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    petition = PetitionFactory()
    sent = SignatureFactory(petition=petition, full_name="Jane Doe")
    waiting = SignatureFactory(petition=petition, full_name="John Roe")
    with django_capture_on_commit_callbacks(execute=True):
        events.signature_created(sent)
    events.signature_created(waiting)  # its task never ran: still waiting
    Petition.objects.filter(pk=petition.pk).update(
        is_open=False, closed_at=timezone.now() - timedelta(days=200)
    )

    signatures_anonymise_closed(closed_for=timedelta(days=183))

    deliveries = Delivery.objects.filter(
        signature_public_id__in=[sent.public_id, waiting.public_id]
    )
    assert deliveries.count() == 4  # created and confirmed, for each
    for delivery in deliveries:
        assert "roe" not in json.dumps(delivery.payload).lower()
        assert "doe" not in json.dumps(delivery.payload).lower()
    assert {
        delivery.status
        for delivery in deliveries.filter(signature_public_id=waiting.public_id)
    } == {Delivery.Status.CANCELLED}
