"""The email provider's webhook reports a hard bounce or a spam complaint:
the address is marked undeliverable on every signature that has it, shown
and filterable in the admin, counted on the dashboard, and emailed no more.
A report without the webhook's credentials or signature changes nothing.

The payloads are shaped as in Anymail's own test suite (tests/test_postmark_
webhooks.py, test_mailgun_webhooks.py, test_sendgrid_webhooks.py,
test_brevo_webhooks.py, test_amazon_ses_webhooks.py), addressed to our
signers, and posted to the site's real webhook URL.
"""

import base64
import hashlib
import hmac
import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth.models import User
from django.core.management import call_command

from petition.models import Petition
from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.factories import PetitionFactory, SignatureFactory
from tests.html_tools import parse_page
from tests.signing import form_data

pytestmark = [
    pytest.mark.django_db,
    # Anymail warns that it no longer tests SendGrid (its issue 432); so does
    # its system check, anymail.W003, on a site that chooses SendGrid.
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

SECRET = "bounce-hook:Xq3v9Lr2Tz8Wm4Kp7Yn1Bc6Dh0Fs5Gj"
MAILGUN_SIGNING_KEY = "key-mailgun-webhook-signing-for-tests"
# SendGrid signs its event webhook with ECDSA (P-256); the site has the
# public half, as SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY.
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC_KEY = base64.b64encode(
    SENDGRID_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()

# As the signer typed it, and as another petition has it (a +tag, other dots):
# one inbox, as signatures/normalize.py folds Gmail addresses.
TYPED = "Jane.Doe@Gmail.com"
SAME_INBOX = "janedoe+petitions@gmail.com"

BOUNCED = Signature.Undeliverable.BOUNCED
COMPLAINED = Signature.Undeliverable.COMPLAINED


# --- What each provider posts ----------------------------------------------------


def postmark_bounce(to: str, kind: str = "HardBounce") -> dict:
    return {
        "RecordType": "Bounce",
        "ID": 901542550,
        "Type": kind,
        "TypeCode": 1 if kind == "HardBounce" else 4096,
        "ServerID": 23,
        "Name": "Hard bounce" if kind == "HardBounce" else "Soft bounce",
        "MessageID": "2706ee8a-737c-4285-b032-ccd317af53ed",
        "Description": "The server was unable to deliver your message (ex: unknown "
        "user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does "
        "not exist.",
        "Email": to,
        "From": "petition@example.org",
        "BouncedAt": "2026-11-27T16:28:50.3963933-05:00",
        "DumpAvailable": True,
        "Inactive": kind == "HardBounce",
        "CanActivate": True,
        "Subject": "Confirm your signature",
        "Metadata": {"signature": "3f9c3e4e-6a0b-4a5e-9a53-1d4f4b7a2c11"},
        "Tag": "confirm_signature",
    }


def postmark_spam_complaint(to: str) -> dict:
    return {
        "RecordType": "SpamComplaint",
        "ID": 901542551,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Tag": "confirm_signature",
        "MessageID": "2706ee8a-737c-4285-b032-ccd317af53ed",
        "ServerID": 1234,
        "Description": "",
        "Details": "Test spam complaint details",
        "Email": to,
        "From": "petition@example.org",
        "BouncedAt": "2026-11-27T16:28:50.3963933-05:00",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": False,
        "Subject": "Confirm your signature",
    }


def _mailgun_signed(event_data: dict, key: str = MAILGUN_SIGNING_KEY) -> dict:
    timestamp, token = (
        "1764278822",
        "651869375b9df3c98fc15c4889b102119add1235c38fc92824",
    )
    signature = hmac.new(
        key.encode("ascii"), f"{timestamp}{token}".encode("ascii"), hashlib.sha256
    ).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": event_data,
    }


def mailgun_failed(
    to: str,
    severity: str = "permanent",
    key: str = MAILGUN_SIGNING_KEY,
    reason: str = "",
):
    return _mailgun_signed(
        {
            "event": "failed",
            "severity": severity,
            "reason": reason or ("bounce" if severity == "permanent" else "generic"),
            "recipient": to,
            "timestamp": 1764278822.389832,
            "log-level": "error",
            "user-variables": {"signature": "3f9c3e4e-6a0b-4a5e-9a53-1d4f4b7a2c11"},
            "tags": ["confirm_signature"],
            "message": {
                "headers": {
                    "to": to,
                    "message-id": "20261127214658.1.0DF563D0B3597700@example.org",
                    "from": "Petition <petition@example.org>",
                },
            },
            "delivery-status": {
                "tls": True,
                "mx-host": "aspmx.l.example.org",
                "attempt-no": 1,
                "description": "",
                "session-seconds": 2.952177047729492,
                "code": 550 if severity == "permanent" else 452,
                "message": "5.1.1 The email account that you tried to reach does not "
                "exist.",
            },
        },
        key,
    )


def mailgun_complained(to: str) -> dict:
    return _mailgun_signed(
        {
            "event": "complained",
            "id": "ncV2XwymRUKbPek_MIM-Gw",
            "timestamp": 1764278822.049634,
            "log-level": "warn",
            "recipient": to,
            "message": {
                "headers": {
                    "to": to,
                    "message-id": "20261127032413.263EE2E0926@example.org",
                    "from": "Petition <petition@example.org>",
                    "subject": "Confirm your signature",
                },
            },
        }
    )


def _sendgrid(to: str, **event) -> list[dict]:
    return [
        {
            "email": to,
            "timestamp": 1764278822,
            "smtp-id": "<wrfRRvF7Q0GgwUo2CvDmEA@ismtpd0006p1sjc2.sendgrid.net>",
            "sg_event_id": "lC0Rc-FuQmKbnxCWxX1jRQ",
            "sg_message_id": "Lli-03HcQ5-JLybO9fXsJg.filter0077p1las1.21536.0",
            "category": ["confirm_signature"],
            "signature": "3f9c3e4e-6a0b-4a5e-9a53-1d4f4b7a2c11",
            **event,
        }
    ]


def sendgrid_bounce(to: str, kind: str = "bounce") -> list[dict]:
    return _sendgrid(
        to,
        event="bounce",
        type=kind,
        ip="167.89.17.173",
        status="5.1.1",
        tls=1,
        reason="550 5.1.1 The email account that you tried to reach does not exist.",
    )


def sendgrid_spamreport(to: str) -> list[dict]:
    return _sendgrid(to, event="spamreport")


def sendgrid_dropped(to: str, reason: str) -> list[dict]:
    return _sendgrid(to, event="dropped", reason=reason)


def brevo(to: str, event: str) -> dict:
    return {
        "event": event,
        "email": to,
        "id": 9999999,
        "ts_epoch": 1764278822000,
        "message-id": "<202611271158.9876543210@smtp-relay.mailin.fr>",
        "reason": " RecipientError: 550 5.5.0 Requested action not taken: mailbox "
        "unavailable.",
        "tags": ["confirm_signature"],
        "X-Mailin-custom": '{"signature": "3f9c3e4e-6a0b-4a5e-9a53-1d4f4b7a2c11"}',
    }


def amazon_ses(to: str, notification: str, bounce_type: str = "Permanent") -> dict:
    """An SNS notification carrying an SES bounce or complaint."""
    mail = {
        "timestamp": "2026-11-27T14:05:45.000Z",
        "messageId": "000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000",
        "source": "petition@example.org",
        "destination": [to],
        "headers": [
            {"name": "X-Tag", "value": "confirm_signature"},
            {"name": "X-Metadata", "value": '{"signature": "3f9c3e4e"}'},
        ],
    }
    if notification == "Bounce":
        detail = {
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": to,
                        "action": "failed",
                        "status": "5.0.0",
                        "diagnosticCode": "smtp; 550 user unknown",
                    }
                ],
                "timestamp": "2026-11-27T14:05:46.605Z",
                "feedbackId": "000001378603176d-5a4b5ad9-6f30-4198-a8c3-b1eb0c270a1d",
            }
        }
    else:
        detail = {
            "complaint": {
                "userAgent": "AnyCompany Feedback Loop (V0.01)",
                "complainedRecipients": [{"emailAddress": to}],
                "complaintFeedbackType": "abuse",
                "timestamp": "2026-11-27T14:59:38.623Z",
                "feedbackId": "000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a",
            }
        }
    return {
        "Type": "Notification",
        "MessageId": "19ba9823-d7f2-53c1-860e-cb10e0d13dfc",
        "TopicArn": "arn:aws:sns:ca-central-1:111111111111:SES_Events",
        "Message": json.dumps(
            {"notificationType": notification, "mail": mail, **detail}
        ),
        "Timestamp": "2026-11-27T14:05:46.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEf3Ag9B==",
        "SigningCertURL": "https://sns.ca-central-1.amazonaws.com/SimpleNotificationService-0000.pem",
        "UnsubscribeURL": "https://sns.ca-central-1.amazonaws.com/?Action=Unsubscribe",
    }


