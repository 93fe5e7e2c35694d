"""The email provider's webhook reports a hard bounce or a spam complaint:
the address is marked undeliverable on every signature that has it; a
report without the webhook's credentials or signature changes nothing."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from signatures.models import Signature
from tests.bounces.reports import (
    BOUNCED,
    COMPLAINED,
    SAME_INBOX,
    SECRET,
    TYPED,
    amazon_ses,
    basic_auth,
    brevo,
    mailgun_complained,
    mailgun_failed,
    marks,
    postmark_bounce,
    postmark_spam_complaint,
    report,
    sendgrid_bounce,
    sendgrid_dropped,
    sendgrid_events,
    sendgrid_spamreport,
)

pytestmark = [
    pytest.mark.django_db,
    # Anymail warns that it no longer tests SendGrid (its issue 432); so does
    # its system check, anymail.W003, on a site that chooses SendGrid.
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]


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
    assert marks() == {TYPED: reason, SAME_INBOX: reason}
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
    assert marks() == {}


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
    assert marks() == {}


def test_a_report_with_no_credentials_is_refused_for_every_provider(
    client, provider, signers
):
    for name in ("postmark", "mailgun", "sendgrid", "brevo", "amazon_ses"):
        provider(name)
        response = client.post(
            f"/anymail/{name}/tracking/", "not even JSON", content_type="text/plain"
        )
        assert response.status_code == 401, name
    assert marks() == {}


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
        HTTP_AUTHORIZATION=basic_auth(SECRET),
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
    )

    assert response.status_code in {200, 400}
    assert marks() == {}


def test_only_the_chosen_providers_webhook_answers(client, provider, settings, signers):
    provider("postmark")
    other = report(client, "mailgun", mailgun_failed(TYPED))
    settings.EMAIL_PROVIDER = ""  # SMTP: no provider, no webhook at all
    none = report(client, "postmark", postmark_bounce(TYPED))

    assert (other.status_code, none.status_code) == (404, 404)
    assert marks() == {}


def test_a_full_batch_of_sendgrid_events_is_read(client, provider, signers):
    """SendGrid posts its events in batches of up to 768 KB: the bounce in a
    batch of 1,500 deliveries still marks its address."""
    provider("sendgrid")
    deliveries = [
        event
        for n in range(1500)
        for event in sendgrid_events(f"reader{n}@example.org", event="delivered")
    ]
    payload = [*deliveries, *sendgrid_bounce(TYPED)]
    assert len(json.dumps(payload)) > 512 * 1024

    response = report(client, "sendgrid", payload)

    assert response.status_code == 200
    assert set(marks()) == {TYPED, SAME_INBOX}
