import json

import pytest

from crm.models import Delivery, WebhookEndpoint
from tests.crm.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.close()


@pytest.fixture
def endpoint(db, receiver) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url=receiver.url)


def events_received(receiver) -> list[dict]:
    return [json.loads(request.body) for request in receiver.received]


def types_received(receiver) -> list[str]:
    return [event["type"] for event in events_received(receiver)]


def delivery_of(event_type: str) -> Delivery:
    return Delivery.objects.get(event_type=event_type)
