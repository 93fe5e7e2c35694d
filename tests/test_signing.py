"""Signing the petition through the form, as a supporter would."""

import pytest
from django.conf import settings as django_settings
from django.db.models import ProtectedError

from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.factories import PetitionFactory, SignatureFactory
from tests.html_tools import parse_page
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"
THANKS_URL = f"/en/p/{SEED_SLUG}/thanks/"


@pytest.fixture
def sign(client, django_capture_on_commit_callbacks):
    """POST the signing form; emails go out as they would after the commit."""

    def post(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(SIGN_URL, form_data(**overrides))

    return post


def field_error(response, field: str) -> str | None:
    page = parse_page(response.content.decode())
    element = page.by_id(f"id_{field}_error")
    return " ".join(element.text.split()) if element else None


def test_valid_signature_is_stored_and_signer_sees_check_your_email(sign, client):
    response = sign(full_name="  Jane   Doe ", postal_code="k1a0b1")

    assert response.status_code == 302
    assert response["Location"] == THANKS_URL
    signature = Signature.objects.get()
    assert signature.full_name == "Jane Doe"
    assert signature.postal_code == "K1A 0B1"
    assert signature.province == "ON"
    assert signature.country == "CA"
    assert signature.status == Signature.Status.PENDING
    assert signature.language == "en"
    assert signature.petition_version == signature.petition.current_version
    assert "Check your email" in client.get(THANKS_URL).content.decode()


def test_signature_stores_a_hash_of_the_ip_never_the_ip(sign):
    sign()

    signature = Signature.objects.get()
    assert len(signature.ip_hash) == 64
    stored = " ".join(str(value) for value in Signature.objects.values().get().values())
    assert "127.0.0.1" not in stored


def test_consents_are_unticked_by_default_and_stored_as_given(client, sign):
    page = parse_page(client.get("/en/").content.decode())
    for name in ("id_wants_updates", "id_show_name_publicly"):
        checkbox = page.by_id(name)
        assert checkbox.attrs["type"] == "checkbox"
        assert "checked" not in checkbox.attrs

    sign(wants_updates="on")

    signature = Signature.objects.get()
    assert signature.wants_updates is True
    assert signature.show_name_publicly is False


def test_form_fields_help_browsers_fill_them(client):
    page = parse_page(client.get("/en/").content.decode())

    name, email, postal = (
        page.by_id(f"id_{f}") for f in ("full_name", "email", "postal_code")
    )
    assert name.attrs["autocomplete"] == "name"
    assert "required" in name.attrs
    assert email.attrs["type"] == "email"
    assert email.attrs["autocomplete"] == "email"
    assert email.attrs["inputmode"] == "email"
    assert postal.attrs["autocomplete"] == "postal-code"
    assert page.by_id("id_country").attrs["autocomplete"] == "country"
    labels = {label.attrs.get("for") for label in page.all("label")}
    assert {"id_full_name", "id_email", "id_country", "id_postal_code"} <= labels
    selected = [o for o in page.by_id("id_country").children if "selected" in o.attrs]
    assert [o.attrs["value"] for o in selected] == ["CA"]
    assert "Your email is never shown publicly." in page.visible_text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "Enter your name."),
        ({"full_name": "   "}, "full_name", "Enter your name."),
        ({"full_name": "x" * 101}, "full_name", "at most 100 characters"),
        ({"full_name": "Jane\x00Doe"}, "full_name", "Null characters are not allowed."),
        ({"full_name": "Jane\x07Doe"}, "full_name", "characters we can’t store"),
        ({"full_name": "=HYPERLINK(1)"}, "full_name", "can’t start with =, +, - or @"),
        ({"full_name": "+1 555"}, "full_name", "can’t start with =, +, - or @"),
        ({"full_name": "-Jane"}, "full_name", "can’t start with =, +, - or @"),
        ({"full_name": "@jane"}, "full_name", "can’t start with =, +, - or @"),
        (
            {"full_name": "Cheap pills https://spam.example"},
            "full_name",
            "not a web address",
        ),
        ({"full_name": "visit www.spam.example"}, "full_name", "not a web address"),
        ({"email": ""}, "email", "Enter your email address."),
        ({"email": "jane"}, "email", "Enter a valid email address"),
        ({"email": "jane@localhost"}, "email", "Enter a valid email address"),
        (
            {"email": "jane@example.org\nBcc: x@y.org"},
            "email",
            "Enter a valid email address",
        ),
        ({"email": "a" * 250 + "@x.org"}, "email", "at most 254 characters"),
        ({"email": "+tag@gmail.com"}, "email", "Enter a valid email address"),
        ({"email": "jöhn@example.org"}, "email", "Enter a valid email address"),
        ({"postal_code": "K١A ٠B١"}, "postal_code", "Enter a Canadian postal code"),
        (
            {"country": "US", "postal_code": "１２３４５"},
            "postal_code",
            "Enter a US ZIP code",
        ),
        ({"full_name": "Jane\u202eeoD"}, "full_name", "characters we can’t store"),
        ({"full_name": "Jane\u200bDoe"}, "full_name", "characters we can’t store"),
        ({"full_name": "Prize at evil.ca"}, "full_name", "not a web address"),
        ({"full_name": "t.me/spam"}, "full_name", "not a web address"),
        ({"country": "ZZ"}, "country", "Choose your country from the list."),
        ({"postal_code": ""}, "postal_code", "Enter your postal code"),
        (
            {"postal_code": "12345"},
            "postal_code",
            "Enter a Canadian postal code like K1A 0B1",
        ),
        (
            {"postal_code": "D1A 0B1"},
            "postal_code",
            "Enter a Canadian postal code like K1A 0B1",
        ),
        (
            {"country": "US", "postal_code": "1234"},
            "postal_code",
            "Enter a US ZIP code",
        ),
        ({"postal_code": "K" * 21}, "postal_code", "at most 20 characters"),
    ],
)
def test_bad_input_gets_a_specific_message_next_to_its_field(
    client, overrides, field, message
):
    response = client.post(SIGN_URL, form_data(**overrides))

    assert response.status_code == 200
    error = field_error(response, field)
    assert error is not None, f"no error shown next to {field}"
    assert message in error
    assert Signature.objects.count() == 0


