"""What each email provider posts to its webhook, and posting it as that
provider would. The payloads are shaped as in Anymail's own test suite
(tests/test_postmark_webhooks.py, test_mailgun_webhooks.py,
test_sendgrid_webhooks.py, test_brevo_webhooks.py,
test_amazon_ses_webhooks.py), addressed to our signers."""

import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signatures.models import Signature

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


def mailgun_signed(event_data: dict, key: str = MAILGUN_SIGNING_KEY) -> dict:
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
    return mailgun_signed(
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
    return mailgun_signed(
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


def sendgrid_events(to: str, **event) -> list[dict]:
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
    return sendgrid_events(
        to,
        event="bounce",
        type=kind,
        ip="167.89.17.173",
        status="5.1.1",
        tls=1,
        reason="550 5.1.1 The email account that you tried to reach does not exist.",
    )


def sendgrid_spamreport(to: str) -> list[dict]:
    return sendgrid_events(to, event="spamreport")


def sendgrid_dropped(to: str, reason: str) -> list[dict]:
    return sendgrid_events(to, event="dropped", reason=reason)


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


def basic_auth(secret: str) -> str:
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
        HTTP_AUTHORIZATION=basic_auth(secret),
        **headers,
    )


def marks() -> dict[str, str]:
    return dict(
        Signature.objects.exclude(email_undeliverable_at=None).values_list(
            "email", "email_undeliverable_reason"
        )
    )