# --- Posting it -------------------------------------------------------------------


@pytest.fixture
def provider(settings):
    """Choose the site's email provider, configured as the settings module
    configures it from the environment, with every webhook key set."""

    def choose(name: str) -> None:
        settings.EMAIL_PROVIDER = name
        settings.ANYMAIL = {
            "WEBHOOK_SECRET": SECRET,
            "MAILGUN_API_KEY": "key-mailgun-api",
            "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
            "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": SENDGRID_PUBLIC_KEY,
            "AMAZON_SES_CLIENT_PARAMS": {"region_name": "ca-central-1"},
        }

    return choose


def _basic(secret: str) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


def report(client, name: str, payload, *, secret: str = SECRET, **headers):
    """Post a provider's report to its webhook, as that provider would."""
    body = json.dumps(payload)
    if name == "sendgrid":
        timestamp = "1764278822"
        headers.setdefault(
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE",
            base64.b64encode(
                SENDGRID_KEY.sign(
                    (timestamp + body).encode(), ec.ECDSA(hashes.SHA256())
                )
            ).decode(),
        )
        headers.setdefault("HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP", timestamp)
    if name == "amazon_ses":
        headers.setdefault("HTTP_X_AMZ_SNS_MESSAGE_TYPE", payload["Type"])
        headers.setdefault("HTTP_X_AMZ_SNS_MESSAGE_ID", payload["MessageId"])
    return client.post(
        f"/anymail/{name}/tracking/",
        body,
        content_type="text/plain" if name == "amazon_ses" else "application/json",
        HTTP_AUTHORIZATION=_basic(secret),
        **headers,
    )