def test_form_with_errors_keeps_what_was_typed_and_links_errors_to_fields(client):
    response = client.post(
        SIGN_URL,
        form_data(
            full_name="Jane Doe", email="jane@example.org", postal_code="Z9Z 9Z9"
        ),
    )

    page = parse_page(response.content.decode())
    assert page.by_id("id_full_name").attrs["value"] == "Jane Doe"
    assert page.by_id("id_email").attrs["value"] == "jane@example.org"
    assert page.by_id("id_postal_code").attrs["value"] == "Z9Z 9Z9"
    postal = page.by_id("id_postal_code")
    assert postal.attrs["aria-invalid"] == "true"
    assert "id_postal_code_error" in postal.attrs["aria-describedby"].split()
    summary = page.by_id("error-summary")
    assert [a.attrs["href"] for a in summary.descendants() if a.tag == "a"] == [
        "#id_postal_code"
    ]
    assert page.all("title")[0].text.startswith("Error:")


@pytest.mark.parametrize(
    ("postal_code", "stored", "province"),
    [
        ("k1a 0b1", "K1A 0B1", "ON"),
        ("H2X-1Y4", "H2X 1Y4", "QC"),
        ("v6b4y8", "V6B 4Y8", "BC"),
        ("X0A 0H0", "X0A 0H0", "NU"),
        ("X1A 2P3", "X1A 2P3", "NT"),
        ("A1C 5M2", "A1C 5M2", "NL"),
        ("Y1A 1B1", "Y1A 1B1", "YT"),
    ],
)
def test_canadian_postal_code_is_normalised_and_gives_the_province(
    sign, postal_code, stored, province
):
    sign(postal_code=postal_code)

    signature = Signature.objects.get()
    assert (signature.postal_code, signature.province) == (stored, province)


