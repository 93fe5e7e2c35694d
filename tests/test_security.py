"""Security headers on every answer, and no personal data in any log."""

import io
import logging
import re
import traceback
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from core.redaction import redact
from signatures.models import Signature
from signatures.tasks import EmailNotSent, send_signature_email
from tests.conftest import SEED_SLUG
from tests.factories import SignatureFactory
from tests.servers import free_port, gunicorn, http, migrate, server_env
from tests.signing import form_data

pytestmark = pytest.mark.django_db

SIGNER_EMAIL = "jane.private@example.org"
SIGNER_IP = "203.0.113.77"


def test_https_answers_carry_every_security_header(client, seed_campaign):
    response = client.get(f"/en/p/{SEED_SLUG}/", secure=True)

    assert response.status_code == 200
    assert re.fullmatch(
        r"max-age=\d{8,}", response.headers["Strict-Transport-Security"]
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "script-src 'self'" in policy


def test_csrf_cookie_is_secure_and_same_site(client, seed_campaign):
    # The resend form keeps Django's token (the campaign page sets no cookie).
    response = client.get(f"/en/p/{SEED_SLUG}/resend/", secure=True)

    cookie = response.cookies["csrftoken"]
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"


def test_admin_session_cookie_is_secure_http_only_and_same_site(client, admin_user):
    response = client.post(
        "/admin/login/",
        {"username": "admin", "password": "password", "next": "/admin/"},
        secure=True,
    )

    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# --- Logs ---------------------------------------------------------------------


def test_redaction_masks_emails_hashes_addresses_and_cuts_signed_links():
    line = redact(
        f"refused {SIGNER_EMAIL} from {SIGNER_IP} and 2001:db8::7 at 12:30:05 "
        "GET /en/confirm/MQ:1tXyZa:abcdefghijklmnopqrstuvwxyz0123/"
    )

    assert SIGNER_EMAIL not in line
    assert "j•••@example.org" in line
    assert SIGNER_IP not in line
    assert "2001:db8::7" not in line
    assert re.search(r"from ip-[0-9a-f]{12} and ip-[0-9a-f]{12}", line)
    assert "12:30:05" in line  # a time is not an address
    assert "/en/confirm/[signed-link]/" in line


@pytest.mark.parametrize(
    ("line", "leak"),
    [
        ("GET /admin/signatures/signature/?q=jane%40example.org", "jane"),
        ("GET /en/signature/MQ%3A1tXyZa%3Aabcdefghijklmnopqrstuvwxyz0123/", "MQ"),
        ("connection from 203.0.113.77:51234 closed", SIGNER_IP),
        ("refused from 203.0.113.77.", SIGNER_IP),
        ("{'jane.private@example.org': (550, b'Mailbox full')}", "jane"),
    ],
    ids=[
        "escaped-email",
        "escaped-token",
        "ip-with-port",
        "ip-ending-sentence",
        "repr",
    ],
)
def test_redaction_catches_escaped_and_punctuated_forms(line, leak):
    assert leak not in redact(line)


def test_a_huge_log_line_is_cut_before_it_is_searched():
    # A Referer alone can hold 8 KB; the patterns are linear, and bounded anyway.
    line = redact("GET /?" + "a" * 100_000 + " from 203.0.113.77")

    assert line.endswith(" [cut]")
    assert len(line) < 8300
    assert SIGNER_IP not in line


@pytest.fixture
def refusing_mail_server(settings) -> Iterator[None]:
    """A real SMTP server that refuses the recipient, as a full mailbox does;
    smtplib's error then names the address."""

    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 5.2.2 Mailbox full"

    controller = Controller(Refuse(), hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield
    controller.stop()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the handler configured in settings.LOGGING writes, filters and all."""
    (handler,) = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler)
        and not type(h).__module__.startswith("_pytest")
    ]
    output = io.StringIO()
    previous = handler.setStream(output)
    yield output
    handler.setStream(previous)


@pytest.mark.usefixtures("refusing_mail_server")
def test_no_email_or_ip_address_reaches_the_log(
    client, log_output, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/en/p/{SEED_SLUG}/sign/",
            form_data(email=SIGNER_EMAIL),
            REMOTE_ADDR=SIGNER_IP,
        )
    client.get(f"/en/p/{SIGNER_EMAIL}/", REMOTE_ADDR=SIGNER_IP)  # a 404, logged
    logging.getLogger("signatures").warning(
        "Suspicious signing from %s by %s", SIGNER_IP, SIGNER_EMAIL
    )

    assert response.status_code == 302
    assert Signature.objects.get().email == SIGNER_EMAIL  # the data is kept...
    log = log_output.getvalue()
    # ...and the log says what happened,
    assert "email for signature" in log
    assert "SMTPRecipientsRefused" in log
    assert "Not Found: /en/p/j•••@example.org/" in log, log
    assert "Suspicious signing from ip-" in log
    # without saying to whom.
    assert SIGNER_EMAIL not in log
    assert "jane.private" not in log
    assert SIGNER_IP not in log


def test_gunicorn_access_log_holds_no_address_and_no_signed_link(tmp_path):
    access_log = tmp_path / "access.log"
    env = server_env(
        f"sqlite:///{tmp_path / 'db.sqlite3'}", GUNICORN_ACCESSLOG=str(access_log)
    )
    migrate(env)
    token = "MQ:1tXyZa:abcdefghijklmnopqrstuvwxyz0123"

    with gunicorn(env) as base:
        reply = http(
            f"{base}/en/confirm/{token}/",
            headers={"Referer": f"https://mail.example/?to={SIGNER_EMAIL}"},
        )

    assert reply.status == 400
    log = access_log.read_text()
    assert "/en/confirm/[signed-link]/" in log
    assert token not in log
    assert "127.0.0.1" not in log
    assert re.search(r"^ip-[0-9a-f]{12} ", log, re.MULTILINE)
    assert SIGNER_EMAIL not in log


@pytest.mark.usefixtures("refusing_mail_server")
def test_a_failed_send_keeps_no_address_in_the_task_result(seed_campaign):
    signature = SignatureFactory(petition=seed_campaign, email=SIGNER_EMAIL)

    with pytest.raises(EmailNotSent) as failure:
        send_signature_email.call(signature_id=signature.pk, kind="confirm_signature")

    # django-tasks stores this exception's traceback with the task's result.
    stored = "".join(traceback.format_exception(failure.value))
    assert "SMTPRecipientsRefused" in stored
    assert "j•••@example.org" in stored
    assert SIGNER_EMAIL not in stored


def test_an_address_no_email_can_carry_fails_without_leaving_it_in_the_task(
    seed_campaign,
):
    # Stored some other way than the form, which refuses it.
    signature = SignatureFactory(
        petition=seed_campaign, email=f"{SIGNER_EMAIL}, victim@example.org"
    )

    with pytest.raises(EmailNotSent) as failure:
        send_signature_email.call(signature_id=signature.pk, kind="confirm_signature")

    stored = "".join(traceback.format_exception(failure.value))
    assert SIGNER_EMAIL not in stored
    assert "victim@example.org" not in stored


@pytest.mark.parametrize("charset", ["base64", "rot13", "zlib", "hex"])
@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data; boundary=B", "application/x-www-form-urlencoded"],
)
@pytest.mark.parametrize("path", [f"/en/p/{SEED_SLUG}/sign/", "/admin/login/"])
def test_a_body_whose_charset_is_no_text_encoding_gets_a_400_not_a_500(
    client, seed_campaign, charset, content_type, path
):
    response = client.generic(
        "POST",
        path,
        b'--B\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n--B--\r\n',
        content_type=f"{content_type}; charset={charset}",
    )

    assert response.status_code == 400
