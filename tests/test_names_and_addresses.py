"""A web address cannot hide in a name behind case, look-alike dots or
invisible fillers, while real names pass as typed; the providers that fold
"+tags" into one inbox count each inbox once."""

from importlib import import_module

import pytest
from django.apps import apps

from signatures.models import Signature
from signatures.normalize import canonical_email
from signatures.services.subject_access import signer_data
from tests.conftest import SEED_SLUG
from tests.factories import PetitionFactory, SignatureFactory
from tests.html_tools import parse_page
from tests.signing import form_data

pytestmark = pytest.mark.django_db

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"


@pytest.fixture
def sign(client, seed_campaign, django_capture_on_commit_callbacks):
    def post(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(SIGN_URL, form_data(**overrides))

    return post


def _name_error(response) -> str:
    element = parse_page(response.content.decode()).by_id("id_full_name_error")
    return " ".join(element.text.split()) if element else ""


@pytest.mark.parametrize(
    "name",
    [
        "Prize at SPAMMY.CA",  # capitals
        "Win at Spam.Com",
        "Go to Www.prizes",
        "WWW.PRIZES.EXAMPLE",
        "Hi HTTPS:x",
        "prize at spam\uff0eexample",  # full-width full stop
        "prize at spam\u3002ca",  # ideographic full stop
        "prize at spam\uff61ca",  # halfwidth ideographic full stop
        "prize at spam\u2024ca",  # one-dot leader
        "prize at spam\ufe52ca",  # small full stop
        "prize at spam\u06d4ca",  # Arabic full stop
        "prize at spam.\u00adca",  # soft hyphen after the dot
        "prize at spam.c\u200da",  # zero-width joiner inside the domain
        "prize at spam.c\u200ca",  # zero-width non-joiner
        "prize at spam.\u2060ca",  # word joiner
        "prize at spam.\u3164ca",  # Hangul filler
        "prize at spam.\uffa0ca",  # halfwidth Hangul filler
        "prize at spam.c\u034fa",  # combining grapheme joiner
        "prize at w\u200dww.x",
        "\uff53\uff50\uff41\uff4d.ca",  # full-width letters
        "spam.example\u2215win",  # division slash
    ],
)
def test_a_web_address_in_disguise_is_refused_as_a_name(sign, name):
    response = sign(full_name=name)

    assert response.status_code == 200
    assert "not a web address" in _name_error(response)
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    [
        "St. John Smith",
        "Anne St.John",
        "ANNE ST.JOHN",
        "J.R.R. Tolkien",
        "J.R.R.Tolkien",
        "Mary-Jane O'Neil",
        "Mr.Li Wei",
        "Dr. Amélie Poulain",
        "Zoë O’Brien-Smith",
        "Ramon Llul·l",  # Catalan middle dot
        "\u0645\u062d\u0645\u062f\u200c\u0631\u0636\u0627 Rezaei",  # Persian, ZWNJ
        "\u0915\u094d\u200d\u0937\u093f\u0924\u093f",  # Devanagari, ZWJ
        "\u0d28\u0d3f\u0d24\u0d4d\u0d2f\u0d3e\u0d28\u0d28\u0d4d\u0d26\u0d4d\u200d",  # Malayalam chillu
    ],
)
def test_real_names_pass_and_are_stored_as_typed(sign, name):
    response = sign(full_name=name)

    assert response.status_code == 302, _name_error(response)
    assert Signature.objects.get().full_name == name


@pytest.mark.parametrize("name", ["\u3164", "\u200d\u3164\u00ad", "\u2800 \u3164"])
def test_a_name_made_only_of_fillers_is_asked_for_again(sign, name):
    response = sign(full_name=name)

    assert response.status_code == 200
    assert "Enter your name." in _name_error(response)
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    ("address", "canonical"),
    [
        ("Jane.Doe+petitions@Outlook.com", "jane.doe@outlook.com"),
        ("jane+x@hotmail.com", "jane@hotmail.com"),
        ("jane+x@live.com", "jane@live.com"),
        ("jane+x@msn.com", "jane@msn.com"),
        ("jane+x@hotmail.ca", "jane@hotmail.ca"),
        ("jane+x@iCloud.com", "jane@icloud.com"),
        ("jane+x@me.com", "jane@me.com"),
        ("jane+x@mac.com", "jane@mac.com"),
        ("jane+x@proton.me", "jane@proton.me"),
        ("jane+x@protonmail.com", "jane@protonmail.com"),
        ("jane+x@pm.me", "jane@pm.me"),
        ("jane+x@protonmail.ch", "jane@protonmail.ch"),
        ("jane+x@fastmail.com", "jane@fastmail.com"),
        ("jane+x+y@fastmail.fm", "jane@fastmail.fm"),
        # Dots count everywhere but at Gmail.
        ("j.a.n.e+x@gmail.com", "jane@gmail.com"),
        ("j.ane@proton.me", "j.ane@proton.me"),
        # Not a +tag provider: the tag is part of the address.
        ("jane+x@example.org", "jane+x@example.org"),
        ("jane+x@yahoo.com", "jane+x@yahoo.com"),
    ],
)
def test_canonical_address_folds_tags_only_where_the_provider_does(address, canonical):
    assert canonical_email(address) == canonical


@pytest.mark.parametrize(
    ("first", "variant"),
    [
        ("jane@hotmail.ca", "Jane+petition@Hotmail.ca"),
        ("jane@icloud.com", "jane+news@icloud.com"),
        ("jane.doe@proton.me", "jane.doe+sign@proton.me"),
        ("jane@fastmail.com", "jane+a@fastmail.com"),
    ],
)
def test_a_tagged_variant_of_one_inbox_signs_once(sign, first, variant):
    sign(email=first)
    sign(email=variant)

    assert Signature.objects.count() == 1


def test_dots_at_other_providers_are_different_people(sign):
    sign(email="jane.doe@outlook.com")
    sign(email="janedoe@outlook.com")

    assert Signature.objects.count() == 2


def test_rows_stored_before_the_fold_are_folded_unless_that_would_collide():
    fold = import_module("signatures.migrations.0010_fold_plus_tags").fold_plus_tags
    petition, other = PetitionFactory(), PetitionFactory()
    # As stored before tags were folded at these providers.
    lone = SignatureFactory(
        petition=petition,
        email="jane+news@outlook.com",
        email_canonical="jane+news@outlook.com",
    )
    kept = SignatureFactory(
        petition=petition, email="bob@pm.me", email_canonical="bob@pm.me"
    )
    twin = SignatureFactory(
        petition=petition, email="bob+x@pm.me", email_canonical="bob+x@pm.me"
    )
    elsewhere = SignatureFactory(
        petition=other, email="bob+y@pm.me", email_canonical="bob+y@pm.me"
    )
    untouched = SignatureFactory(
        petition=petition,
        email="amy+x@example.org",
        email_canonical="amy+x@example.org",
    )

    fold(apps, None)

    canonical = dict(Signature.objects.values_list("pk", "email_canonical"))
    assert canonical == {
        lone.pk: "jane@outlook.com",
        kept.pk: "bob@pm.me",
        twin.pk: "bob+x@pm.me",  # bob@pm.me already signed this petition
        elsewhere.pk: "bob@pm.me",
        untouched.pk: "amy+x@example.org",
    }
    # A person asking what we hold gets the row left unfolded too.
    held = signer_data(email="Bob+anything@PM.me", user=None)["signatures"]
    assert sorted(record["email"] for record in held) == [
        "bob+x@pm.me",
        "bob+y@pm.me",
        "bob@pm.me",
    ]