def test_us_zip_is_checked_and_other_countries_take_free_text(sign):
    sign(email="us@example.org", country="US", postal_code="12345-6789")
    sign(email="fr@example.org", country="FR", postal_code="  75001 ")
    sign(email="ie@example.org", country="IE", postal_code="")

    stored = dict(Signature.objects.values_list("country", "postal_code"))
    assert stored == {"US": "12345-6789", "FR": "75001", "IE": ""}
    assert set(Signature.objects.values_list("province", flat=True)) == {""}


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


def test_confirmation_email_is_multipart_and_names_the_petition(sign, mailoutbox):
    sign(full_name="Jane Doe")

    message = mailoutbox[0]
    assert message.to == ["jane@example.org"]
    assert "No more caged families" in message.subject
    assert "\n" not in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    link = confirmation_link(message)
    assert link in html
    assert message.body.startswith("Hello Jane,")
    # Names are typed by anyone: only the first name travels in our emails.
    assert "Doe" not in message.body
    assert "Doe" not in html


def test_closed_petition_takes_no_signatures(client):
    closed = PetitionFactory(is_open=False)

    response = client.post(f"/en/p/{closed.slug}/sign/", form_data())

    assert response.status_code == 200
    assert "This petition is closed" in response.content.decode()
    assert Signature.objects.count() == 0


def test_unpublished_petition_takes_no_signatures(client):
    draft = PetitionFactory(published_at=None)

    response = client.post(f"/en/p/{draft.slug}/sign/", form_data())

    assert response.status_code == 404
    assert Signature.objects.count() == 0


def test_signing_page_works_without_the_campaign_page(client):
    response = client.get(SIGN_URL)

    page = parse_page(response.content.decode())
    assert response.status_code == 200
    assert len(page.all("h1")) == 1
    form = page.all("form")[0]
    assert form.attrs["action"] == SIGN_URL
    assert form.attrs["method"] == "post"


def test_petition_without_confirmation_counts_at_once(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    petition = PetitionFactory(requires_confirmation=False)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/p/{petition.slug}/sign/", form_data())

    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.confirmed_at is not None
    assert mailoutbox[0].subject.startswith("Thank you for signing")
    assert (
        "Thank you for signing"
        in client.get(f"/en/p/{petition.slug}/thanks/").content.decode()
    )


def test_thank_you_page_offers_plain_share_links(client):
    page = parse_page(client.get(THANKS_URL).content.decode())

    hrefs = [a.attrs["href"] for a in page.all("a")]
    for prefix in (
        "mailto:?",
        "https://x.com/intent/post?",
        "https://www.facebook.com/sharer/sharer.php?",
        "https://wa.me/?",
        "https://bsky.app/intent/compose?",
    ):
        assert any(h.startswith(prefix) for h in hrefs), prefix
    assert (
        page.by_id("share-url").attrs["value"]
        == f"{django_settings.SITE_URL}/en/p/{SEED_SLUG}/"
    )
    assert all(
        e.attrs.get("src", "").startswith("/static/") for e in page.all("script")
    )


def test_oversized_post_gets_a_400_page_not_a_500(client):
    too_big = "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(SIGN_URL, {"full_name": too_big, "email": "a@b.org"})

    assert response.status_code == 400
    assert "couldn’t read what your browser sent" in response.content.decode()
    assert Signature.objects.count() == 0


def test_malformed_body_does_not_break_the_form(client):
    response = client.post(
        SIGN_URL,
        data=b"full_name=%FF%FE%00&email=\xff\xfe&country=CA&country=US",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    page = parse_page(response.content.decode())
    assert page.by_id("id_email_error") is not None
    assert Signature.objects.count() == 0


def test_petition_with_signatures_cannot_be_deleted_by_accident():
    signature = SignatureFactory()

    with pytest.raises(ProtectedError):
        signature.petition.delete()
    assert Signature.objects.count() == 1
