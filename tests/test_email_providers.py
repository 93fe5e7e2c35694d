"""Email through a provider's API (django-anymail) instead of SMTP: the email
worker sends through it, keeps its HTTP connection from one email to the
next, retries what the provider refuses for now and gives up on a recipient
it refuses for good."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from signatures import emails
from signatures.models import Signature
from tests.backing_services import PostmarkAPI
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.servers import free_port
from tests.signing import form_data

# The worker opens its own connections, as in production: these tests commit.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"
TOKEN = "postmark-server-token-for-tests"


def run_worker() -> None:
    call_command(
        "db_worker",
        "--batch",
        "--no-startup-delay",
        "--queue-name",
        "email",
        verbosity=0,
    )


def _sign(client, count: int = 1, start: int = 0) -> None:
    for n in range(start, start + count):
        client.post(SIGN_URL, form_data(email=f"s{n}@example.org"))


@pytest.fixture
def postmark(settings, monkeypatch):
    """Postmark's API on loopback, and the site sending through Anymail's
    Postmark backend to it, emails queued for the worker."""
    api = PostmarkAPI()
    api.start()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    settings.TASKS = DATABASE_QUEUE
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": TOKEN,
        "POSTMARK_API_URL": api.url,
        "REQUESTS_TIMEOUT": 5,
    }
    yield api
    emails.forget_kept_connection()  # a session to this server is of no use now
    api.close()


def test_the_worker_sends_through_an_anymail_backend(client, settings):
    settings.TASKS = DATABASE_QUEUE
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    _sign(client)
    assert mail.outbox == []  # queued, not sent in the request

    run_worker()
    emails.forget_kept_connection()

    signature = Signature.objects.get()
    [message] = mail.outbox
    sent = message.anymail_test_params
    assert [address.addr_spec for address in sent["to"]] == ["s0@example.org"]
    assert "/en/confirm/" in sent["text_body"]
    # What the provider's webhook gives back, and what its reports group by;
    # never the address.
    assert sent["metadata"] == {"signature": str(signature.public_id)}
    assert sent["tags"] == ["confirm_signature"]
    assert message.anymail_status.status == {"sent"}
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_a_run_of_emails_goes_over_one_http_connection_to_the_provider(
    client, postmark
):
    _sign(client, 5)

    run_worker()

    assert sorted(m["To"] for m in postmark.received) == [
        f"s{n}@example.org" for n in range(5)
    ]
    assert postmark.connections == 1
    assert postmark.tokens == {TOKEN}
    assert postmark.received[0]["Tag"] == "confirm_signature"
    assert set(postmark.received[0]["Metadata"]) == {"signature"}
    # The one-click unsubscribe headers travel through the API too.
    headers = {h["Name"]: h["Value"] for h in postmark.received[0]["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize("refusal", ["503", "429"])
def test_a_provider_that_says_try_later_gets_the_email_once_it_accepts(
    client, postmark, refusal
):
    postmark.mode = refusal
    _sign(client)

    run_worker()

    assert (postmark.refused, postmark.received) == (1, [])
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now() + timedelta(seconds=30)

    postmark.mode = "accept"
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    run_worker()  # nothing left: sent once, not again

    assert [m["To"] for m in postmark.received] == ["s0@example.org"]
    assert DBTaskResult.objects.get(pk=retry.pk).status == TaskResultStatus.SUCCESSFUL


def test_an_unreachable_provider_is_tried_again_later(client, postmark, settings):
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "POSTMARK_API_URL": f"http://127.0.0.1:{free_port()}/",
    }
    _sign(client)

    run_worker()

    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert Signature.objects.count() == 1


def test_an_amazon_ses_api_out_of_reach_is_tried_again_later(client, settings):
    """boto3's errors reach us as Anymail's own, which are no OSError."""
    settings.TASKS = DATABASE_QUEUE
    settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    settings.ANYMAIL = {
        "AMAZON_SES_CLIENT_PARAMS": {
            "endpoint_url": f"http://127.0.0.1:{free_port()}",
            "region_name": "ca-central-1",
            "aws_access_key_id": "AKIDEXAMPLE",
            "aws_secret_access_key": "secret-for-tests",
            "config": {"connect_timeout": 1, "retries": {"total_max_attempts": 1}},
        }
    }
    _sign(client)

    run_worker()
    emails.forget_kept_connection()

    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert failed.exception_class_path.endswith("EmailNotSent")
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.args_kwargs["kwargs"]["attempt"] == 2


def test_a_recipient_the_provider_refuses_for_good_is_not_tried_again(client, postmark):
    postmark.mode = "inactive"
    _sign(client)

    run_worker()

    assert postmark.refused == 1
    failed = DBTaskResult.objects.get()
    assert failed.status == TaskResultStatus.FAILED
    # The stored error says why, with the address masked.
    assert failed.exception_class_path.endswith("EmailNotSent")
    assert "AnymailRecipientsRefused" in failed.traceback
    assert "s0@example.org" not in failed.traceback
    assert Signature.objects.count() == 1


def test_a_refused_recipient_does_not_spoil_the_next_email(client, postmark):
    postmark.mode = "inactive"
    _sign(client)
    run_worker()
    postmark.mode = "accept"

    _sign(client, start=1)
    run_worker()

    assert [m["To"] for m in postmark.received] == ["s1@example.org"]
