"""A signing form that looks automated is kept, pending and marked for
review, never thanked and dropped: a person whose browser filled it in an
instant confirms it from their inbox like anyone else."""

import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.core import signing

from petition.public import public_stats
from signatures.forms import _RENDERED_AT_SALT
from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.factories import PetitionFactory
from tests.html_tools import parse_page
from tests.servers import gunicorn, http, migrate, server_env
from tests.signing import confirmation_link, form_data, rendered_seconds_ago

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"
THANKS_URL = f"/en/p/{SEED_SLUG}/thanks/"
CHANGELIST = "/admin/signatures/signature/"


class _SignedLongAgo(signing.TimestampSigner):
    hours = 7

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - self.hours * 3600)


def signed_hours_ago(hours: float) -> str:
    """A render-time token as our server made it `hours` ago."""
    signer = _SignedLongAgo(salt=_RENDERED_AT_SALT)
    signer.hours = hours
    return signer.sign_object(time.time() - hours * 3600)


_clock = [0.0]


@pytest.fixture(autouse=True)
def _clock_holds_still(monkeypatch):
    """ "1.9 s ago" stays 1.9 s ago however slowly the test runs."""
    import signatures.forms

    _clock[0] = time.time()
    monkeypatch.setattr(signatures.forms, "_now", lambda: _clock[0])


def shown_ago(seconds: float) -> str:
    """A render-time token for a form shown `seconds` before the test's now."""
    return signing.dumps(_clock[0] - seconds, salt=_RENDERED_AT_SALT)


def tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


# What a bot, an autofilling browser or a stale page sends, and the reason
# organizers see for it.
SUSPICIOUS = {
    "sent back at once": ({"rendered_at": lambda: shown_ago(0)}, "too_fast"),
    "sent back after 1.9 s": (
        {"rendered_at": lambda: shown_ago(1.9)},
        "too_fast",
    ),
    "hidden field filled": ({"website": "http://spam.example"}, "hidden_field"),
    "hidden field holds a space": ({"website": " "}, "hidden_field"),
    "hidden field holds a padded word": ({"website": "\t yes \n"}, "hidden_field"),
    "no render time": ({"rendered_at": ""}, "token_missing"),
    "render time field absent": ({"rendered_at": None}, "token_missing"),
    "garbage render time": ({"rendered_at": "not-a-signed-value"}, "token_invalid"),
    "render time signed for something else": (
        {"rendered_at": lambda: signing.dumps(time.time() - 60, salt="other.salt")},
        "token_invalid",
    ),
    "render time edited": (
        {"rendered_at": lambda: tampered(rendered_seconds_ago(60))},
        "token_invalid",
    ),
    "render time not a time": (
        {"rendered_at": lambda: signing.dumps("yesterday", salt=_RENDERED_AT_SALT)},
        "token_invalid",
    ),
    "page left open for 7 hours": (
        {"rendered_at": lambda: signed_hours_ago(7)},
        "token_expired",
    ),
    "page left open for 3 days": (
        {"rendered_at": lambda: signed_hours_ago(72)},
        "token_expired",
    ),
}


def _resolved(overrides: dict) -> dict:
    return {k: v() if callable(v) else v for k, v in overrides.items()}


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
        {"rendered_at": lambda: shown_ago(2)},
        {"rendered_at": lambda: rendered_seconds_ago(600)},
        # Left open for five hours: within SIGNATURE_FORM_MAX_AGE.
        {"rendered_at": lambda: signed_hours_ago(5)},
        {"website": ""},
    ],
    ids=["after 2 s", "after 10 min", "after 5 hours", "hidden field empty"],
)
def test_a_person_filling_the_form_normally_is_not_marked(sign, overrides):
    sign(**_resolved(overrides))

    assert Signature.objects.get().review_reason == ""


@pytest.mark.django_db
def test_the_page_answer_is_the_same_whether_marked_or_not(sign):
    normal = sign(email="person@example.org")
    marked = sign(email="bot@example.org", website="x", rendered_at="")

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
def test_one_form_token_is_taken_at_most_the_allowed_number_of_times(
    sign, settings, mailoutbox
):
    settings.SIGNATURE_FORM_TOKEN_MAX_USES = 3
    shared = rendered_seconds_ago(30)
    other = rendered_seconds_ago(30.5)

    for n in range(5):
        response = sign(email=f"replay{n}@example.org", rendered_at=shared)
        assert response["Location"] == THANKS_URL
    sign(email="other@example.org", rendered_at=other)

    reasons = dict(Signature.objects.values_list("email", "review_reason"))
    assert reasons == {
        "replay0@example.org": "",
        "replay1@example.org": "",
        "replay2@example.org": "",
        "replay3@example.org": "token_overused",
        "replay4@example.org": "token_overused",
        # Another token has its own allowance.
        "other@example.org": "",
    }
    assert len(mailoutbox) == 6  # every one of them can still confirm


