"""English and French: the interface, the petition text, emails, one count."""

import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings as django_settings
from django.utils import translation

from signatures.models import Signature
from signatures.tokens import confirmation_token
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.html_tools import parse_page
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]

# Interface wording that must never appear on a French page.
ENGLISH_UI = [
    "Sign the petition",
    "Full name",
    "Email address",
    "Postal code",
    "Keep me updated",
    "Show my first name",
    "people have signed",
    "person has signed",
    "Let’s reach",
    "Skip to main content",
    "Why is this important?",
    "Back to the text",
    "Check your email",
    "Confirm my signature",
    "Please fix the following",
    "Enter a Canadian postal code",
    "We couldn’t find that page",
    "Please wait a moment",
    "Ask your friends",
    "This confirmation link",
    "Back to the petition",
    "make your voice heard",
    "Recent signers",
    "Required in Canada",
    "We use your name",
]


@pytest.fixture
def french_published(seed_campaign):
    seed_campaign.published_languages = ["en", "fr"]
    seed_campaign.save()
    return seed_campaign


@pytest.fixture
def sign_in(client, django_capture_on_commit_callbacks):
    def post(language: str, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/{language}/p/{SEED_SLUG}/sign/", form_data(**overrides)
            )

    return post


def english_left_on(html: str) -> list[str]:
    text = parse_page(html).visible_text
    return [phrase for phrase in ENGLISH_UI if phrase in text]


@pytest.mark.parametrize(
    ("accept_language", "home"),
    [("fr-CA,fr;q=0.9,en;q=0.8", "/fr/"), ("en-CA,en;q=0.9", "/en/"), ("", "/en/")],
)
def test_first_visit_follows_the_browsers_language(client, accept_language, home):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response.status_code == 302
    assert response["Location"] == home


def test_every_public_page_is_french_under_fr(
    client, settings, french_published, sign_in
):
    signature = SignatureFactory(petition=french_published, pending=True, language="fr")
    token = confirmation_token(signature)
    pages = {
        "campaign": client.get(f"/fr/p/{SEED_SLUG}/"),
        "sign": client.get(f"/fr/p/{SEED_SLUG}/sign/"),
        "form with errors": client.post(
            f"/fr/p/{SEED_SLUG}/sign/", form_data(postal_code="Z9Z")
        ),
        "thanks": client.get(f"/fr/p/{SEED_SLUG}/thanks/"),
        "confirm": client.get(f"/fr/confirm/{token}/"),
        "bad link": client.get("/fr/confirm/not-a-token/"),
        "confirmed": client.get(f"/fr/p/{SEED_SLUG}/confirmed/"),
        "resend": client.get(f"/fr/p/{SEED_SLUG}/resend/"),
        "not found": client.get("/fr/p/no-such-petition/"),
    }
    settings.SIGN_RATE_PER_MINUTE = "0/m"
    pages["too many"] = client.post(f"/fr/p/{SEED_SLUG}/sign/", form_data())

    leftovers = {name: english_left_on(r.content.decode()) for name, r in pages.items()}

    assert {name: left for name, left in leftovers.items() if left} == {}
    assert pages["too many"].status_code == 429
    for response in pages.values():
        assert (
            parse_page(response.content.decode()).all("html")[0].attrs["lang"] == "fr"
        )


def test_french_page_shows_the_french_text_once_published(client, french_published):
    page = parse_page(client.get(f"/fr/p/{SEED_SLUG}/").content.decode())

    assert [h.text for h in page.all("h1")] == [
        "Plus jamais de familles en cage\u00a0: abolissez l’Entente sur les tiers pays sûrs"
    ]
    assert "Laissez-les rester." in page.visible_text
    assert page.by_id("fn-1") is not None
    assert "Entente entre le Canada et les États-Unis" in page.by_id("fn-1").text
    assert "pas encore été traduite" not in page.visible_text


def test_unreviewed_french_is_never_shown_and_a_note_says_so(client, seed_campaign):
    html = client.get(f"/fr/p/{SEED_SLUG}/").content.decode()
    page = parse_page(html)

    assert "Laissez-les" not in page.visible_text
    assert "Let them stay." in page.visible_text
    assert (
        "Cette pétition n’a pas encore été traduite dans votre langue"
        in page.visible_text
    )
    # The English text is marked English; the French interface around it is not.
    assert page.all("h1")[0].attrs["lang"] == "en"
    assert "lang" not in page.all("article")[0].attrs
    assert page.by_id("id_full_name") is not None
    canonical = next(e for e in page.all("link") if e.attrs.get("rel") == "canonical")
    assert canonical.attrs["href"] == f"{django_settings.SITE_URL}/en/p/{SEED_SLUG}/"


def test_language_switcher_keeps_the_visitor_on_the_same_page(client, seed_campaign):
    page = parse_page(client.get(f"/fr/p/{SEED_SLUG}/sign/").content.decode())

    switch = next(a for a in page.all("a") if a.attrs.get("hreflang") == "en")
    assert switch.attrs["href"] == f"/en/p/{SEED_SLUG}/sign/"
    assert switch.attrs["lang"] == "en"
    alternates = {
        e.attrs["hreflang"]: e.attrs["href"]
        for e in page.all("link")
        if e.attrs.get("rel") == "alternate"
    }
    assert alternates == {
        "en-CA": f"{django_settings.SITE_URL}/en/p/{SEED_SLUG}/sign/",
        "fr-CA": f"{django_settings.SITE_URL}/fr/p/{SEED_SLUG}/sign/",
    }


