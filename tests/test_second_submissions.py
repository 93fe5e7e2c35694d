"""A second submission for an address that has a signature changes nothing
until the link emailed for it is used: no one but the inbox's owner can
rewrite, revive or reveal a signature. Also: links carry no row number."""

import re
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core import signing
from django.core.management import call_command
from django.utils import timezone

from petition.public import public_stats
from signatures.models import HeldSubmission, Signature
from signatures.normalize import canonical_email
from tests.conftest import SEED_SLUG
from tests.factories import PetitionFactory, SignatureFactory
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db

# The owner's address as they typed it, then the way a stranger might type
# the same inbox: case, dots, +tags, googlemail, an IDN domain in either form.
VARIANTS = [
    ("jane.doe@gmail.com", "JANE.DOE@GMAIL.COM"),
    ("jane.doe@gmail.com", "j.a.n.e.d.o.e@gmail.com"),
    ("jane.doe@gmail.com", "janedoe+petition@googlemail.com"),
    ("Jane.Doe@GoogleMail.com", "jane.doe@gmail.com"),
    ("marie@bücher.de", "MARIE@xn--bcher-kva.de"),
    ("marie@xn--bcher-kva.de", "marie@BÜCHER.de"),
]

OWNER = {"full_name": "Jane Owner", "postal_code": "K1A 0B1"}
STRANGER = {
    "full_name": "Someone Else",
    "postal_code": "H2X 1Y4",
    "wants_updates": "on",
    "show_name_publicly": "on",
}


@pytest.fixture
def sign(client, mailoutbox, django_capture_on_commit_callbacks):
    """Sign through the form (in `language`); returns the email it brought."""

    def sign(language: str = "en", **fields):
        sent = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/{language}/p/{SEED_SLUG}/sign/", form_data(**fields))
        return mailoutbox[-1] if len(mailoutbox) > sent else None

    return sign


@pytest.fixture
def press(client, django_capture_on_commit_callbacks):
    def press(link: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(link)

    return press


def _as_signed_by_the_owner(signature: Signature, email: str) -> None:
    assert signature.full_name == "Jane Owner"
    assert signature.email == email
    assert (signature.postal_code, signature.province) == ("K1A 0B1", "ON")
    assert signature.wants_updates is False
    assert signature.show_name_publicly is False
    assert signature.language == "en"


@pytest.mark.parametrize(("owner", "variant"), VARIANTS)
def test_a_stranger_typing_a_variant_of_a_pending_address_changes_nothing(
    sign, press, owner, variant
):
    owners_email = sign(email=owner, **OWNER)
    owner = Signature.objects.get().email  # as the form stores it

    strangers_email = sign(language="fr", email=variant, **STRANGER)

    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    _as_signed_by_the_owner(signature, owner)
    # The owner's own link still confirms what the owner typed.
    press(confirmation_link(owners_email))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    _as_signed_by_the_owner(signature, owner)
    # And the link sent for the stranger's submission can no longer change it:
    # like the owner's own link, it only says the signature counts.
    response = press(confirmation_link(strangers_email))
    signature.refresh_from_db()
    _as_signed_by_the_owner(signature, owner)
    assert response.status_code == 302
    assert response["Location"] == f"/fr/p/{SEED_SLUG}/confirmed/"
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
    assert press(link)["Location"] == f"/fr/p/{SEED_SLUG}/confirmed/"

    # A double click, a reload, the Back button: as the original link does.
    for pressed in (link, original):
        again = press(pressed)
        assert again.status_code == 302
        assert again["Location"] == f"/{pressed[1:3]}/p/{SEED_SLUG}/confirmed/"
        page = client.get(pressed)
        assert page.status_code == 200
        assert "déjà confirmée" in page.content.decode() or (
            "already confirmed" in page.content.decode()
        )
        assert not re.search(r"<form[^>]*method=\"post\"", page.content.decode())
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Someone Else"
    assert _count(seed_campaign) == 1


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
    assert _count(seed_campaign) == 0

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

    _as_signed_by_the_owner(Signature.objects.get(), "jane.doe@gmail.com")
    assert again.subject.startswith("You have already signed")
    assert "/confirm/" not in again.body
    assert HeldSubmission.objects.count() == 0


@pytest.fixture
def counted_at_once(seed_campaign):
    seed_campaign.requires_confirmation = False
    seed_campaign.save()
    return seed_campaign


def _count(petition) -> int:
    return public_stats(petition).count


def test_where_signatures_count_at_once_signing_again_reveals_and_changes_nothing(
    sign, counted_at_once
):
    first = sign(email="jane.doe@gmail.com", **OWNER)
    assert _count(counted_at_once) == 1

    again = sign(email="JANE.DOE+again@googlemail.com", **STRANGER)

    _as_signed_by_the_owner(Signature.objects.get(), "jane.doe@gmail.com")
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert _count(counted_at_once) == 1
    assert first.subject.startswith("Thank you for signing")
    assert again.subject.startswith("You have already signed")


def test_where_signatures_count_at_once_the_page_is_the_same_for_a_known_address(
    client, counted_at_once, django_capture_on_commit_callbacks
):
    SignatureFactory(
        petition=counted_at_once,
        email="known@example.org",
        status=Signature.Status.WITHDRAWN,
    )
    answers = []
    for email in ("KNOWN@example.org", "new@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/en/p/{SEED_SLUG}/sign/", form_data(email=email))
        answers.append(
            (
                response.status_code,
                response["Location"],
                client.get(response["Location"]).content,
            )
        )

    assert answers[0] == answers[1]


def test_where_signatures_count_at_once_a_withdrawn_one_comes_back_only_by_its_link(
    sign, press, client, counted_at_once
):
    signature = SignatureFactory(
        petition=counted_at_once,
        email="marie@bücher.de",
        email_canonical=canonical_email("marie@bücher.de"),
        status=Signature.Status.WITHDRAWN,
    )
    assert _count(counted_at_once) == 0

    email = sign(email="MARIE@xn--bcher-kva.de", **STRANGER)

    signature.refresh_from_db()
    assert signature.status == Signature.Status.WITHDRAWN
    assert signature.full_name != "Someone Else"
    assert _count(counted_at_once) == 0
    press(confirmation_link(email))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Someone Else"
    assert _count(counted_at_once) == 1


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


# --- Links carry no row number --------------------------------------------


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


def test_a_suspicious_second_submission_is_held_and_keeps_its_mark_if_confirmed(
    sign, press
):
    sign(email="jane.doe@gmail.com", **OWNER)

    held = sign(email="janedoe@gmail.com", website="https://spam.example", **STRANGER)

    signature = Signature.objects.get()
    assert signature.review_reason == ""
    _as_signed_by_the_owner(signature, "jane.doe@gmail.com")
    press(confirmation_link(held))
    signature.refresh_from_db()
    assert signature.full_name == "Someone Else"
    assert signature.review_reason == Signature.Review.HIDDEN_FIELD
