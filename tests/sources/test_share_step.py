"""The share step after signing and after confirming: a question first,
then links that each name their channel and, for a signer's own, their
referral code, never who they are; the message in the page's language."""

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.utils import translation

from signatures.models import Signature
from signatures.sharing import SHARE_SOURCES, share_links, share_step
from tests.conftest import SEED_SLUG
from tests.html_tools import parse_page
from tests.signing import confirmation_link

URL = "https://petition.example/en/p/clean-water/"
CODE = "k3x9q2m7w4ab"
PHONE_ORDER = [
    "whatsapp",
    "facebook",
    "x",
    "bluesky",
    "messenger",
    "telegram",
    "email",
    "sms",
]


def test_every_share_link_names_its_channel_and_the_signers_code():
    links = share_links(url=URL, title="Clean water", ref=CODE)

    for link in links:
        assert f"{URL}?source={link.source}&ref={CODE}" in unquote(link.href), link
    assert len({link.source for link in links}) == len(PHONE_ORDER)


def test_links_come_whatsapp_first_then_the_networks_then_messages():
    links = share_links(url=URL, title="Clean water")

    assert [link.source for link in links] == PHONE_ORDER
    assert [link.name for link in links][:6] == [
        "WhatsApp",
        "Facebook",
        "X",
        "Bluesky",
        "Messenger",
        "Telegram",
    ]


def test_messenger_and_sms_are_offered_on_phones_only_without_a_facebook_app(
    settings,
):
    settings.FACEBOOK_APP_ID = ""
    links = {link.source: link for link in share_links(url=URL, title="Clean water")}

    assert links["messenger"].href.startswith("fb-messenger://share/?link=")
    assert links["messenger"].device == "phone"
    assert links["sms"].href.startswith("sms:?&body=")
    assert links["sms"].device == "phone"
    assert not any("facebook.com/dialog" in link.href for link in links.values())


def test_a_facebook_app_id_brings_messengers_dialog_to_desktops(settings):
    settings.FACEBOOK_APP_ID = "123456789"

    messenger = [
        link
        for link in share_links(url=URL, title="Clean water", ref=CODE)
        if link.source == "messenger"
    ]

    assert [link.device for link in messenger] == ["phone", "desktop"]
    dialog = urlsplit(messenger[1].href)
    assert (dialog.netloc, dialog.path) == ("www.facebook.com", "/dialog/send")
    assert parse_qs(dialog.query) == {
        "app_id": ["123456789"],
        "link": [f"{URL}?source=messenger&ref={CODE}"],
        "redirect_uri": [URL],
    }


def test_only_web_pages_open_in_a_new_tab():
    links = {link.source: link for link in share_links(url=URL, title="Clean water")}

    assert links["whatsapp"].new_tab
    assert not links["email"].new_tab
    assert not links["sms"].new_tab
    assert not links["messenger"].new_tab


def test_a_text_message_and_an_email_read_with_spaces_not_plus_signs():
    links = {link.source: link for link in share_links(url=URL, title="Clean water")}

    for source in ("sms", "email"):
        assert "+" not in links[source].href
        assert "%20" in links[source].href


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "I just signed “Clean water”. Will you sign too?"),
        (
            "fr",
            "Je viens de signer «\u00a0Clean water\u00a0». Vous signez aussi\u00a0?",
        ),
    ],
)
def test_the_message_asks_friends_to_sign_in_the_pages_language(language, message):
    with translation.override(language):
        links = {
            link.source: link for link in share_links(url=URL, title="Clean water")
        }

    for source in ("whatsapp", "x", "bluesky", "telegram", "email", "sms"):
        assert message in unquote(links[source].href).replace("+", " "), source


@pytest.mark.django_db
def test_the_confirmed_page_asks_first_and_shares_nothing_about_the_signer(
    client, sign, press, seed_campaign, settings
):
    email = sign(full_name="Jane Doe", email="jane.doe@example.org")
    code = Signature.objects.get().referral_code

    response = client.get(press(confirmation_link(email))["Location"])

    html = response.content.decode()
    page = parse_page(html)
    assert "Will you share the petition?" in page.visible_text
    (yes,) = [b for b in page.all("button") if "data-share-yes" in b.attrs]
    assert yes.text.strip() == "Yes, I’ll share"
    assert yes.attrs["data-share-url"] == (
        f"{settings.SITE_URL}/en/p/{SEED_SLUG}/?source=native&ref={code}"
    )
    assert yes.attrs["data-share-text"].startswith("I just signed “")
    assert any(b.text.strip() == "Not now" for b in page.all("button"))
    assert "jane" not in html.lower()
    assert "Jane Doe" not in html


@pytest.mark.django_db
def test_the_french_thank_you_page_asks_in_french_with_no_referral_code(
    client, sign, seed_campaign
):
    sign(language="fr")

    page = parse_page(client.get(f"/fr/p/{SEED_SLUG}/thanks/").content.decode())

    assert "Partagerez-vous la pétition ?" in page.visible_text
    (yes,) = [b for b in page.all("button") if "data-share-yes" in b.attrs]
    assert yes.attrs["data-share-url"].endswith(f"/fr/p/{SEED_SLUG}/?source=native")
    assert yes.attrs["data-share-text"].startswith("Je viens de signer «\u00a0")
    assert yes.attrs["data-share-text"].endswith("\u00a0». Vous signez aussi\u00a0?")
    hrefs = [
        unquote(a.attrs["href"])
        for a in page.all("a")
        if "share-link" in a.attrs.get("class", "")
    ]
    assert len(hrefs) == len(PHONE_ORDER)
    assert all("?source=" in href and "ref=" not in href for href in hrefs)


def test_every_channel_the_share_step_names_is_a_known_source(settings):
    settings.FACEBOOK_APP_ID = "1234567890"  # Messenger's desktop link too
    step = share_step(url="https://example.org/en/p/x/", title="T", ref="")

    named = {link.source for link in step["share_links"]}
    assert named | {"link", "native"} == SHARE_SOURCES