@pytest.fixture
def signers(seed_campaign) -> dict[str, Signature]:
    """One inbox that signed two petitions, as typed two ways; and someone else."""
    other = PetitionFactory()
    return {
        "typed": SignatureFactory(
            petition=seed_campaign, email=TYPED, email_canonical="janedoe@gmail.com"
        ),
        "same_inbox": SignatureFactory(
            petition=other,
            email=SAME_INBOX,
            email_canonical="janedoe@gmail.com",
            pending=True,
        ),
        "someone_else": SignatureFactory(petition=seed_campaign),
    }


def _marks() -> dict[str, str]:
    return dict(
        Signature.objects.exclude(email_undeliverable_at=None).values_list(
            "email", "email_undeliverable_reason"
        )
    )


# --- Marked, or not -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "payload", "reason"),
    [
        pytest.param("postmark", postmark_bounce, BOUNCED, id="postmark-bounce"),
        pytest.param(
            "postmark", postmark_spam_complaint, COMPLAINED, id="postmark-complaint"
        ),
        pytest.param("mailgun", mailgun_failed, BOUNCED, id="mailgun-bounce"),
        pytest.param("mailgun", mailgun_complained, COMPLAINED, id="mailgun-complaint"),
        pytest.param("sendgrid", sendgrid_bounce, BOUNCED, id="sendgrid-bounce"),
        pytest.param(
            "sendgrid", sendgrid_spamreport, COMPLAINED, id="sendgrid-complaint"
        ),
        pytest.param(
            "brevo", lambda to: brevo(to, "hard_bounce"), BOUNCED, id="brevo-bounce"
        ),
        pytest.param(
            "brevo", lambda to: brevo(to, "complaint"), COMPLAINED, id="brevo-complaint"
        ),
        pytest.param(
            "amazon_ses",
            lambda to: amazon_ses(to, "Bounce"),
            BOUNCED,
            id="amazon-ses-bounce",
        ),
        pytest.param(
            "amazon_ses",
            lambda to: amazon_ses(to, "Complaint"),
            COMPLAINED,
            id="amazon-ses-complaint",
        ),
        # The provider refused to send for an earlier bounce on its own list.
        pytest.param(
            "sendgrid",
            lambda to: sendgrid_dropped(to, "Bounced Address"),
            BOUNCED,
            id="sendgrid-dropped-bounced-address",
        ),
    ],
)
def test_a_hard_bounce_or_complaint_marks_every_signature_of_that_inbox(
    client, provider, signers, name, payload, reason
):
    provider(name)

    response = report(client, name, payload(TYPED))

    assert response.status_code == 200
    assert _marks() == {TYPED: reason, SAME_INBOX: reason}
    # Still counted, still pending: only email stops.
    signers["typed"].refresh_from_db()
    assert signers["typed"].status == Signature.Status.CONFIRMED


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        pytest.param(
            "postmark", lambda to: postmark_bounce(to, "SoftBounce"), id="postmark-soft"
        ),
        pytest.param(
            "mailgun",
            lambda to: mailgun_failed(to, "temporary"),
            id="mailgun-temporary",
        ),
        *(
            pytest.param(
                "mailgun",
                lambda to, reason=reason: mailgun_failed(to, reason=reason),
                id=f"mailgun-permanent-{reason}",
            )
            # An unsubscription at Mailgun, a message that expired after
            # temporary failures, Mailgun's own block, another refusal.
            for reason in ("suppress-unsubscribe", "old", "espblock", "generic")
        ),
        pytest.param(
            "sendgrid", lambda to: sendgrid_bounce(to, "blocked"), id="sendgrid-blocked"
        ),
        # A receiving server's spam filter flagged one message: not the
        # person's complaint (Anymail reports it as one).
        pytest.param(
            "postmark",
            lambda to: postmark_bounce(to, "SpamNotification"),
            id="postmark-spam-notification",
        ),
        pytest.param("brevo", lambda to: brevo(to, "soft_bounce"), id="brevo-soft"),
        pytest.param(
            "amazon_ses",
            lambda to: amazon_ses(to, "Bounce", "Transient"),
            id="amazon-ses-transient",
        ),
        # Refused for a person's unsubscription at the provider: their choice
        # about mail, not an address that cannot receive it.
        pytest.param(
            "sendgrid",
            lambda to: sendgrid_dropped(to, "Unsubscribed Address"),
            id="sendgrid-dropped-unsubscribed",
        ),
    ],
)
def test_a_full_mailbox_or_a_passing_refusal_marks_nothing(
    client, provider, signers, name, payload
):
    provider(name)

    response = report(client, name, payload(TYPED))

    assert response.status_code == 200
    assert _marks() == {}


