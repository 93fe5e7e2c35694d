"""Organizers register their webhook endpoints in the admin, see the secret
once, send a test event, switch a failed endpoint back on, and read the
log of every delivery."""

import pytest
from standardwebhooks import Webhook

from crm.models import Delivery, EventType, WebhookEndpoint
from signatures.services.self_service import signature_withdraw
from tests.crm.conftest import types_received
from tests.crm.receiver import Receiver
from tests.factories import SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db

ADD = "/admin/crm/webhookendpoint/add/"
ENDPOINTS = "/admin/crm/webhookendpoint/"
DELIVERIES = "/admin/crm/delivery/"


@pytest.fixture
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.close()


def add_endpoint(client, url: str, events=None):
    return client.post(
        ADD,
        {
            "url": url,
            "description": "Our CRM",
            "events": events
            or [EventType.SIGNATURE_CREATED, EventType.SIGNATURE_ERASED],
            "is_active": "on",
        },
    )


def test_a_new_endpoint_shows_its_secret_once_then_only_its_last_characters(
    client, organizer, receiver
):
    response = add_endpoint(client, receiver.url)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    page = parse_page(response.content.decode())
    assert page.by_id("webhook-secret").text == endpoint.secret
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.events == ["signature.created", "signature.erased"]
    assert endpoint.created_by == organizer

    later = client.get(f"{ENDPOINTS}{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in later
    assert f"whsec_…{endpoint.secret[-4:]}" in later


def test_an_address_inside_the_network_is_refused_next_to_the_field(
    client, organizer, settings
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False

    response = add_endpoint(client, "https://169.254.169.254/latest/meta-data/")

    assert response.status_code == 200
    page = parse_page(response.content.decode())
    assert (
        "a private or reserved address that webhooks may not reach" in page.visible_text
    )
    assert "169.254.169.254" in page.visible_text
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_must_listen_for_something(client, organizer, receiver):
    response = client.post(ADD, {"url": receiver.url, "is_active": "on"})

    assert response.status_code == 200
    assert (
        "This field is required." in parse_page(response.content.decode()).visible_text
    )
    assert not WebhookEndpoint.objects.exists()


def test_the_test_button_sends_a_signed_test_event(
    client, organizer, receiver, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpoint.objects.create(url=receiver.url)
    test_url = f"{ENDPOINTS}{endpoint.pk}/test/"
    change_page = client.get(f"{ENDPOINTS}{endpoint.pk}/change/").content.decode()
    assert f'action="{test_url}"' in change_page

    assert client.get(test_url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(test_url, follow=True)

    assert types_received(receiver) == ["webhook.test"]
    request = receiver.received[0]
    Webhook(endpoint.secret).verify(request.body, request.headers)
    page = parse_page(response.content.decode())
    assert "A test event" in page.visible_text
    assert "delivered" in page.visible_text


def test_switching_back_on_forgets_the_failures(client, organizer, receiver):
    endpoint = WebhookEndpoint.objects.create(
        url=receiver.url,
        is_active=False,
        failing_since="2026-11-26T09:00:00Z",
        disabled_at="2026-11-27T09:00:00Z",
        disabled_reason="Every delivery failed for 24 hours",
    )
    warning = parse_page(client.get(ENDPOINTS).content.decode()).visible_text
    assert "1 was switched off after failing for a day" in warning

    client.post(
        ENDPOINTS, {"action": "switch_back_on", "_selected_action": [endpoint.pk]}
    )

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.failing_since is endpoint.disabled_at is None
    assert endpoint.disabled_reason == ""


def test_the_delivery_log_shows_status_attempts_and_response_code(
    client, organizer, receiver, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(url=receiver.url)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        signature_withdraw(signature=SignatureFactory())

    page = parse_page(client.get(DELIVERIES).content.decode())

    row = " ".join(page.visible_text.split())
    assert "signature.withdrawn" in row
    assert "failed" in row
    assert " 500 " in f" {row} "
    delivery = Delivery.objects.get()
    detail = client.get(f"{DELIVERIES}{delivery.pk}/change/").content.decode()
    assert "HTTP 500" in detail


def test_send_again_delivers_a_failed_event_once_the_endpoint_answers(
    client, organizer, receiver, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(url=receiver.url)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        signature_withdraw(signature=SignatureFactory())
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED

    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            DELIVERIES, {"action": "send_again", "_selected_action": [delivery.pk]}
        )

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert len(receiver.received) == 2


def test_an_action_network_link_keeps_its_key_out_of_the_page(
    client, organizer, petition
):
    from crm.models import ActionNetworkTarget

    add = "/admin/crm/actionnetworktarget/add/"
    response = client.post(
        add,
        {
            "petition": petition.pk,
            "action_network_petition": (
                "https://actionnetwork.org/api/v2/petitions/"
                "d91b4b2e-ae0e-4cd3-9ed7-d0ec501b0bc3/"
            ),
            "api_key": "a-secret-api-key",
            "tags": "signer, caged families, ",
            "only_with_consent": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    link = ActionNetworkTarget.objects.get()
    assert link.action_network_petition == "d91b4b2e-ae0e-4cd3-9ed7-d0ec501b0bc3"
    assert link.tags == ["signer", "caged families"]

    change = f"/admin/crm/actionnetworktarget/{link.pk}/change/"
    assert "a-secret-api-key" not in client.get(change).content.decode()
    client.post(
        change,
        {
            "petition": petition.pk,
            "action_network_petition": link.action_network_petition,
            "api_key": "",
            "tags": "signer",
            "is_active": "on",
        },
    )
    link.refresh_from_db()
    assert link.api_key == "a-secret-api-key"
    assert link.tags == ["signer"]
    assert not link.only_with_consent


def test_an_action_network_petition_id_with_a_stray_character_is_refused(
    client, organizer, petition
):
    response = client.post(
        "/admin/crm/actionnetworktarget/add/",
        {
            "petition": petition.pk,
            "action_network_petition": "abc?x=1",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert (
        "Enter the petition's id" in parse_page(response.content.decode()).visible_text
    )