def test_french_signer_gets_a_french_email_with_a_french_link(
    client, french_published, sign_in, mailoutbox
):
    sign_in("fr")

    signature = Signature.objects.get()
    message = mailoutbox[0]
    assert signature.language == "fr"
    assert message.subject.startswith("Confirmez votre signature")
    assert "Plus jamais de familles en cage" in message.subject
    assert message.body.startswith("Bonjour Jane,")
    link = confirmation_link(message)
    assert link.startswith("/fr/confirm/")
    page = parse_page(client.get(link).content.decode())
    assert [b.text for b in page.all("button")] == ["Confirmer ma signature"]


def test_email_title_falls_back_while_french_is_unreviewed(
    seed_campaign, sign_in, mailoutbox
):
    sign_in("fr")

    assert "No more caged families" in mailoutbox[0].subject
    assert mailoutbox[0].subject.startswith("Confirmez votre signature")


def test_one_count_and_one_signature_across_languages(
    client, french_published, sign_in, mailoutbox, django_capture_on_commit_callbacks
):
    sign_in("en", email="jane@example.org")
    sign_in("fr", email="JANE@example.org")
    with django_capture_on_commit_callbacks(execute=True):  # the count's tally
        client.post(confirmation_link(mailoutbox[-1]))

    assert Signature.objects.count() == 1
    for language in ("en", "fr"):
        page = parse_page(client.get(f"/{language}/p/{SEED_SLUG}/").content.decode())
        assert page.all("progress")[0].attrs["value"] == "1"


def test_organizers_can_filter_signers_by_language(client, admin_client, seed_campaign):
    SignatureFactory(petition=seed_campaign, full_name="Anglo Phone", language="en")
    SignatureFactory(petition=seed_campaign, full_name="Franco Phone", language="fr")

    text = parse_page(
        admin_client.get(
            "/admin/signatures/signature/", {"language__exact": "fr"}
        ).content.decode()
    ).visible_text

    assert "Franco Phone" in text
    assert "Anglo Phone" not in text


@pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="needs GNU gettext (apt-get install gettext)",
)
def test_every_interface_string_is_translated_into_french(tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "staticfiles",
            "*.sqlite3",
            "__pycache__",
            "tests",
            "bench",
            ".ruff_cache",
            ".pytest_cache",
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "fr",
            "--no-location",
            "--ignore=.venv",
        ],
        cwd=copy,
        env={
            "PATH": "/usr/bin:/bin",
            "SECRET_KEY": "x",
            "ALLOW_CONSOLE_EMAIL": "true",
            "PYTHONPATH": str(copy),
        },
        check=True,
        capture_output=True,
        timeout=120,
    )

    with (copy / "locale/fr/LC_MESSAGES/django.po").open("rb") as po:
        catalog = read_po(po)
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (
            "fuzzy" in message.flags
            or not all(
                message.string
                if isinstance(message.string, tuple)
                else [message.string]
            )
        )
    ]
    assert untranslated == []
    assert len(catalog) > 250


def test_countries_are_listed_in_french_under_fr(client):
    page = parse_page(client.get(f"/fr/p/{SEED_SLUG}/sign/").content.decode())
    names = [o.text for o in page.by_id("id_country").children]

    assert "Allemagne" in names
    assert "Germany" not in names
    # Alphabetical as a French reader looks for a name: Égypte and Île
    # Maurice among the E and I, not after Zimbabwe.
    initials = [unicodedata.normalize("NFKD", name)[0].casefold() for name in names]
    assert initials == sorted(initials)
    assert names.index("Danemark") < names.index("Égypte") < names.index("Fidji")


def test_delivery_report_never_shows_an_unreviewed_translation(
    admin_client, seed_campaign
):
    page = parse_page(
        admin_client.get(
            f"/admin/petition/petition/{seed_campaign.pk}/report/",
            HTTP_ACCEPT_LANGUAGE="fr",
        ).content.decode()
    )

    assert "Let them stay." in page.visible_text
    assert "Laissez-les" not in page.visible_text


def test_a_language_cannot_go_public_without_its_text(admin_client):
    from petition.admin import PetitionForm
    from tests.factories import PetitionFactory

    petition = PetitionFactory()
    data = {
        "slug": petition.slug,
        "title_en": "T",
        "addressees_en": "A",
        "body_en": "B",
        "call_to_action_en": "C",
        "goal": 10,
        "published_languages": ["en", "fr"],
    }
    with translation.override("en"):
        form = PetitionForm(data=data, instance=petition)
        errors = str(form.errors.get("published_languages", ""))

    assert "French cannot be shown yet" in errors
    assert "English cannot" not in errors


def test_site_name_follows_the_language(
    client, settings, seed_campaign, sign_in, mailoutbox
):
    settings.SITE_NAMES = {"en": "Migrant Justice", "fr": "Justice migrante"}

    french = parse_page(client.get(f"/fr/p/{SEED_SLUG}/").content.decode())
    english = parse_page(client.get(f"/en/p/{SEED_SLUG}/").content.decode())
    sign_in("fr")

    assert "Justice migrante" in french.visible_text
    assert "Migrant Justice" not in french.visible_text
    assert "Migrant Justice" in english.visible_text
    assert "Justice migrante" in mailoutbox[0].body
