"""Where signatures count at once (no confirmation), signing again with a
known address reveals nothing and changes nothing."""

import pytest

from signatures.models import Signature
from signatures.normalize import canonical_email
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.second_submissions.inbox import (
    OWNER,
    STRANGER,
    as_signed_by_the_owner,
    public_count,
)
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted_at_once(seed_campaign):
    seed_campaign.requires_confirmation = False
    seed_campaign.save()
    return seed_campaign


def test_where_signatures_count_at_once_signing_again_reveals_and_changes_nothing(
    sign, counted_at_once
):
    first = sign(email="jane.doe@gmail.com", **OWNER)
    assert public_count(counted_at_once) == 1

    again = sign(email="JANE.DOE+again@googlemail.com", **STRANGER)

    as_signed_by_the_owner(Signature.objects.get(), "jane.doe@gmail.com")
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert public_count(counted_at_once) == 1
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
    assert public_count(counted_at_once) == 0

    email = sign(email="MARIE@xn--bcher-kva.de", **STRANGER)

    signature.refresh_from_db()
    assert signature.status == Signature.Status.WITHDRAWN
    assert signature.full_name != "Someone Else"
    assert public_count(counted_at_once) == 0
    press(confirmation_link(email))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Someone Else"
    assert public_count(counted_at_once) == 1
