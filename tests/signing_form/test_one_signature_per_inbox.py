"""One signature per inbox and petition, however the address is typed,
and what a repeat signer sees and is sent."""

import pytest

from signatures.models import Signature
from tests.factories import PetitionFactory
from tests.signing import confirmation_link, form_data
from tests.signing_form.pages import THANKS_URL

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "second_email",
    [
        "JANE@Example.org ",
        " jane@EXAMPLE.ORG",
    ],
)
def test_duplicate_email_is_not_counted_twice(sign, second_email):
    sign(email="jane@example.org")
    sign(email=second_email, full_name="Jane Again")

    assert Signature.objects.count() == 1


def test_a_later_submission_changes_an_unconfirmed_signature_only_by_its_own_link(
    sign, client, mailoutbox
):
    # Someone else may have signed first with this address; the inbox owner
    # confirms what they typed themselves, from the email sent for it.
    sign(email="jane@example.org", full_name="Impostor", show_name_publicly="on")
    sign(email="jane@example.org", full_name="Jane Doe", postal_code="H2X 1Y4")

    assert Signature.objects.get().full_name == "Impostor"
    client.post(confirmation_link(mailoutbox[1]))

    signature = Signature.objects.get()
    assert signature.full_name == "Jane Doe"
    assert signature.show_name_publicly is False
    assert (signature.postal_code, signature.province) == ("H2X 1Y4", "QC")
    assert signature.status == Signature.Status.CONFIRMED


def test_confirmed_signature_is_not_changed_by_a_later_submission(
    sign, client, mailoutbox
):
    sign(email="jane@example.org", full_name="Jane Doe")
    client.post(confirmation_link(mailoutbox[0]))

    sign(email="jane@example.org", full_name="Someone Else", wants_updates="on")

    signature = Signature.objects.get()
    assert signature.full_name == "Jane Doe"
    assert signature.wants_updates is False


@pytest.mark.parametrize(
    "look_alike",
    [
        "jane@ｇｍａｉｌ.com",
        "jane@gｍail.com",
        "JANE@GMAIL.COM",
        "jane+x@gmail.com",
    ],
)
def test_look_alike_addresses_of_one_inbox_sign_once(sign, look_alike):
    sign(email="jane@gmail.com")
    sign(email=look_alike)

    assert Signature.objects.count() == 1


def test_international_domain_in_either_spelling_signs_once(sign):
    sign(email="marie@bücher.de")
    sign(email="marie@xn--bcher-kva.de")

    assert Signature.objects.count() == 1


@pytest.mark.parametrize(
    "variant",
    [
        "j.a.n.e@gmail.com",
        "jane+petitions@gmail.com",
        "Jane@GoogleMail.com",
        "ja.ne+x@googlemail.com",
    ],
)
def test_gmail_variants_of_one_inbox_sign_once(sign, variant):
    sign(email="jane@gmail.com")
    sign(email=variant)

    assert Signature.objects.count() == 1


def test_dots_and_tags_elsewhere_are_different_people(sign):
    sign(email="jane.doe@example.org")
    sign(email="janedoe@example.org")
    sign(email="jane+x@example.org")

    assert Signature.objects.count() == 3


def test_repeat_signer_sees_exactly_what_a_new_signer_sees(sign, client):
    first = sign(email="jane@example.org")
    first_page = client.get(first["Location"]).content
    repeat = sign(email="jane@example.org")
    stranger = sign(email="someone.else@example.org")

    for response in (first, repeat, stranger):
        assert response.status_code == 302
        assert response["Location"] == THANKS_URL
        assert client.get(response["Location"]).content == first_page


def test_repeat_signer_pending_gets_the_confirmation_link_again(sign, mailoutbox):
    sign()
    sign()

    assert len(mailoutbox) == 2
    first, second = mailoutbox
    assert first.subject.startswith("Confirm your signature")
    assert second.subject.startswith("Confirm your signature")
    assert confirmation_link(second)


def test_repeat_signer_already_confirmed_is_told_by_email(sign, mailoutbox, client):
    sign()
    client.post(confirmation_link(mailoutbox[0]))
    mailoutbox.clear()

    sign()

    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject.startswith("You have already signed")
    assert "/confirm/" not in mailoutbox[0].body


def test_signing_again_and_again_cannot_flood_an_inbox(sign, mailoutbox):
    for _ in range(6):
        sign()

    assert len(mailoutbox) == 4  # the confirmation, then at most 3 repeats an hour
    assert Signature.objects.count() == 1


def test_email_allowance_is_per_petition(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    petitions = PetitionFactory.create_batch(4)

    with django_capture_on_commit_callbacks(execute=True):
        for petition in petitions:
            client.post(f"/en/p/{petition.slug}/sign/", form_data())

    assert len(mailoutbox) == 4
