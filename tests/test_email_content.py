"""What a signer sees of our emails in their inbox, received by a real SMTP
server: who it is from, a subject a phone shows whole, and their name."""

import pytest
from django.utils import timezone

from petition.models import Petition
from signatures.emails import EmailKind, send_signature_email
from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.signing import form_data

pytestmark = pytest.mark.django_db

# What a phone's inbox shows of a subject before cutting it off.
PHONE_SUBJECT = 60

LONG_TITLES = {
    "en": "Stop detaining children and families at the border: scrap the "
    "Safe Third Country Agreement and let people claim asylum in safety",
    "fr": "Cessons de détenir des enfants et des familles à la frontière : "
    "abolissons l’Entente sur les tiers pays sûrs et laissons demander l’asile",
}


@pytest.fixture
def petition(seed_campaign) -> Petition:
    seed_campaign.published_languages = ["en", "fr"]
    seed_campaign.title_fr = "Plus jamais de familles en cage"
    seed_campaign.save()
    return seed_campaign


def every_email(signature, mail_server) -> list:
    for kind in EmailKind:
        send_signature_email(signature, kind)
    assert len(mail_server.received) == len(EmailKind)
    return mail_server.received


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Hello Amira,"), ("fr", "Bonjour Amira,")]
)
def test_a_signer_who_signs_is_greeted_by_first_name(
    client,
    petition,
    mail_server,
    language,
    greeting,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/{language}/p/{SEED_SLUG}/sign/",
            form_data(full_name="Amira Haddad", email="amira@example.org"),
        )

    [message] = mail_server.received
    assert message.get_body(("plain",)).get_content().startswith(greeting)
    assert greeting in message.get_body(("html",)).get_content()


@pytest.mark.parametrize(
    ("language", "full_name", "greeting", "in_html"),
    [
        ("en", "Dr. Amira Haddad", "Hello Amira,", "Hello Amira,"),
        ("fr", "Amira", "Bonjour Amira,", "Bonjour Amira,"),
        ("en", "<b>Jo</b> Smith", "Hello <b>Jo</b>,", "Hello &lt;b&gt;Jo&lt;/b&gt;,"),
        # Not a given name but something else typed: no name at all.
        ("en", "Free-iPhones-for-everyone-who-replies-today Smith", "Hello,", "Hello,"),
    ],
)
def test_every_email_greets_the_signer_by_first_name(
    petition, mail_server, language, full_name, greeting, in_html
):
    signature = SignatureFactory(
        petition=petition, language=language, full_name=full_name
    )

    for message in every_email(signature, mail_server):
        text = message.get_body(("plain",)).get_content()
        assert text.startswith(greeting), text[:40]
        assert in_html in message.get_body(("html",)).get_content()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_subjects_fit_a_phone_even_with_a_long_title(petition, mail_server, language):
    setattr(petition, f"title_{language}", LONG_TITLES[language])
    petition.save()
    signature = SignatureFactory(petition=petition, language=language)

    for message in every_email(signature, mail_server):
        subject = str(message["Subject"]).strip()  # the space after "Subject:"
        assert len(subject) <= PHONE_SUBJECT, subject
        assert subject.endswith("…"), subject
        # The title is cut after a whole word, and starts as it does.
        kept = subject.split(LONG_TITLES[language][:12], 1)[1].removesuffix("…")
        assert (LONG_TITLES[language][:12] + kept).rstrip(" :,") in LONG_TITLES[
            language
        ]
        assert LONG_TITLES[language][:12] + kept + " " in LONG_TITLES[language] + " "


def test_a_short_title_is_never_cut(petition, mail_server):
    Petition.objects.filter(pk=petition.pk).update(title_en="Clean water now")
    petition.refresh_from_db()
    signature = SignatureFactory(petition=petition, confirmed_at=timezone.now())

    subjects = [str(m["Subject"]).strip() for m in every_email(signature, mail_server)]

    assert "Confirm your signature: Clean water now" in subjects
    assert all("…" not in subject for subject in subjects)


@pytest.mark.parametrize(
    ("language", "name"),
    [("en", "Friends of Refugees, Ottawa"), ("fr", "Ami·es des réfugié·es")],
)
def test_emails_come_from_the_sites_name_in_the_signers_language(
    settings, petition, mail_server, language, name
):
    # An address configured with a name of its own: only the address is used.
    settings.DEFAULT_FROM_EMAIL = "Old Name <campaign@petition.example>"
    settings.SITE_NAMES = {
        "en": "Friends of Refugees, Ottawa",
        "fr": "Ami·es des réfugié·es",
    }
    signature = SignatureFactory(petition=petition, language=language)

    for message in every_email(signature, mail_server):
        [sender] = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == (
            name,
            "campaign@petition.example",
        )


@pytest.mark.parametrize("kind", [EmailKind.THANKS, EmailKind.ALREADY_SIGNED])
def test_the_emails_share_link_carries_the_channel_and_the_signers_own_code(
    petition, mail_server, kind
):
    signature = SignatureFactory(petition=petition, language="en")
    assert signature.referral_code  # every new signature has one

    send_signature_email(signature, kind)

    [message] = mail_server.received
    share = f"/en/p/{SEED_SLUG}/?source=email&ref={signature.referral_code}"
    for part in ("plain", "html"):
        body = message.get_body(preferencelist=(part,)).get_content()
        assert share.replace("&", "&amp;" if part == "html" else "&") in body


@pytest.mark.parametrize(
    ("language", "ask", "button"),
    [
        ("en", "Help the campaign grow by sharing the petition:", "Share the petition"),
        (
            "fr",
            "Aidez la campagne à grandir en partageant la pétition\u00a0:",
            "Partager la pétition",
        ),
    ],
)
@pytest.mark.parametrize("kind", [EmailKind.THANKS, EmailKind.ALREADY_SIGNED])
def test_the_thank_you_emails_ask_to_share_in_the_signers_language(
    petition, mail_server, kind, language, ask, button
):
    signature = SignatureFactory(petition=petition, language=language)

    send_signature_email(signature, kind)

    [message] = mail_server.received
    share = f"/{language}/p/{SEED_SLUG}/?source=email&amp;ref={signature.referral_code}"
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert ask in plain
    assert share.replace("&amp;", "&") in plain.split(ask, 1)[1]
    assert f'{share}">{button}</a>' in html


@pytest.mark.parametrize(
    ("language", "ask"),
    [
        ("en", "Once you have confirmed, ask your friends to sign too:"),
        (
            "fr",
            (
                "Une fois votre signature confirmée, demandez à vos proches"
                " de signer à leur tour\u00a0:"
            ),
        ),
    ],
)
def test_the_confirmation_email_asks_to_share_after_the_confirm_link(
    petition, mail_server, language, ask
):
    signature = SignatureFactory(
        petition=petition, language=language, status=Signature.Status.PENDING
    )

    send_signature_email(signature, EmailKind.CONFIRM)

    [message] = mail_server.received
    share = f"/{language}/p/{SEED_SLUG}/?source=email&ref={signature.referral_code}"
    plain = message.get_body(preferencelist=("plain",)).get_content()
    confirm_at = plain.index(f"/{language}/confirm/")
    assert plain.index(ask) > confirm_at  # confirming stays the first thing asked
    assert share in plain.split(ask, 1)[1]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert share.replace("&", "&amp;") in html
