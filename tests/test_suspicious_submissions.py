"""A signing form that looks automated is kept, pending and marked for
review, never thanked and dropped: a person whose browser filled it in an
instant confirms it from their inbox like anyone else."""

import time

import pytest
from django.core import signing

from petition.public import public_stats
from signatures import form_clock
from signatures.form_clock import issued_token
from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.factories import PetitionFactory
from tests.html_tools import parse_page
from tests.signing import confirmation_link, form_data

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"
THANKS_URL = f"/en/p/{SEED_SLUG}/thanks/"
CHANGELIST = "/admin/signatures/signature/"

# What a bot, an autofilling browser or a browser without scripts sends, and
# the reason organizers see for it. shown_for is what the page's script
# writes as the form is sent: how long the page had been open, in ms.
SUSPICIOUS = {
    "sent at once": ({"shown_for": "0"}, "too_fast"),
    "sent after 1.9 s": ({"shown_for": "1900"}, "too_fast"),
    "hidden field filled": ({"website": "http://spam.example"}, "hidden_field"),
    "hidden field holds a space": ({"website": " "}, "hidden_field"),
    "hidden field holds a padded word": ({"website": "\t yes \n"}, "hidden_field"),
    "no script ran": ({"shown_for": ""}, "token_missing"),
    "field absent": ({"shown_for": None}, "token_missing"),
    "not a number": ({"shown_for": "soon"}, "token_invalid"),
    "a negative time": ({"shown_for": "-5000"}, "token_invalid"),
    "a huge number": ({"shown_for": "9" * 5000}, "token_invalid"),
    # issued is the signed time count.json gave the page's script as the
    # page loaded: the server's own clock, which the browser cannot set.
    "issued a moment ago": ({"issued": lambda: issued_token()}, "too_fast"),
    "issued 0.3 s ago": (
        {"issued": lambda: issued_token(at=time.time() - 0.3)},
        "too_fast",
    ),
    "issued time empty": ({"issued": ""}, "token_missing"),
    "issued time absent": ({"issued": None}, "token_missing"),
    "issued time made up": ({"issued": str(int(time.time() * 1000))}, "token_invalid"),
    "issued time signed for something else": (
        {"issued": lambda: signing.dumps(int((time.time() - 60) * 1000))},
        "token_invalid",
    ),
    "issued time reused after two months": (
        {"issued": lambda: issued_token(at=time.time() - 60 * 24 * 3600)},
        "token_expired",
    ),
}


def _resolved(overrides: dict) -> dict:
    return {k: v() if callable(v) else v for k, v in overrides.items()}


@pytest.fixture(autouse=True)
def _server_clock_stops_at_the_tests_start(monkeypatch):
    """The server reads its clock as the test began: a time issued "0.3 s
    ago" stays that young however slowly a busy machine runs the test, and
    the times a person's form carries only look younger, never older."""
    started = time.time()
    monkeypatch.setattr(form_clock, "_now", lambda: started)


@pytest.fixture
def sign(client, django_capture_on_commit_callbacks):
    """POST the signing form; emails go out as they would after the commit."""

    def post(url: str = SIGN_URL, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, form_data(**overrides))

    return post


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "reason"), SUSPICIOUS.values(), ids=SUSPICIOUS)
def test_suspicious_submission_is_kept_pending_marked_and_emailed(
    sign, mailoutbox, overrides, reason
):
    response = sign(email="fast@example.org", **_resolved(overrides))

    assert response.status_code == 302
    assert response["Location"] == THANKS_URL
    signature = Signature.objects.get()
    assert signature.email == "fast@example.org"
    assert signature.status == Signature.Status.PENDING
    assert signature.review_reason == reason
    assert [m.to for m in mailoutbox] == [["fast@example.org"]]
    assert mailoutbox[0].subject.startswith("Confirm your signature")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"shown_for": "2000"},
        {"shown_for": "600000"},
        # Left open for three days: a time stamp would have expired.
        {"shown_for": str(3 * 24 * 3600 * 1000)},
        {"website": ""},
        {"issued": lambda: issued_token(at=time.time() - 2.5)},
        {"issued": lambda: issued_token(at=time.time() - 3600)},
        # The count (and its time) answered slowly, the page open 5 s.
        {
            "issued": lambda: issued_token(at=time.time() - 1),
            "shown_for": "5000",
        },
        # A tab left open for a week, then signed.
        {"issued": lambda: issued_token(at=time.time() - 7 * 24 * 3600)},
    ],
    ids=[
        "after 2 s",
        "after 10 min",
        "after 3 days",
        "hidden field empty",
        "issued 2.5 s ago",
        "issued an hour ago",
        "issued 1 s ago by a slow answer",
        "issued a week ago",
    ],
)
def test_a_person_filling_the_form_normally_is_not_marked(sign, overrides):
    sign(**_resolved(overrides))

    assert Signature.objects.get().review_reason == ""


