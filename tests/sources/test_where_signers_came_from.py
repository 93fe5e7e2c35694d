"""A signature keeps the channel (?source=) and the signer's link (?ref=)
it came by: from the landing link to the stored row, never an error for
the signer, never rewritten by a later submission."""

import re

import pytest

from signatures.models import REFERRAL_CODE_LENGTH, Signature
from signatures.services.signing import signature_referral_code
from tests.conftest import SEED_SLUG
from tests.factories import PetitionFactory, SignatureFactory
from tests.html_tools import parse_page
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"


def hidden_value(response, name: str) -> str:
    page = parse_page(response.content.decode())
    (field,) = [
        element for element in page.all("input") if element.attrs.get("name") == name
    ]
    return field.attrs.get("value") or ""


def share_hrefs(response) -> list[str]:
    page = parse_page(response.content.decode())
    return [
        element.attrs["href"]
        for element in page.all("a")
        if "share-link" in element.attrs.get("class", "")
    ]


def test_the_sign_page_fills_in_the_landing_links_source_without_scripts(
    client, seed_campaign
):
    referrer = SignatureFactory(petition=seed_campaign)

    response = client.get(f"{SIGN_URL}?source=WhatsApp&ref={referrer.referral_code}")

    assert hidden_value(response, "source") == "whatsapp"
    assert hidden_value(response, "ref") == referrer.referral_code


def test_a_source_survives_a_form_error_round_trip(client, sign, seed_campaign):
    response = client.post(
        SIGN_URL,
        {
            "full_name": "Jane Doe",
            "email": "jane@example.org",
            "country": "CA",
            "postal_code": "K1",  # a typo
            "source": "whatsapp",
        },
    )
    assert "Please fix the following to sign:" in response.content.decode()
    assert hidden_value(response, "source") == "whatsapp"

    sign(source=hidden_value(response, "source"))

    assert Signature.objects.get().source == "whatsapp"


@pytest.mark.parametrize(
    "source",
    ["=HYPERLINK(1)", "what app", "<script>", "x" * 41, "jane@example.org"],
)
def test_an_invalid_source_is_dropped_without_an_error(sign, seed_campaign, source):
    sign(source=source, ref="not-a-code")

    signature = Signature.objects.get()
    assert signature.source == ""
    assert signature.referred_by is None


def test_a_referral_code_links_the_new_signature_to_its_referrer(sign, seed_campaign):
    referrer = SignatureFactory(
        petition=seed_campaign, full_name="Ann Referrer", email="ann@example.org"
    )

    sign(email="friend@example.org", source="whatsapp", ref=referrer.referral_code)

    signature = Signature.objects.get(email="friend@example.org")
    assert signature.referred_by == referrer
    assert signature.source == "whatsapp"


def test_a_referral_code_is_random_never_the_signers_email_name_or_id(seed_campaign):
    signers = SignatureFactory.create_batch(20, petition=seed_campaign)

    codes = {signer.referral_code for signer in signers}
    assert len(codes) == 20
    for signer in signers:
        code = signer.referral_code
        assert re.fullmatch(rf"[a-z0-9]{{{REFERRAL_CODE_LENGTH}}}", code)
        assert code != str(signer.pk)
        assert code not in str(signer.public_id).replace("-", "")
        for personal in (signer.email.split("@")[0], signer.full_name.lower()):
            assert personal.replace(" ", "") not in code


def test_a_code_from_another_petition_refers_no_one(sign, seed_campaign):
    elsewhere = SignatureFactory(petition=PetitionFactory())

    sign(ref=elsewhere.referral_code)

    assert Signature.objects.get(petition=seed_campaign).referred_by is None


def test_a_signature_from_before_codes_gets_one_when_first_needed(seed_campaign):
    signature = SignatureFactory(petition=seed_campaign)
    Signature.objects.filter(pk=signature.pk).update(referral_code=None)
    signature.refresh_from_db()

    code = signature_referral_code(signature=signature)

    assert len(code) == REFERRAL_CODE_LENGTH
    signature.refresh_from_db()
    assert signature.referral_code == code
    assert signature_referral_code(signature=signature) == code


def test_a_second_submission_does_not_overwrite_the_source(sign, press, seed_campaign):
    sign(email="jane@example.org", source="whatsapp")
    second = sign(email="jane@example.org", full_name="Jane Q. Doe", source="x")

    press(confirmation_link(second))

    signature = Signature.objects.get()
    assert signature.full_name == "Jane Q. Doe"  # the link applied what was typed
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.source == "whatsapp"


def test_share_links_on_the_confirmed_page_carry_the_signers_code(
    client, sign, press, seed_campaign
):
    email = sign(email="jane@example.org")
    code = Signature.objects.get().referral_code

    response = client.get(press(confirmation_link(email))["Location"])

    assert "no-store" in response["Cache-Control"]
    links = share_hrefs(response)
    assert links
    for network in ("whatsapp", "facebook", "x", "email", "bluesky"):
        (link,) = [href for href in links if f"source%3D{network}" in href]
        assert f"ref%3D{code}" in link
    assert f"?source=link&amp;ref={code}" in response.content.decode()


def test_share_links_on_the_public_thank_you_page_name_the_channel_only(
    client, sign, seed_campaign
):
    sign(email="jane@example.org")
    code = Signature.objects.get().referral_code

    response = client.get(f"/en/p/{SEED_SLUG}/thanks/")

    links = share_hrefs(response)
    assert any("source%3Dwhatsapp" in href for href in links)
    assert not any("ref%3D" in href or "ref=" in href for href in links)
    assert code not in response.content.decode()


def landing(query: str) -> str:
    return f"http://testserver/en/p/{SEED_SLUG}/?{query}"


def test_without_scripts_the_source_comes_from_the_campaign_pages_address(
    client, seed_campaign
):
    referrer = SignatureFactory(petition=seed_campaign)

    client.post(
        SIGN_URL,
        form_data(source="", ref=""),
        HTTP_REFERER=landing(f"source=newsletter&ref={referrer.referral_code}"),
    )

    signature = Signature.objects.get(email="jane@example.org")
    assert signature.source == "newsletter"
    assert signature.referred_by == referrer


def test_without_scripts_the_source_survives_a_form_error(client, seed_campaign):
    response = client.post(
        SIGN_URL,
        form_data(postal_code="K1", source="", ref=""),  # a typo
        HTTP_REFERER=landing("source=telegram"),
    )
    assert hidden_value(response, "source") == "telegram"

    # Sent again from the sign page itself, whose address names no source.
    client.post(
        SIGN_URL,
        form_data(source=hidden_value(response, "source")),
        HTTP_REFERER=f"http://testserver{SIGN_URL}",
    )

    assert Signature.objects.get().source == "telegram"


def test_what_the_pages_script_wrote_wins_over_the_address(client, seed_campaign):
    client.post(
        SIGN_URL,
        form_data(source="whatsapp"),
        HTTP_REFERER=landing("source=facebook"),
    )

    assert Signature.objects.get().source == "whatsapp"


@pytest.mark.parametrize(
    "referer",
    [
        f"https://elsewhere.example/en/p/{SEED_SLUG}/?source=spoofed",
        "not a url ?source=spoofed",
        landing("source=%3Dcmd()"),
    ],
)
def test_a_source_from_another_site_or_a_bad_one_is_not_kept(
    client, seed_campaign, referer
):
    client.post(SIGN_URL, form_data(source="", ref=""), HTTP_REFERER=referer)

    assert Signature.objects.get().source == ""