@pytest.mark.django_db
def test_token_uses_are_kept_under_a_hash_never_the_token_itself(sign, settings):
    from django.core.cache import cache

    token = rendered_seconds_ago(30)
    sign(rendered_at=token)

    if "Redis" in settings.CACHES["default"]["BACKEND"]:
        client = cache._cache.get_client(write=True)
        keys = [key.decode() for key in client.scan_iter(match="*form-token*")]
    else:
        keys = list(cache._cache)
    assert any("form-token-uses" in key for key in keys)
    assert not any(token in key for key in keys)


@pytest.mark.django_db
def test_a_form_with_errors_sent_again_keeps_its_render_time(client, sign):
    """Fixing a typo is not a replay or a fast submission: the corrected form
    carries the time the page was first shown."""
    token = rendered_seconds_ago(30)
    response = client.post(SIGN_URL, form_data(postal_code="K1A", rendered_at=token))
    page = parse_page(response.content.decode())
    resent = page.by_id("id_rendered_at").attrs["value"]

    sign(rendered_at=resent)

    assert resent == token
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
    sign(url, email="autofill@example.org", rendered_at=rendered_seconds_ago(0.2))

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
    sign(email="autofill@example.org", rendered_at=rendered_seconds_ago(0))
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
    sign(f"/en/p/{open_petition.slug}/sign/", email="bot@example.org", rendered_at="")

    assert Signature.objects.count() == 4
    assert public_stats(seed_campaign).count == 0
    assert public_stats(open_petition).count == 0


# --- Organizers -----------------------------------------------------------------


@pytest.mark.django_db
def test_organizers_see_and_filter_what_was_marked_for_review(admin_client, sign):
    sign(full_name="Normal Person", email="normal@example.org")
    sign(full_name="Quick Filler", email="quick@example.org", rendered_at="")
    sign(full_name="Honey Pot", email="pot@example.org", website="spam")

    def names(query: str) -> set[str]:
        page = parse_page(admin_client.get(CHANGELIST + query).content.decode())
        return {a.text for a in page.all("a") if "/change/" in a.attrs.get("href", "")}

    everyone = admin_client.get(CHANGELIST).content.decode()
    assert "Marked for review" in everyone
    assert "form token missing" in everyone
    assert "hidden field filled" in everyone
    assert names("?review=any") == {"Quick Filler", "Honey Pot"}
    assert names("?review=hidden_field") == {"Honey Pot"}
    assert names("?review=token_missing") == {"Quick Filler"}
    assert names("?review=none") == {"Normal Person"}
    assert names("?review=nonsense") == {"Normal Person", "Quick Filler", "Honey Pot"}


# --- Shared across processes ----------------------------------------------------


@pytest.mark.skipif(
    not django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache"),
    reason="needs REDIS_URL: a limit shared across processes needs a shared cache",
)
def test_replay_limit_holds_across_two_processes_sharing_redis(tmp_path):
    import re
    import sqlite3

    database = tmp_path / "db.sqlite3"
    env = server_env(
        f"sqlite:///{database}",
        REDIS_URL=django_settings.CACHES["default"]["LOCATION"],
        CACHE_KEY_PREFIX=f"test-{uuid.uuid4()}",
        SIGNATURE_MIN_FILL_SECONDS="0",
        SIGNATURE_FORM_TOKEN_MAX_USES="2",
    )
    migrate(env)
    with gunicorn(env) as first, gunicorn(env) as second:
        form = http(first + SIGN_URL)
        cookie = re.search(r"csrftoken=([^;]+)", form.headers["Set-Cookie"]).group(1)
        csrf, rendered_at = (
            re.search(rf'name="{name}" value="([^"]+)"', form.body).group(1)
            for name in ("csrfmiddlewaretoken", "rendered_at")
        )

        def post(base: str, email: str) -> int:
            return http(
                base + SIGN_URL,
                data={
                    "csrfmiddlewaretoken": csrf,
                    **form_data(email=email, rendered_at=rendered_at),
                },
                headers={"Cookie": f"csrftoken={cookie}"},
            ).status

        statuses = [
            post(first, "a@example.org"),
            post(second, "b@example.org"),
            post(second, "c@example.org"),
            post(first, "d@example.org"),
        ]

    assert statuses == [302, 302, 302, 302]
    with sqlite3.connect(database) as db:
        rows = dict(
            db.execute(
                "SELECT email, review_reason FROM signatures_signature ORDER BY id"
            )
        )
    assert rows == {
        "a@example.org": "",
        "b@example.org": "",
        "c@example.org": "token_overused",
        "d@example.org": "token_overused",
    }


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
        rendered_at=rendered_seconds_ago(0.2),
    )
    page = client.get(response["Location"]).content.decode()

    assert Signature.objects.get().status == Signature.Status.PENDING
    assert "is counted" not in page
    assert "est comptée" not in page
    assert f"/{language}/p/{petition.slug}/resend/" in page
