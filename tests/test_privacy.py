"""Signers in control of their data: the link in every email, one-click
unsubscribe, the privacy page, retention, and what organizers send a person
who asks what we hold about them."""

import json
import re
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core import signing
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from petition.public import public_stats
from signatures.emails import EmailKind, build_signature_email
from signatures.models import ModerationAction, Signature
from signatures.services import confirmation_resend
from tests.conftest import DATABASE_QUEUE, SEED_SLUG
from tests.factories import PetitionFactory, SignatureFactory
from tests.html_tools import parse_page
from tests.signing import confirmation_link, form_data

pytestmark = pytest.mark.django_db

SIGN = f"/en/p/{SEED_SLUG}/sign/"


def manage_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/(?:en|fr)/signature/[^\s/]+/)", message.body)
    assert match, f"no link to manage the signature in: {message.body}"
    return match.group(1)


@pytest.fixture
def sign(client, mailoutbox, django_capture_on_commit_callbacks):
    """Sign (and confirm) through the site; returns the last email received."""

    def sign(confirm: bool = True, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(SIGN, form_data(**fields))
        if confirm:
            with django_capture_on_commit_callbacks(execute=True):
                client.post(confirmation_link(mailoutbox[-1]))
        return mailoutbox[-1]

    return sign


def _count(petition) -> int:
    return public_stats(petition).count


# --- The link in every email ------------------------------------------------


@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_links_to_the_signers_own_page(kind, seed_campaign):
    signature = SignatureFactory(petition=seed_campaign)

    message = build_signature_email(signature, kind)

    assert manage_link(message)
    html = message.alternatives[0].content
    assert "Manage your signature" in html
    assert re.search(r'href="https?://[^"]+/en/signature/[^"/]+/"', html)


@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_offers_one_click_unsubscribe(kind, seed_campaign):
    signature = SignatureFactory(petition=seed_campaign)

    headers = build_signature_email(signature, kind).message()

    assert re.fullmatch(
        r"<https?://[^>]+/en/signature/[^/>]+/unsubscribe/>",
        headers["List-Unsubscribe"],
    )
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_opening_the_link_shows_what_we_hold_and_changes_nothing(
    client, sign, seed_campaign
):
    link = manage_link(sign(wants_updates="on"))

    response = client.get(link)

    assert response.status_code == 200
    page = parse_page(response.content.decode())
    assert "Jane Doe" in page.text
    assert "j•••@example.org" in page.text
    assert {b.attrs["value"] for b in page.all("button")} == {
        "stop_updates",
        "withdraw",
        "erase",
    }
    assert all(form.attrs["method"] == "post" for form in page.all("form"))
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.wants_updates
    assert "no-store" in response.headers["Cache-Control"]


def test_signer_withdraws_from_the_email_and_the_count_drops(
    client, sign, seed_campaign, django_capture_on_commit_callbacks
):
    link = manage_link(sign())
    assert _count(seed_campaign) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, {"action": "withdraw"})

    assert response.status_code == 200
    assert "Your signature is withdrawn" in response.content.decode()
    # The page's own address holds the token: no link passes it on.
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert Signature.objects.get().status == Signature.Status.WITHDRAWN
    assert _count(seed_campaign) == 0
    assert (
        parse_page(client.get(f"/en/p/{SEED_SLUG}/").content.decode())
        .all("progress")[0]
        .attrs["value"]
        == "0"
    )
    assert ModerationAction.objects.get().kind == ModerationAction.Kind.WITHDRAW


def test_signer_erases_their_data_and_the_count_drops(
    client, sign, seed_campaign, django_capture_on_commit_callbacks
):
    link = manage_link(sign())
    assert _count(seed_campaign) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, {"action": "erase"})

    assert response.status_code == 200
    assert "Your data is erased" in response.content.decode()
    assert not Signature.objects.exists()
    assert _count(seed_campaign) == 0
    record = ModerationAction.objects.get()
    assert record.kind == ModerationAction.Kind.ERASE
    assert record.performed_by is None
    assert "jane" not in json.dumps(record.criteria).lower() + record.reason.lower()
    # The link goes nowhere now: nothing is left to show.
    assert client.get(link).status_code == 404


def queued_requests_for_a_new_link() -> list[tuple[int, str]]:
    """The petition and address each request for a new link names in the
    task queue, whatever the state of its task."""
    return sorted(
        (kwargs["petition_id"], kwargs["email_canonical"])
        for kwargs in (
            row.args_kwargs["kwargs"]
            for row in DBTaskResult.objects.filter(task_path__endswith="resend")
        )
    )