@pytest.mark.parametrize(
    ("name", "payload", "forgery"),
    [
        pytest.param("postmark", postmark_bounce, {"secret": "bounce-hook:guess"}),
        pytest.param("brevo", lambda to: brevo(to, "hard_bounce"), {"secret": "x:y"}),
        pytest.param(
            "amazon_ses", lambda to: amazon_ses(to, "Bounce"), {"secret": "ses:guess"}
        ),
        pytest.param("mailgun", mailgun_failed, {"secret": "x:y"}, id="mailgun-secret"),
        # The right secret, leaked, with Mailgun's or SendGrid's signature
        # missing or made with another key.
        pytest.param(
            "mailgun",
            lambda to: mailgun_failed(to, key="key-someone-else"),
            {},
            id="mailgun-signature",
        ),
        pytest.param(
            "sendgrid", sendgrid_bounce, {"secret": "x:y"}, id="sendgrid-secret"
        ),
        pytest.param(
            "sendgrid",
            sendgrid_bounce,
            {
                "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(
                    ec.generate_private_key(ec.SECP256R1()).sign(
                        b"1764278822[]", ec.ECDSA(hashes.SHA256())
                    )
                ).decode()
            },
            id="sendgrid-signature",
        ),
    ],
)
def test_a_forged_report_is_refused_and_marks_nothing(
    client, provider, signers, name, payload, forgery
):
    provider(name)

    response = report(client, name, payload(TYPED), **forgery)

    assert response.status_code in {400, 401}
    assert _marks() == {}


def test_a_report_with_no_credentials_is_refused_for_every_provider(
    client, provider, signers
):
    for name in ("postmark", "mailgun", "sendgrid", "brevo", "amazon_ses"):
        provider(name)
        response = client.post(
            f"/anymail/{name}/tracking/", "not even JSON", content_type="text/plain"
        )
        assert response.status_code == 401, name
    assert _marks() == {}


@pytest.mark.parametrize(
    "name", ["postmark", "mailgun", "sendgrid", "brevo", "amazon_ses"]
)
@pytest.mark.parametrize("body", ["not even JSON", "[]", "null", '"x"', "[1]", "{}"])
def test_a_payload_with_the_right_secret_but_unreadable_is_a_400(
    client, provider, signers, name, body
):
    provider(name)
    client.raise_request_exception = False

    response = client.post(
        f"/anymail/{name}/tracking/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic(SECRET),
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
    )

    assert response.status_code in {200, 400}
    assert _marks() == {}


def test_only_the_chosen_providers_webhook_answers(client, provider, settings, signers):
    provider("postmark")
    other = report(client, "mailgun", mailgun_failed(TYPED))
    settings.EMAIL_PROVIDER = ""  # SMTP: no provider, no webhook at all
    none = report(client, "postmark", postmark_bounce(TYPED))

    assert (other.status_code, none.status_code) == (404, 404)
    assert _marks() == {}


# --- What the mark changes -------------------------------------------------------------


