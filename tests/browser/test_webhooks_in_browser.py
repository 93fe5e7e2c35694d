"""An organizer connects their CRM in Chromium: registers an endpoint, sees
its secret once, presses "Send a test event", and the event arrives; links
a petition to Action Network, whose API then records a confirmed signer."""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from playwright.sync_api import expect
from standardwebhooks import Webhook

from crm import events
from crm.models import EventType
from tests.browser.test_admin_in_browser import PASSWORD, log_in, new_organizer
from tests.crm.action_network import ActionNetworkAPI
from tests.crm.receiver import Receiver
from tests.crm.test_action_network import AN_PETITION
from tests.factories import SignatureFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign", "organizers_group"),
]


@pytest.fixture
def organizer(page, live_server) -> User:
    # The Organizers group as migrated, webhooks included (a transactional
    # test flushed it).
    import_module("crm.migrations.0002_organizers_permissions").grant(apps, None)
    new_organizer()
    user = User.objects.get(username="org@example.org")
    user.set_password(PASSWORD)
    user.save()
    log_in(page, live_server)
    return user


@pytest.fixture
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.close()


def test_an_organizer_connects_an_endpoint_and_sends_it_a_test_event(
    page, live_server, organizer, receiver
):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Webhook endpoints").click()
    page.get_by_role("link", name="Add webhook endpoint").click()
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("Our CRM")
    page.get_by_label("signature created").check()
    page.get_by_label("signature confirmed").check()
    page.get_by_role("button", name="Save", exact=True).click()

    secret = page.locator("#webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    expect(page.get_by_text("it is not shown again")).to_be_visible()
    page.get_by_role("link", name="I have copied it: continue").click()

    expect(page.get_by_text(f"whsec_…{secret[-4:]}")).to_be_visible()
    assert secret not in page.content()
    page.get_by_role("button", name="Send a test event").click()

    expect(page.get_by_text("A test event")).to_be_visible()
    expect(page.locator("#result_list")).to_contain_text("webhook.test")
    expect(page.locator("#result_list")).to_contain_text("delivered")
    [request] = receiver.received
    event = Webhook(secret).verify(request.body, request.headers)
    assert event["type"] == "webhook.test"


@pytest.fixture
def action_network(settings):
    api = ActionNetworkAPI(api_key="the-groups-key")
    api.start()
    settings.ACTION_NETWORK_API_URL = api.url
    yield api
    api.close()


def test_an_organizer_links_action_network_and_a_confirmed_signer_is_recorded(
    page, live_server, organizer, action_network, seed_campaign
):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Action Network links").click()
    page.get_by_role("link", name="Add Action Network link").click()
    page.locator("#id_petition").select_option(str(seed_campaign.pk))
    page.get_by_label("Action Network petition id").fill(AN_PETITION)
    page.get_by_label("API key").fill("the-groups-key")
    page.get_by_label("Tags to add").fill("petition-signer")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#result_list")).to_contain_text(AN_PETITION)
    assert "the-groups-key" not in page.content()

    signature = SignatureFactory(
        petition=seed_campaign, email="jane@example.org", wants_updates=True
    )
    events.signature_event(EventType.SIGNATURE_CONFIRMED, signature)

    [(petition_id, body)] = action_network.recorded
    assert petition_id == AN_PETITION
    assert body["person"]["email_addresses"] == [{"address": "jane@example.org"}]
    assert body["add_tags"] == ["petition-signer"]
