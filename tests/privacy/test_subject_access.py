"""What organizers send a person who asks what we hold about them."""

import json

import pytest
from django.contrib.auth.models import Permission, User

from signatures.models import ModerationAction
from tests.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def test_organizer_downloads_everything_held_about_one_address(
    client, exporter, seed_campaign
):
    other = PetitionFactory()
    SignatureFactory(
        petition=seed_campaign,
        email="Jane.Doe@Gmail.com",
        email_canonical="janedoe@gmail.com",
        full_name="Jane Doe",
    )
    SignatureFactory(
        petition=other,
        email="janedoe+petitions@gmail.com",
        email_canonical="janedoe@gmail.com",
        full_name="J. Doe",
        pending=True,
    )
    SignatureFactory(petition=seed_campaign, email="someone.else@example.org")

    response = client.post(
        "/admin/signatures/signature/data-request/", {"email": "JANEDOE@gmail.com"}
    )

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.content)
    assert [s["full_name"] for s in data["signatures"]] == ["Jane Doe", "J. Doe"]
    assert {s["petition"] for s in data["signatures"]} == {
        seed_campaign.title,
        other.title,
    }
    assert {"email", "postal_code", "ip_hash", "created_at", "status"} <= set(
        data["signatures"][0]
    )
    record = ModerationAction.objects.get()
    assert record.kind == ModerationAction.Kind.EXPORT
    assert record.count == 2
    assert record.criteria == {"data_held_about": "j•••@gmail.com"}


def test_data_request_needs_the_export_permission(client, seed_campaign):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_signature"))
    client.force_login(viewer)

    response = client.post(
        "/admin/signatures/signature/data-request/", {"email": "jane@example.org"}
    )

    assert response.status_code == 403


def test_admin_action_exports_the_selected_signers_data(
    client, exporter, seed_campaign
):
    signature = SignatureFactory(petition=seed_campaign, full_name="Ann Example")

    response = client.post(
        "/admin/signatures/signature/",
        {"action": "export_signer_data", "_selected_action": [signature.pk]},
    )

    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["signatures"][0]["full_name"] == "Ann Example"
    assert data["email"] == signature.email_canonical


def test_selecting_several_rows_of_one_person_exports_them_once(
    client, exporter, seed_campaign
):
    other = PetitionFactory()
    rows = [
        SignatureFactory(petition=petition, email="ann@example.org")
        for petition in (seed_campaign, other)
    ]

    response = client.post(
        "/admin/signatures/signature/",
        {"action": "export_signer_data", "_selected_action": [r.pk for r in rows]},
    )

    data = json.loads(response.content)
    assert len(data["signatures"]) == 2
    assert "people" not in data
    assert ModerationAction.objects.count() == 1


def test_the_data_held_says_where_a_signer_came_from_and_names_no_referrer(
    client, exporter, seed_campaign
):
    referrer = SignatureFactory(petition=seed_campaign, full_name="Rita Referrer")
    signature = SignatureFactory(
        petition=seed_campaign, source="whatsapp", referred_by=referrer
    )

    response = client.post(
        "/admin/signatures/signature/",
        {"action": "export_signer_data", "_selected_action": [signature.pk]},
    )

    [held] = json.loads(response.content)["signatures"]
    assert held["source"] == "whatsapp"
    assert held["referral_code"] == signature.referral_code
    assert held["referred_by_code"] == referrer.referral_code
    assert "Rita" not in response.content.decode()
    assert referrer.email not in response.content.decode()
