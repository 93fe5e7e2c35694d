import json
from datetime import date

import pytest

from crm.models import Delivery, WebhookEndpoint
from petition.models import Petition
from signatures.paper_csv import read_rows
from signatures.services.paper import paper_batch_import
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


def import_paper_rows(petition: Petition, *, language: str) -> None:
    """A paper batch of two signers, the second without an email address."""
    rows = read_rows(
        "Name,Email,Postal code\n"
        "Marie Tremblay,marie@example.org,H2X 1Y4\n"
        "Jean Dupont,,K1A 0B1\n"
    )
    paper_batch_import(
        petition=petition,
        rows=rows,
        language=language,
        event="Rally at City Hall",
        collected_on=date(2026, 5, 1),
        collected_by="Ottawa volunteers",
        user=None,
    )