def test_erasing_a_signature_leaves_its_address_in_no_request_for_a_new_link(
    client, sign, seed_campaign, settings, mailoutbox
):
    link = manage_link(sign(email="Leaving.Soon@example.org"))
    SignatureFactory(petition=seed_campaign, email="staying@example.org")
    elsewhere = PetitionFactory()
    SignatureFactory(petition=elsewhere, email="leaving.soon@example.org")
    settings.TASKS = DATABASE_QUEUE
    confirmation_resend(petition=seed_campaign, email="leaving.soon@example.org")
    asked_before = DBTaskResult.objects.get()
    asked_before.claim("worker-1")
    asked_before.set_successful(None)  # a new link was sent then
    confirmation_resend(petition=seed_campaign, email="LEAVING.SOON@example.org")
    running = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    running.claim("worker-2")  # and another is being sent right now
    confirmation_resend(petition=seed_campaign, email="leaving.soon@EXAMPLE.org")
    confirmation_resend(petition=seed_campaign, email="staying@example.org")
    confirmation_resend(petition=elsewhere, email="leaving.soon@example.org")
    mailoutbox.clear()

    client.post(link, {"action": "erase"})

    assert queued_requests_for_a_new_link() == [
        (0, ""),
        (0, ""),
        (0, ""),
        (seed_campaign.pk, "staying@example.org"),
        (elsewhere.pk, "leaving.soon@example.org"),
    ]
    still_naming = [
        row.args_kwargs["kwargs"]["petition_id"]
        for row in DBTaskResult.objects.all()
        if "leaving" in json.dumps(row.args_kwargs).lower() + row.traceback.lower()
    ]
    assert still_naming == [elsewhere.pk]
    # The send under way finishes as usual, and leaves the address out.
    running.set_successful(None)
    running.refresh_from_db()
    assert running.status == TaskResultStatus.SUCCESSFUL
    assert "leaving" not in json.dumps(running.args_kwargs)
    # The request still waiting finds no one when it runs.
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, args_kwargs__kwargs__email_canonical=""
    )
    assert waiting.count() == 1
    for row in waiting:
        row.task.call(*row.task_result.args, **row.task_result.kwargs)
    assert mailoutbox == []


def test_erasing_a_pending_signature_leaves_the_count_alone(
    client, sign, seed_campaign, django_capture_on_commit_callbacks
):
    SignatureFactory(petition=seed_campaign)
    link = manage_link(sign(confirm=False))
    assert _count(seed_campaign) == 1

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, {"action": "erase"})

    assert Signature.objects.count() == 1
    assert _count(seed_campaign) == 1


def test_signer_stops_updates_and_still_counts(client, sign, seed_campaign):
    link = manage_link(sign(wants_updates="on"))

    client.post(link, {"action": "stop_updates"})

    signature = Signature.objects.get()
    assert not signature.wants_updates
    assert signature.status == Signature.Status.CONFIRMED
    assert _count(seed_campaign) == 1


def test_unknown_action_changes_nothing_and_says_so(client, sign):
    link = manage_link(sign())

    response = client.post(link, {"action": "delete everything"})

    assert response.status_code == 400
    assert "Please choose one of the buttons below." in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_the_page_needs_the_csrf_token_like_every_form(sign):
    link = manage_link(sign())

    response = Client(enforce_csrf_checks=True).post(link, {"action": "erase"})

    assert response.status_code == 403
    assert Signature.objects.exists()


def test_altered_link_is_refused_with_a_friendly_page(client, sign):
    link = manage_link(sign())
    token = link.split("/")[-2]
    forged = link.replace(
        token, signing.dumps(str(uuid.uuid4()), salt="signatures.manage")[:-2]
    )

    response = client.post(forged, {"action": "erase"})

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert Signature.objects.exists()


def test_confirmation_link_cannot_be_used_to_manage(client, sign, mailoutbox):
    sign(confirm=False)
    confirm_token = confirmation_link(mailoutbox[-1]).split("/")[-2]

    response = client.post(f"/en/signature/{confirm_token}/", {"action": "erase"})

    assert response.status_code == 404
    assert Signature.objects.exists()


