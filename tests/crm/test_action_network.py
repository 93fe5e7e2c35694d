"""Each confirmed signature is recorded in Action Network with its
record-signature helper; a failure never stops signing and is retried."""

import pytest

from crm.delivery import deliver
from crm.models import ActionNetworkTarget, Delivery
from signatures.models import Signature
from signatures.services.self_service import signature_erase_by_signer
from signatures.services.signing import signature_confirm
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.crm.action_network import ActionNetworkAPI
from tests.crm.conftest import import_paper_rows
from tests.factories import SignatureFactory
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db

AN_PETITION = "d91b4b2e-ae0e-4cd3-9ed7-d0ec501b0bc3"


@pytest.fixture
def action_network(settings):
    api = ActionNetworkAPI(api_key="the-groups-key")
    api.start()
    settings.ACTION_NETWORK_API_URL = api.url
    yield api
    api.close()


@pytest.fixture
def linked(action_network, seed_campaign) -> ActionNetworkTarget:
    return ActionNetworkTarget.objects.create(
        petition=seed_campaign,
        action_network_petition=AN_PETITION,
        api_key="the-groups-key",
        tags=["petition-signer", "caged-families"],
    )


def sign(client, capture, **fields) -> None:
    with capture(execute=True):
        client.post(f"/en/p/{SEED_SLUG}/sign/", form_data(**fields))


def test_a_confirmed_signer_is_recorded_in_action_network_as_documented(
    client, linked, action_network, mailoutbox, django_capture_on_commit_callbacks
):
    sign(
        client,
        django_capture_on_commit_callbacks,
        full_name="Jane Q. Doe",
        email="jane@example.org",
        postal_code="H2X 1Y4",
        wants_updates="on",
    )
    assert action_network.recorded == []  # not before the inbox is proven

    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirmation_link(mailoutbox[-1]))

    assert action_network.refused == []
    [(petition, body)] = action_network.recorded
    assert petition == AN_PETITION
    assert body == {
        "person": {
            "given_name": "Jane",
            "family_name": "Q. Doe",
            "email_addresses": [{"address": "jane@example.org"}],
            "postal_addresses": [
                {"postal_code": "H2X 1Y4", "country": "CA", "region": "QC"}
            ],
            "languages_spoken": ["en"],
        },
        "add_tags": ["petition-signer", "caged-families"],
    }
    delivery = Delivery.objects.get(action_network=linked)
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.last_response_code == 200


def test_a_signer_who_did_not_ask_for_updates_is_not_sent(
    linked, action_network, django_capture_on_commit_callbacks
):
    signature = SignatureFactory(
        petition=linked.petition, pending=True, wants_updates=False
    )

    with django_capture_on_commit_callbacks(execute=True):
        signature_confirm(signature=signature)

    assert action_network.recorded == []
    assert not Delivery.objects.exists()


def test_the_sites_key_serves_a_link_without_its_own(
    settings, linked, action_network, django_capture_on_commit_callbacks
):
    settings.ACTION_NETWORK_API_KEY = "the-groups-key"
    linked.api_key = ""
    linked.save()
    signature = SignatureFactory(
        petition=linked.petition, pending=True, wants_updates=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        signature_confirm(signature=signature)

    assert len(action_network.recorded) == 1


def test_action_network_down_never_stops_confirming_and_is_retried(
    settings, client, linked, action_network, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE
    action_network.failing = True
    signature = SignatureFactory(
        petition=linked.petition, pending=True, wants_updates=True
    )

    assert signature_confirm(signature=signature)
    delivery = Delivery.objects.get()
    deliver.call(delivery_id=delivery.pk)

    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.last_response_code == 503
    assert delivery.next_attempt_at is not None

    action_network.failing = False
    deliver.call(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert len(action_network.recorded) == 1


def test_an_erased_signer_is_not_sent_later(settings, linked, action_network):
    settings.TASKS = DATABASE_QUEUE
    signature = SignatureFactory(
        petition=linked.petition, pending=True, wants_updates=True
    )
    signature_confirm(signature=signature)
    delivery = Delivery.objects.get()

    signature_erase_by_signer(signature=Signature.objects.get())
    deliver.call(delivery_id=delivery.pk)

    assert action_network.recorded == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.CANCELLED
    assert "jane" not in str(delivery.payload).lower()
    assert delivery.payload == {"erased": True}


def test_a_paper_signer_without_an_email_address_is_not_sent(
    linked, action_network, seed_campaign, django_capture_on_commit_callbacks
):
    """Action Network files people by email address: a row without one
    would be refused, retried for a day and switch the link off."""
    linked.only_with_consent = False
    linked.save()
    with django_capture_on_commit_callbacks(execute=True):
        import_paper_rows(seed_campaign, language="en")

    assert [
        body["person"]["email_addresses"][0]["address"]
        for _petition, body in action_network.recorded
    ] == ["marie@example.org"]
    assert action_network.refused == []
    assert Delivery.objects.filter(action_network=linked).count() == 1
