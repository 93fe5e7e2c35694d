"""An address marked undeliverable: shown and filterable in the admin,
counted on the dashboard, and emailed no more."""

import pytest

from petition.models import Petition
from signatures.models import Signature
from tests.bounces.reports import BOUNCED, SAME_INBOX, TYPED
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