def test_signing_again_after_withdrawing_starts_afresh_from_the_new_link(
    client, sign, mailoutbox, seed_campaign, django_capture_on_commit_callbacks
):
    link = manage_link(sign())  # not inside the block below: its tally runs once
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, {"action": "withdraw"})
    assert _count(seed_campaign) == 0

    email = sign(confirm=False, full_name="Jane Q. Doe")

    # Nothing changes until the link emailed for this submission is used.
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.WITHDRAWN
    assert signature.full_name == "Jane Doe"
    assert "/confirm/" in email.body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirmation_link(email))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Jane Q. Doe"
    assert _count(seed_campaign) == 1


def test_confirmation_link_after_withdrawing_offers_to_sign_again(
    client, sign, mailoutbox
):
    sign(confirm=False)
    confirm = confirmation_link(mailoutbox[-1])
    client.post(manage_link(mailoutbox[-1]), {"action": "withdraw"})

    response = client.get(confirm)

    assert "You withdrew this signature" in response.content.decode()
    client.post(confirm)
    assert Signature.objects.get().status == Signature.Status.WITHDRAWN


# --- One-click unsubscribe (RFC 8058) -----------------------------------------


def _unsubscribe_url(message) -> str:
    header = message.message()["List-Unsubscribe"]
    return re.sub(r"^<https?://[^/]+", "", header).rstrip(">")


