"""A second submission for an address that has a signature changes nothing
until the link emailed for it is used: no one but the inbox's owner can
rewrite or revive a signature."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import signing
from django.core.management import call_command
from django.utils import timezone

from signatures.models import HeldSubmission, Signature
from signatures.normalize import canonical_email
from tests.conftest import SEED_SLUG
from tests.factories import PetitionFactory, SignatureFactory
from tests.second_submissions.inbox import (
    OWNER,
    STRANGER,
    VARIANTS,
    as_signed_by_the_owner,
    public_count,
)
from tests.signing import confirmation_link

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("owner", "variant"), VARIANTS)
def test_a_stranger_typing_a_variant_of_a_pending_address_changes_nothing(
    sign, press, owner, variant
):
    owners_email = sign(email=owner, **OWNER)
    owner = Signature.objects.get().email  # as the form stores it

    strangers_email = sign(language="fr", email=variant, **STRANGER)

    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    as_signed_by_the_owner(signature, owner)
    # The owner's own link still confirms what the owner typed.
    press(confirmation_link(owners_email))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    as_signed_by_the_owner(signature, owner)
    # And the link sent for the stranger's submission can no longer change it:
    # like the owner's own link, it only says the signature counts.
    response = press(confirmation_link(strangers_email))
    signature.refresh_from_db()
    as_signed_by_the_owner(signature, owner)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/fr/p/{SEED_SLUG}/confirmed/?ref=")
    assert HeldSubmission.objects.count() == 0


@pytest.mark.parametrize(("owner", "variant"), VARIANTS[1:3] + VARIANTS[4:5])
def test_the_link_sent_for_a_second_submission_applies_it_and_confirms(
    sign, press, client, owner, variant
):
    sign(email=owner, **OWNER)
    second = sign(language="fr", email=variant, **STRANGER)

    link = confirmation_link(second)
    assert "Someone Else" in client.get(link).content.decode()
    press(link)

    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Someone Else"
    assert canonical_email(signature.email) == canonical_email(variant)
    assert (signature.postal_code, signature.province) == ("H2X 1Y4", "QC")
    assert signature.wants_updates
    assert signature.show_name_publicly
    assert signature.language == "fr"
    assert canonical_email(second.to[0]) == canonical_email(owner)


def test_pressing_a_used_second_submission_link_again_says_it_counts(
    sign, press, client, seed_campaign
):
    original = confirmation_link(sign(email="a.b.c@gmail.com", **OWNER))
    link = confirmation_link(sign(language="fr", email="ABC+2@gmail.com", **STRANGER))
    assert press(link)["Location"].startswith(f"/fr/p/{SEED_SLUG}/confirmed/?ref=")

    # A double click, a reload, the Back button: as the original link does.
    for pressed in (link, original):
        again = press(pressed)
        assert again.status_code == 302
        assert again["Location"].startswith(
            f"/{pressed[1:3]}/p/{SEED_SLUG}/confirmed/?ref="
        )
        page = client.get(pressed)
        assert page.status_code == 200
        assert "déjà confirmée" in page.content.decode() or (
            "already confirmed" in page.content.decode()
        )
        assert not re.search(r"<form[^>]*method=\"post\"", page.content.decode())
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Someone Else"
    assert public_count(seed_campaign) == 1


def test_a_used_second_submission_link_revives_and_changes_nothing(
    sign, press, client, seed_campaign, django_capture_on_commit_callbacks
):
    sign(email="a.b.c@gmail.com", **OWNER)
    link = confirmation_link(sign(email="abc@googlemail.com", **STRANGER))
    press(link)
    signature = Signature.objects.get()
    manage = signing.dumps(str(signature.public_id), salt="signatures.manage")
    # The same address, pending on another petition.
    other = SignatureFactory(
        petition=PetitionFactory(),
        email="abc@gmail.com",
        email_canonical=signature.email_canonical,
        pending=True,
    )

    with django_capture_on_commit_callbacks(execute=True):  # the count's tally
        client.post(f"/en/signature/{manage}/", {"action": "withdraw"})
    assert press(link).status_code == 400
    signature.refresh_from_db()
    assert signature.status == Signature.Status.WITHDRAWN
    assert public_count(seed_campaign) == 0

    client.post(f"/en/signature/{manage}/", {"action": "erase"})
    sign(email="abc@gmail.com", full_name="Signed Afresh")
    assert press(link).status_code == 400
    assert Signature.objects.get(petition=seed_campaign).status == (
        Signature.Status.PENDING
    )
    assert Signature.objects.get(pk=other.pk).status == Signature.Status.PENDING
    assert Signature.objects.get(petition=seed_campaign).full_name == "Signed Afresh"


def test_a_confirmed_signature_signed_again_does_not_change(sign, press, mailoutbox):
    press(confirmation_link(sign(email="jane.doe@gmail.com", **OWNER)))

    again = sign(email="JaneDoe+x@googlemail.com", **STRANGER)

    as_signed_by_the_owner(Signature.objects.get(), "jane.doe@gmail.com")
    assert again.subject.startswith("You have already signed")
    assert "/confirm/" not in again.body
    assert HeldSubmission.objects.count() == 0


def test_held_submissions_expire_with_their_link(sign, press, settings):
    sign(email="jane.doe@gmail.com", **OWNER)
    link = confirmation_link(sign(email="janedoe@gmail.com", **STRANGER))
    HeldSubmission.objects.update(
        created_at=timezone.now()
        - timedelta(seconds=settings.SIGNATURE_CONFIRMATION_MAX_AGE, days=2)
    )

    call_command("purge_unconfirmed", stdout=StringIO())

    assert HeldSubmission.objects.count() == 0
    assert Signature.objects.count() == 1  # the signature itself is young
    assert press(link).status_code == 400
    assert Signature.objects.get().full_name == "Jane Owner"


def test_erasing_a_signature_erases_what_was_typed_for_it_since(
    sign, press, client, mailoutbox
):
    first = sign(email="jane.doe@gmail.com", **OWNER)
    second = sign(email="janedoe@gmail.com", **STRANGER)
    manage = re.search(r"(/en/signature/[^\s/]+/)", first.body).group(1)

    client.post(manage, {"action": "erase"})

    assert HeldSubmission.objects.count() == 0
    assert press(confirmation_link(second)).status_code == 400
    assert Signature.objects.count() == 0


def test_withdrawing_voids_links_emailed_for_later_submissions(sign, press, client):
    """A withdrawal stands: an older email's link for another submission must
    not bring the signature back, with whatever that submission typed."""
    first = sign(email="jane.doe@gmail.com", **OWNER)
    second = sign(language="fr", email="JaneDoe+x@googlemail.com", **STRANGER)
    manage = re.search(r"(/en/signature/[^\s/]+/)", first.body).group(1)
    client.post(manage, {"action": "withdraw"})

    press(confirmation_link(second))

    signature = Signature.objects.get()
    assert signature.status == Signature.Status.WITHDRAWN
    assert signature.full_name == "Jane Owner"
    assert not signature.show_name_publicly
    assert HeldSubmission.objects.count() == 0


def test_what_a_person_asks_we_hold_includes_submissions_awaiting_their_link(sign):
    from signatures.services.subject_access import signer_data

    sign(email="jane.doe@gmail.com", **OWNER)
    sign(email="janedoe@googlemail.com", **STRANGER)

    data = signer_data(email="Jane.Doe@gmail.com", user=None)

    assert [s["full_name"] for s in data["signatures"]] == ["Jane Owner"]
    held = data["submissions_awaiting_confirmation"]
    assert [(h["full_name"], h["postal_code"]) for h in held] == [
        ("Someone Else", "H2X 1Y4")
    ]


def test_a_suspicious_second_submission_is_held_and_keeps_its_mark_if_confirmed(
    sign, press
):
    sign(email="jane.doe@gmail.com", **OWNER)

    held = sign(email="janedoe@gmail.com", website="https://spam.example", **STRANGER)

    signature = Signature.objects.get()
    assert signature.review_reason == ""
    as_signed_by_the_owner(signature, "jane.doe@gmail.com")
    press(confirmation_link(held))
    signature.refresh_from_db()
    assert signature.full_name == "Someone Else"
    assert signature.review_reason == Signature.Review.HIDDEN_FIELD