@pytest.fixture
def bounced(client, provider, signers) -> dict[str, Signature]:
    """The signers, after Postmark reported the inbox's hard bounce."""
    provider("postmark")
    assert report(client, "postmark", postmark_bounce(TYPED)).status_code == 200
    for signature in signers.values():
        signature.refresh_from_db()
    return signers


@pytest.fixture
def organizer(client) -> User:
    call_command("createorganizer", "organizer@example.org", stdout=StringIO())
    user = User.objects.get(username="organizer@example.org")
    client.force_login(user)
    return user


CHANGELIST = "/admin/signatures/signature/"


def test_the_admin_shows_and_filters_undeliverable_addresses(
    client, bounced, organizer
):
    def listed(**filters) -> str:
        return parse_page(client.get(CHANGELIST, filters).content.decode()).visible_text

    everyone = listed()
    undeliverable = listed(undeliverable="any")
    bounces = listed(undeliverable="bounced")
    complaints = listed(undeliverable="complained")
    deliverable = listed(undeliverable="none")

    assert "Email undeliverable: hard bounce" in everyone
    someone_else = bounced["someone_else"].full_name
    jane = bounced["typed"].full_name
    assert jane in undeliverable
    assert someone_else not in undeliverable
    assert jane in bounces
    assert jane not in complaints
    assert someone_else in deliverable
    assert jane not in deliverable
    detail = client.get(f"{CHANGELIST}{bounced['typed'].pk}/change/").content.decode()
    assert "email undeliverable since" in detail.lower()


def test_the_dashboard_counts_undeliverable_addresses(client, bounced, organizer):
    petition = Petition.objects.get(slug=SEED_SLUG)

    page = parse_page(
        client.get(
            f"/admin/petition/petition/{petition.pk}/dashboard/"
        ).content.decode()
    )

    # On this petition: Jane, not the other petition's row nor someone else.
    assert page.by_id("total-undeliverable").text == "1"


def test_the_admin_resend_leaves_undeliverable_addresses_out(
    client, bounced, organizer, mail_server, django_capture_on_commit_callbacks
):
    pending_ok = SignatureFactory(
        petition=bounced["same_inbox"].petition, pending=True, email="ok@example.org"
    )
    selected = [bounced["same_inbox"], pending_ok]

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            CHANGELIST,
            {
                "action": "resend_confirmation",
                "_selected_action": [s.pk for s in selected],
                "apply": "1",
            },
            follow=True,
        ).content.decode()

    assert [m["To"] for m in mail_server.received] == ["ok@example.org"]
    assert "resent to 1 pending signer" in done
    assert "reported their address as bouncing or complaining" in done


def test_a_signer_asking_for_a_new_link_gets_nothing_once_undeliverable(
    client, bounced, mail_server, django_capture_on_commit_callbacks
):
    other = bounced["same_inbox"].petition
    SignatureFactory(petition=other, pending=True, email="ok@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        for address in (SAME_INBOX, "ok@example.org"):
            client.post(f"/en/p/{other.slug}/resend/", {"email": address})

    assert [m["To"] for m in mail_server.received] == ["ok@example.org"]


def test_signing_again_with_an_undeliverable_address_sends_nothing(
    client, bounced, mail_server, django_capture_on_commit_callbacks
):
    other = PetitionFactory()  # a new petition: a brand-new signature
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/p/{SEED_SLUG}/sign/", form_data(email=TYPED))  # again
        client.post(f"/en/p/{other.slug}/sign/", form_data(email="jane.doe@gmail.com"))
        client.post(f"/en/p/{other.slug}/sign/", form_data(email="ok@example.org"))

    assert [m["To"] for m in mail_server.received] == ["ok@example.org"]
    new = Signature.objects.get(petition=other, email="jane.doe@gmail.com")
    assert new.email_undeliverable_reason == BOUNCED
    # Nothing cleared the mark on the first petition either.
    assert Signature.objects.get(pk=bounced["typed"].pk).email_undeliverable_at


def test_deliverable_is_what_campaign_updates_will_use(bounced):
    assert set(Signature.objects.deliverable()) == {bounced["someone_else"]}


def test_a_full_batch_of_sendgrid_events_is_read(client, provider, signers):
    """SendGrid posts its events in batches of up to 768 KB: the bounce in a
    batch of 1,500 deliveries still marks its address."""
    provider("sendgrid")
    deliveries = [
        event
        for n in range(1500)
        for event in _sendgrid(f"reader{n}@example.org", event="delivered")
    ]
    payload = [*deliveries, *sendgrid_bounce(TYPED)]
    assert len(json.dumps(payload)) > 512 * 1024

    response = report(client, "sendgrid", payload)

    assert response.status_code == 200
    assert set(_marks()) == {TYPED, SAME_INBOX}