def test_mail_program_unsubscribes_in_one_post_without_a_form(sign):
    url = _unsubscribe_url(sign(wants_updates="on"))
    mail_program = Client(enforce_csrf_checks=True)

    response = mail_program.post(
        url,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    signature = Signature.objects.get()
    assert not signature.wants_updates
    assert signature.status == Signature.Status.CONFIRMED


def test_prefetching_the_unsubscribe_link_unsubscribes_nobody(client, sign):
    url = _unsubscribe_url(sign(wants_updates="on"))

    response = client.get(url)

    assert response.status_code == 200
    assert parse_page(response.content.decode()).all("button")[0].text == (
        "Stop updates"
    )
    assert Signature.objects.get().wants_updates


# --- The privacy page -----------------------------------------------------------


def test_privacy_page_says_what_is_kept_why_and_for_how_long(client, settings):
    settings.RETENTION_UNCONFIRMED_DAYS = 30
    settings.RETENTION_AFTER_CLOSE_DAYS = 183
    settings.PRIVACY_CONTACT_EMAIL = "privacy@example.org"

    response = client.get("/en/privacy/")

    assert response.status_code == 200
    text = parse_page(response.content.decode()).visible_text
    for heading in ["What we keep", "Why", "Who sees it", "For how long"]:
        assert heading in text
    assert "deleted after 30 days" in text
    assert "About 6 months after a petition closes" in text
    assert "privacy@example.org" in text


def test_privacy_page_is_in_french_too(client):
    response = client.get("/fr/privacy/")

    assert response.status_code == 200
    assert "Ce que nous gardons" in response.content.decode()


def test_privacy_page_is_linked_from_the_form_and_every_page(client, seed_campaign):
    page = parse_page(client.get(f"/en/p/{SEED_SLUG}/").content.decode())

    links = [a.attrs["href"] for a in page.all("a")]
    assert links.count("/en/privacy/") == 2  # beside the form, and in the footer


# --- Retention ------------------------------------------------------------------


def test_purge_unconfirmed_deletes_only_old_signatures_that_never_counted(
    seed_campaign,
):
    old = timezone.now() - timedelta(days=31)
    SignatureFactory(petition=seed_campaign, pending=True, created_at=old)
    SignatureFactory(
        petition=seed_campaign, status=Signature.Status.WITHDRAWN, created_at=old
    )
    recent_pending = SignatureFactory(petition=seed_campaign, pending=True)
    old_confirmed = SignatureFactory(petition=seed_campaign, created_at=old)
    out = StringIO()

    call_command("purge_unconfirmed", "--days", "30", stdout=out)

    assert set(Signature.objects.all()) == {recent_pending, old_confirmed}
    assert "Deleted 2 signatures" in out.getvalue()
    assert ModerationAction.objects.get().count == 2


def test_anonymise_closed_removes_personal_data_and_keeps_the_counts(
    seed_campaign, client
):
    closed = PetitionFactory(is_open=False)
    closed.closed_at = timezone.now() - timedelta(days=200)
    closed.save(update_fields=["closed_at"])
    SignatureFactory.create_batch(
        3, petition=closed, province="QC", wants_updates=True, show_name_publicly=True
    )
    SignatureFactory(petition=closed, pending=True)
    open_signature = SignatureFactory(petition=seed_campaign)
    count_before = _count(closed)

    call_command("anonymise_closed", "--days", "183", stdout=StringIO())

    for signature in Signature.objects.filter(petition=closed):
        assert signature.full_name == ""
        assert signature.email == ""
        assert signature.email_canonical == f"anonymised-{signature.pk}"
        assert signature.postal_code == ""
        assert signature.ip_hash == ""
        assert not signature.wants_updates
        assert signature.anonymised_at is not None
    assert Signature.objects.filter(petition=closed, province="QC").count() == 3
    from django.core.cache import cache

    cache.clear()  # recount from the database
    assert _count(closed) == count_before == 3
    open_signature.refresh_from_db()
    assert open_signature.email
    assert open_signature.anonymised_at is None
    # Run daily: a second run finds nothing more to do.
    out = StringIO()
    call_command("anonymise_closed", "--days", "183", stdout=out)
    assert "Anonymised 0 signatures" in out.getvalue()


def test_recently_closed_petition_keeps_its_data_until_the_time_is_up(
    seed_campaign,
):
    seed_campaign.is_open = False
    seed_campaign.save()
    SignatureFactory(petition=seed_campaign)

    call_command("anonymise_closed", "--days", "183", stdout=StringIO())

    assert Signature.objects.get().email
    assert seed_campaign.closed_at is not None


def test_reopening_a_petition_stops_the_retention_clock(seed_campaign):
    seed_campaign.is_open = False
    seed_campaign.save()
    seed_campaign.is_open = True
    seed_campaign.save()

    seed_campaign.refresh_from_db()
    assert seed_campaign.closed_at is None


# --- What organizers send a person who asks -----------------------------------


@pytest.fixture
def exporter(client) -> User:
    user = User.objects.create_user("exporter", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_signature", "export_signature"])
    )
    client.force_login(user)
    return user


def test_organizer_downloads_everything_held_about_one_address(
    client, exporter, seed_campaign
):
    other = PetitionFactory()
    SignatureFactory(
        petition=seed_campaign,
        email="Jane.Doe@Gmail.com",
        email_canonical="janedoe@gmail.com",
        full_name="Jane Doe",
    )
    SignatureFactory(
        petition=other,
        email="janedoe+petitions@gmail.com",
        email_canonical="janedoe@gmail.com",
        full_name="J. Doe",
        pending=True,
    )
    SignatureFactory(petition=seed_campaign, email="someone.else@example.org")

    response = client.post(
        "/admin/signatures/signature/data-request/", {"email": "JANEDOE@gmail.com"}
    )

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.content)
    assert [s["full_name"] for s in data["signatures"]] == ["Jane Doe", "J. Doe"]
    assert {s["petition"] for s in data["signatures"]} == {
        seed_campaign.title,
        other.title,
    }
    assert {"email", "postal_code", "ip_hash", "created_at", "status"} <= set(
        data["signatures"][0]
    )
    record = ModerationAction.objects.get()
    assert record.kind == ModerationAction.Kind.EXPORT
    assert record.count == 2
    assert record.criteria == {"data_held_about": "j•••@gmail.com"}


def test_data_request_needs_the_export_permission(client, seed_campaign):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_signature"))
    client.force_login(viewer)

    response = client.post(
        "/admin/signatures/signature/data-request/", {"email": "jane@example.org"}
    )

    assert response.status_code == 403


def test_admin_action_exports_the_selected_signers_data(
    client, exporter, seed_campaign
):
    signature = SignatureFactory(petition=seed_campaign, full_name="Ann Example")

    response = client.post(
        "/admin/signatures/signature/",
        {"action": "export_signer_data", "_selected_action": [signature.pk]},
    )

    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["signatures"][0]["full_name"] == "Ann Example"
    assert data["email"] == signature.email_canonical


# --- Edge cases a careful signer (or organizer) runs into ----------------------


def test_a_double_click_on_withdraw_lowers_the_count_once(
    client, sign, seed_campaign, django_capture_on_commit_callbacks
):
    SignatureFactory(petition=seed_campaign)
    link = manage_link(sign())
    assert _count(seed_campaign) == 2

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(link, {"action": "withdraw"})

    assert _count(seed_campaign) == 1
    assert ModerationAction.objects.count() == 1


