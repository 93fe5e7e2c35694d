"""Links carry no row number: each signature has its own random public id,
and links emailed before it still work."""

import re
import uuid

import pytest
from django.core import signing

from signatures.models import HeldSubmission, Signature
from tests.factories import PetitionFactory, SignatureFactory
from tests.second_submissions.inbox import (
    OWNER,
    STRANGER,
)
from tests.signing import confirmation_link

pytestmark = pytest.mark.django_db


def _token(link: str) -> str:
    return link.strip("/").split("/")[-1]


def test_links_do_not_tell_how_many_have_signed(sign, mailoutbox):
    SignatureFactory.create_batch(3, petition=PetitionFactory())
    email = sign(email="jane.doe@gmail.com", **OWNER)
    signature = Signature.objects.get(email="jane.doe@gmail.com")
    manage = re.search(r"/en/signature/([^\s/]+)/", email.body).group(1)

    for token, salt in [
        (_token(confirmation_link(email)), "signatures.confirm"),
        (manage, "signatures.manage"),
    ]:
        payload = signing.loads(token, salt=salt)
        assert payload != signature.pk
        assert str(signature.pk) not in str(payload).split("-")
        assert uuid.UUID(payload) == signature.public_id


def test_each_signature_gets_its_own_random_public_id():
    ids = [s.public_id for s in SignatureFactory.create_batch(5)]

    assert len(set(ids)) == 5


def test_links_emailed_before_still_work(client, seed_campaign):
    signature = SignatureFactory(petition=seed_campaign, pending=True)
    old_confirm = signing.dumps(signature.pk, salt="signatures.confirm")
    old_manage = signing.dumps(signature.pk, salt="signatures.manage")

    client.post(f"/en/confirm/{old_confirm}/")
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    page = client.get(f"/en/signature/{old_manage}/")
    assert page.status_code == 200
    client.post(f"/en/signature/{old_manage}/", {"action": "withdraw"})
    signature.refresh_from_db()
    assert signature.status == Signature.Status.WITHDRAWN


def test_second_submission_links_emailed_before_they_named_a_signature_still_work(
    sign, press
):
    sign(email="jane.doe@gmail.com", **OWNER)
    sign(email="janedoe@gmail.com", **STRANGER)
    held = HeldSubmission.objects.get()
    old = signing.dumps({"held": str(held.pk)}, salt="signatures.confirm")

    press(f"/en/confirm/{old}/")

    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Someone Else"


def test_the_confirmation_page_is_never_cached_and_keeps_its_link_to_itself(
    sign, client
):
    link = confirmation_link(sign(email="jane.doe@gmail.com", **OWNER))

    for response in (client.get(link), client.get(f"/en/confirm/{'x' * 40}/")):
        assert response["Referrer-Policy"] == "same-origin"
        assert "no-store" in response["Cache-Control"]
        assert (
            "private" in response["Cache-Control"]
            or "max-age=0" in (response["Cache-Control"])
        )


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_each_existing_signature_its_own_public_id():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [
        ("signatures", "0008_review_reason"),
        ("petition", "0009_petition_closed_count"),
    ]
    after = [("signatures", "0009_public_id_and_held_submissions")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    petition = old_apps.get_model("petition", "Petition").objects.create(
        slug="before-ids",
        title="t",
        addressees="a",
        body="b",
        call_to_action="c",
        published_languages=["en"],
    )
    version = old_apps.get_model("petition", "PetitionVersion").objects.create(
        petition=petition, number=1, content_hash="x"
    )
    OldSignature = old_apps.get_model("signatures", "Signature")
    for n in range(3):
        OldSignature.objects.create(
            petition=petition,
            petition_version=version,
            full_name=f"Signer {n}",
            email=f"s{n}@example.org",
            email_canonical=f"s{n}@example.org",
            country="CA",
            language="en",
            ip_hash="0",
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    ids = list(Signature.objects.values_list("public_id", flat=True))
    assert len(ids) == 3
    assert None not in ids
    assert len(set(ids)) == 3
