"""Who is behind a petition: named on its page and in the emails sent for it,
in the reader's language; and the site's own name and tagline."""

import pytest
from django.test import Client

from petition.models import Petition
from signatures.emails import EmailKind, send_signature_email
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.html_tools import parse_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def petition(seed_campaign) -> Petition:
    seed_campaign.published_languages = ["en", "fr"]
    seed_campaign.title_fr = "Plus jamais de familles en cage"
    seed_campaign.organizer_name_en = "Amira Haddad"
    seed_campaign.organizer_organization_en = "Friends of Refugees"
    seed_campaign.organizer_about_en = "We welcome newcomers in Ottawa."
    seed_campaign.organizer_name_fr = "Amira Haddad"
    seed_campaign.organizer_organization_fr = "Ami·es des réfugié·es"
    seed_campaign.organizer_about_fr = "Nous accueillons les nouveaux arrivants."
    seed_campaign.organizer_email = "amira@example.org"
    seed_campaign.save()
    return seed_campaign


def _page_text(language: str) -> str:
    response = Client().get(f"/{language}/p/{SEED_SLUG}/")
    assert response.status_code == 200
    return parse_page(response.content.decode()).visible_text


@pytest.mark.parametrize(
    ("language", "started_by", "about"),
    [
        (
            "en",
            "Started by Amira Haddad, Friends of Refugees",
            "We welcome newcomers in Ottawa.",
        ),
        (
            "fr",
            "Lancée par Amira Haddad, Ami·es des réfugié·es",
            "Nous accueillons les nouveaux arrivants.",
        ),
    ],
)
def test_the_page_says_who_started_the_petition_in_the_readers_language(
    petition, language, started_by, about
):
    text = _page_text(language)

    assert started_by in text
    assert about in text
    # The contact address is for the site's team, not the public.
    assert "amira@example.org" not in text


def test_an_organizer_without_an_organization_is_named_alone(petition):
    petition.organizer_organization_en = ""
    petition.save()

    assert "Started by Amira Haddad." not in _page_text("en")
    assert "Started by Amira Haddad" in _page_text("en")
    assert "Friends of Refugees" not in _page_text("en")


def test_a_petition_without_an_organizer_names_nobody(seed_campaign):
    text = _page_text("en")

    assert "Started by" not in text
    assert "Who is behind it" not in text


def test_an_organizer_named_in_one_language_is_named_in_the_other_too(
    seed_campaign,
):
    seed_campaign.published_languages = ["en", "fr"]
    seed_campaign.title_fr = "Plus jamais de familles en cage"
    seed_campaign.organizer_name_en = "Amira Haddad"
    seed_campaign.save()

    assert "Lancée par Amira Haddad" in _page_text("fr")


@pytest.mark.parametrize(
    ("language", "sender", "signoff"),
    [
        (
            "en",
            "Amira Haddad via Petition",
            "Amira Haddad, Friends of Refugees\nvia Petition",
        ),
        (
            "fr",
            "Amira Haddad via Pétition",
            "Amira Haddad, Ami·es des réfugié·es\nvia Pétition",
        ),
    ],
)
def test_emails_are_signed_and_sent_in_the_organizers_name(
    settings, petition, mail_server, language, sender, signoff
):
    settings.DEFAULT_FROM_EMAIL = "campaign@petition.example"
    settings.SITE_NAMES = {"en": "Petition", "fr": "Pétition"}
    signature = SignatureFactory(petition=petition, language=language)

    for kind in EmailKind:
        send_signature_email(signature, kind)

    assert len(mail_server.received) == len(EmailKind)
    for message in mail_server.received:
        [address] = message["From"].addresses
        assert (address.display_name, address.addr_spec) == (
            sender,
            "campaign@petition.example",
        )
        plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert signoff in plain
        html = message.get_body(("html",)).get_content()
        assert "Amira Haddad" in html


def test_an_organizer_name_cannot_change_the_senders_address(
    settings, petition, mail_server
):
    settings.DEFAULT_FROM_EMAIL = "campaign@petition.example"
    petition.organizer_name_en = 'Eve "the admin", <eve@evil.example>\r\nBcc: x@y.z'
    petition.save()
    signature = SignatureFactory(petition=petition, language="en")

    send_signature_email(signature, EmailKind.CONFIRM)

    [message] = mail_server.received
    [address] = message["From"].addresses
    assert address.addr_spec == "campaign@petition.example"
    assert address.display_name.startswith('Eve "the admin", <eve@evil.example>')
    assert message["Bcc"] is None
    assert [str(a.addr_spec) for a in message["To"].addresses] == [signature.email]


def test_emails_without_an_organizer_come_from_the_site(
    settings, seed_campaign, mail_server
):
    settings.DEFAULT_FROM_EMAIL = "campaign@petition.example"
    signature = SignatureFactory(petition=seed_campaign, language="en")

    send_signature_email(signature, EmailKind.CONFIRM)

    [message] = mail_server.received
    [address] = message["From"].addresses
    assert address.display_name == settings.SITE_NAMES["en"]
    assert " via " not in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("language", "name", "tagline", "colon"),
    [
        ("en", "Stand With Refugees", "Canadians for a fair welcome.", ":"),
        ("fr", "Solidarité réfugiés", "Pour un accueil juste au Canada.", " :"),
    ],
)
def test_the_header_and_footer_show_the_sites_name_and_tagline(
    settings, seed_campaign, language, name, tagline, colon
):
    settings.SITE_NAMES = {"en": "Stand With Refugees", "fr": "Solidarité réfugiés"}
    settings.SITE_TAGLINES = {
        "en": "Canadians for a fair welcome.",
        "fr": "Pour un accueil juste au Canada.",
    }
    response = Client().get(f"/{language}/p/{SEED_SLUG}/")
    page = parse_page(response.content.decode())
    [header] = [
        e for e in page.all("header") if "site-header" in e.attrs.get("class", "")
    ]
    [footer] = page.all("footer")

    header_text = " ".join(header.text.split())
    footer_text = " ".join(footer.text.split())
    assert name in header_text
    assert tagline in header_text
    assert f"{name}{colon} {tagline}" in footer_text
    assert "a petition for change" not in page.visible_text