@pytest.mark.django_db
def test_the_page_answer_is_the_same_whether_marked_or_not(sign):
    normal = sign(email="person@example.org")
    marked = sign(email="bot@example.org", website="x", shown_for="")

    assert (marked.status_code, marked["Location"]) == (
        normal.status_code,
        normal["Location"],
    )
    assert sorted(marked.headers) == sorted(normal.headers)
    assert sorted(Signature.objects.values_list("review_reason", flat=True)) == [
        "",
        "hidden_field",
    ]


@pytest.mark.django_db
def test_a_form_with_errors_sent_again_from_its_page_is_not_marked(client, sign):
    """Fixing a typo is not a fast submission: the page with the errors is
    open a while too, and its script says so when it is sent again."""
    response = client.post(SIGN_URL, form_data(postal_code="K1A"))
    page = parse_page(response.content.decode())
    assert page.by_id("id_shown_for").attrs["type"] == "hidden"  # sent again

    sign(shown_for="4000")
    assert Signature.objects.get().review_reason == ""


# --- The marked signer's journey ----------------------------------------------


@pytest.mark.django_db
def test_marked_signer_waits_outside_the_count_until_they_confirm(
    client, sign, mailoutbox, django_capture_on_commit_callbacks
):
    """On a petition that counts signatures at once, a marked one still
    needs its emailed link; once confirmed it counts, and stays marked."""
    petition = PetitionFactory(requires_confirmation=False)
    url = f"/en/p/{petition.slug}/sign/"
    sign(url, email="person@example.org")
    sign(url, email="autofill@example.org", shown_for="200")

    assert public_stats(petition).count == 1
    marked = Signature.objects.get(email="autofill@example.org")
    assert marked.status == Signature.Status.PENDING
    message = mailoutbox[-1]
    assert message.to == ["autofill@example.org"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirmation_link(message))

    marked.refresh_from_db()
    assert marked.status == Signature.Status.CONFIRMED
    assert marked.review_reason == "too_fast"
    assert public_stats(petition).count == 2


@pytest.mark.django_db
def test_marked_signer_can_have_the_link_sent_again_and_use_it(
    client, sign, mailoutbox, django_capture_on_commit_callbacks
):
    sign(email="autofill@example.org", shown_for="0")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/p/{SEED_SLUG}/resend/", {"email": "autofill@example.org"})

    assert [m.to for m in mailoutbox] == [["autofill@example.org"]]
    client.post(confirmation_link(mailoutbox[0]))
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


@pytest.mark.django_db
def test_bots_marked_for_review_stay_out_of_the_public_count(sign, seed_campaign):
    for n in range(3):
        sign(email=f"bot{n}@example.org", website="http://spam.example")
    # Even where a petition counts without confirmation.
    open_petition = PetitionFactory(requires_confirmation=False)
    sign(f"/en/p/{open_petition.slug}/sign/", email="bot@example.org", shown_for="")

    assert Signature.objects.count() == 4
    assert public_stats(seed_campaign).count == 0
    assert public_stats(open_petition).count == 0


# --- Organizers -----------------------------------------------------------------


@pytest.mark.django_db
def test_organizers_see_and_filter_what_was_marked_for_review(admin_client, sign):
    sign(full_name="Normal Person", email="normal@example.org")
    sign(full_name="Quick Filler", email="quick@example.org", shown_for="")
    sign(full_name="Honey Pot", email="pot@example.org", website="spam")

    def names(query: str) -> set[str]:
        page = parse_page(admin_client.get(CHANGELIST + query).content.decode())
        return {a.text for a in page.all("a") if "/change/" in a.attrs.get("href", "")}

    everyone = admin_client.get(CHANGELIST).content.decode()
    assert "Marked for review" in everyone
    assert "page script did not run" in everyone
    assert "hidden field filled" in everyone
    assert names("?review=any") == {"Quick Filler", "Honey Pot"}
    assert names("?review=hidden_field") == {"Honey Pot"}
    assert names("?review=token_missing") == {"Quick Filler"}
    assert names("?review=none") == {"Normal Person"}
    assert names("?review=nonsense") == {"Normal Person", "Quick Filler", "Honey Pot"}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_where_signatures_count_at_once_the_thanks_page_never_claims_a_marked_one_counted(
    client, sign, language
):
    """The same page answers every form, so it must be true for a marked one
    too: it points to the email and to "send the link again"."""
    petition = PetitionFactory(requires_confirmation=False)
    response = sign(
        f"/{language}/p/{petition.slug}/sign/",
        email="autofill@example.org",
        shown_for="200",
    )
    page = client.get(response["Location"]).content.decode()

    assert Signature.objects.get().status == Signature.Status.PENDING
    assert "is counted" not in page
    assert "est comptée" not in page
    assert f"/{language}/p/{petition.slug}/resend/" in page