def test_an_organizer_cannot_count_a_withdrawn_signature_again(
    client, sign, seed_campaign
):
    from signatures.services import signatures_invalidate, signatures_restore

    client.post(manage_link(sign()), {"action": "withdraw"})

    signatures_invalidate(signatures=Signature.objects.all(), reason="spam", user=None)
    signatures_restore(signatures=Signature.objects.all(), user=None)

    assert Signature.objects.get().status == Signature.Status.WITHDRAWN


def test_the_signers_page_masks_the_address_and_postal_code(client, sign):
    response = client.get(manage_link(sign()))

    text = parse_page(response.content.decode()).visible_text
    assert "j•••@example.org" in text
    assert "jane@example.org" not in text
    assert "K1A•••" in text
    assert "K1A 0B1" not in text
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_erasing_takes_the_first_name_off_the_page_at_once(
    client, sign, seed_campaign, django_capture_on_commit_callbacks, monkeypatch
):
    from petition import public

    link = manage_link(sign(show_name_publicly="on"))
    # Names join the latest signers when the database is next read.
    later = public._now() + settings.SIGNATURE_COUNT_CACHE_SECONDS
    monkeypatch.setattr(public, "_now", lambda: later)
    assert public_stats(seed_campaign).recent_signers[0][0] == "Jane"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, {"action": "erase"})

    assert public_stats(seed_campaign).recent_signers == []


def test_a_link_signed_with_another_key_is_refused(client, sign):
    link = manage_link(sign())
    token = link.split("/")[-2]
    pk = signing.loads(token, salt="signatures.manage")
    forged = signing.dumps(pk, salt="signatures.manage", key="not-our-secret-key")

    response = client.post(f"/en/signature/{forged}/", {"action": "erase"})

    assert response.status_code == 404
    assert Signature.objects.exists()


def test_the_link_stops_working_once_the_data_is_anonymised(client, sign):
    link = manage_link(sign())
    Signature.objects.update(anonymised_at=timezone.now())

    response = client.post(link, {"action": "withdraw"})

    assert response.status_code == 404
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_a_withdrawn_signer_asking_for_a_new_link_gets_no_false_news(
    client, sign, mailoutbox
):
    client.post(manage_link(sign()), {"action": "withdraw"})
    sent = len(mailoutbox)

    client.post(f"/en/p/{SEED_SLUG}/resend/", {"email": "jane@example.org"})

    assert len(mailoutbox) == sent


def test_purge_also_deletes_invalidated_signatures_never_confirmed(seed_campaign):
    old = timezone.now() - timedelta(days=31)
    SignatureFactory(
        petition=seed_campaign,
        status=Signature.Status.INVALIDATED,
        confirmed_at=None,
        created_at=old,
    )
    kept = SignatureFactory(
        petition=seed_campaign, status=Signature.Status.INVALIDATED, created_at=old
    )

    call_command("purge_unconfirmed", "--days", "30", stdout=StringIO())

    assert list(Signature.objects.all()) == [kept]


def test_selecting_several_rows_of_one_person_exports_them_once(
    client, exporter, seed_campaign
):
    other = PetitionFactory()
    rows = [
        SignatureFactory(petition=petition, email="ann@example.org")
        for petition in (seed_campaign, other)
    ]

    response = client.post(
        "/admin/signatures/signature/",
        {"action": "export_signer_data", "_selected_action": [r.pk for r in rows]},
    )

    data = json.loads(response.content)
    assert len(data["signatures"]) == 2
    assert "people" not in data
    assert ModerationAction.objects.count() == 1


def test_signing_again_after_withdrawing_needs_the_new_link_where_no_confirmation_is_asked(
    client, sign, mailoutbox, seed_campaign, django_capture_on_commit_callbacks
):
    seed_campaign.requires_confirmation = False
    seed_campaign.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(manage_link(sign(confirm=False)), {"action": "withdraw"})
    assert _count(seed_campaign) == 0

    # Whoever types the address cannot bring the signature back, nor change it:
    # the count would tell them the address had signed.
    email = sign(confirm=False, full_name="Jane Q. Doe")

    assert Signature.objects.get().status == Signature.Status.WITHDRAWN
    assert _count(seed_campaign) == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirmation_link(email))
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.full_name == "Jane Q. Doe"
    assert _count(seed_campaign) == 1
