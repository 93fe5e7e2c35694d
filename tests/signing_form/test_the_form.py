"""The signing form: what it stores, what it asks browsers to fill in,
and what it refuses, with a message next to the field."""

import pytest
from django.conf import settings as django_settings

from signatures.models import Signature
from tests.html_tools import parse_page
from tests.signing import form_data
from tests.signing_form.pages import SIGN_URL, THANKS_URL, field_error

pytestmark = pytest.mark.django_db


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
