"""The campaign page is one page for everyone, which any cache may keep; the
sign form on it is guarded by where the browser says the POST comes from
(signatures/crossorigin.py), the admin and the signer's pages by Django's
CSRF token."""

import pytest
from django.test import Client

from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.html_tools import parse_page
from tests.signing import form_data

PAGE_URL = f"/en/p/{SEED_SLUG}/"
SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"
THANKS_URL = f"/en/p/{SEED_SLUG}/thanks/"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seed_campaign")]


@pytest.fixture
def browser_client() -> Client:
    """A client held to the checks a browser's POST meets (Django's test
    client skips them unless asked)."""
    return Client(enforce_csrf_checks=True)


def _signed() -> bool:
    return Signature.objects.exists()


# --- The shared page ----------------------------------------------------------


@pytest.mark.parametrize("url", [PAGE_URL, "/en/", "/fr/"])
def test_campaign_page_is_the_same_bytes_for_two_different_visitors(url):
    first = Client(HTTP_USER_AGENT="Firefox", HTTP_ACCEPT_LANGUAGE="fr")
    second = Client(HTTP_USER_AGENT="Chromium", HTTP_ACCEPT_LANGUAGE="en")
    second.cookies["sessionid"] = "someone-elses-session"

    one, other = first.get(url), second.get(url)

    assert one.status_code == other.status_code == 200
    assert one.content == other.content


@pytest.mark.parametrize("url", [PAGE_URL, "/en/"])
def test_campaign_page_may_be_kept_by_any_cache_and_sets_no_cookie(
    client, settings, url
):
    settings.PAGE_CACHE_SECONDS = 5
    settings.PAGE_STALE_SECONDS = 30

    response = client.get(url, secure=True)

    # Stale-while-revalidate is for shared caches only: a browser would show
    # a page it knows to be old.
    assert response["Cache-Control"] == "public, max-age=0, s-maxage=5"
    assert response["CDN-Cache-Control"] == (
        "public, max-age=5, stale-while-revalidate=30"
    )
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    # The language is in the address: nothing about the visitor varies it.
    assert "Vary" not in response.headers
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_campaign_page_is_served_from_the_read_model_without_a_query(
    client, django_assert_num_queries
):
    client.get(PAGE_URL)

    with django_assert_num_queries(0):
        assert client.get(PAGE_URL).status_code == 200


def test_campaign_page_is_rendered_once_per_period_for_every_visitor(settings):
    settings.PAGE_CACHE_SECONDS = 60

    english = [Client().get(PAGE_URL) for _ in range(3)]
    french = Client().get(f"/fr/p/{SEED_SLUG}/")

    pages = {response.content for response in english}
    assert len(pages) == 1
    assert french.content not in pages
    # The test client lists the templates each request rendered: the page's
    # own only the first time in English, and once in French.
    rendered = [
        "petition/detail.html" in [template.name for template in response.templates]
        for response in [*english, french]
    ]
    assert rendered == [True, False, False, True]


def test_a_counted_signature_shows_on_a_kept_page_within_the_period(
    client, seed_campaign, settings, django_capture_on_commit_callbacks
):
    import time

    from signatures.services.signing import signature_confirm
    from tests.factories import SignatureFactory

    settings.PAGE_CACHE_SECONDS = 1
    pending = SignatureFactory(petition=seed_campaign, pending=True)

    def shown() -> str:
        page = parse_page(client.get(PAGE_URL).content.decode())
        return page.all("progress")[0].attrs["value"]

    before = shown()
    with django_capture_on_commit_callbacks(execute=True):
        signature_confirm(signature=pending)
    time.sleep(1.1)

    assert (before, shown()) == ("0", "1")


def test_a_kept_page_is_passed_on_for_only_what_is_left_of_its_period(
    client, settings, monkeypatch
):
    from petition import public

    settings.PAGE_CACHE_SECONDS = 5
    now = [1000.0]
    monkeypatch.setattr(public, "_now", lambda: now[0])

    first = client.get(PAGE_URL)
    now[0] += 3.2
    kept = client.get(PAGE_URL)
    now[0] += 2
    rendered_again = client.get(PAGE_URL)

    assert kept.content == first.content
    assert [
        response["Cache-Control"] for response in (first, kept, rendered_again)
    ] == [f"public, max-age=0, s-maxage={n}" for n in (5, 1, 5)]


@pytest.mark.parametrize("page_cache_seconds", [0, 60])
def test_an_edit_shows_on_the_next_page_view_even_on_a_kept_page(
    client, seed_campaign, settings, page_cache_seconds
):
    settings.PAGE_CACHE_SECONDS = page_cache_seconds
    client.get(PAGE_URL)

    seed_campaign.title_en = "A title edited a moment ago"
    seed_campaign.save()  # as the admin saves it

    assert "A title edited a moment ago" in client.get(PAGE_URL).content.decode()


def test_a_counted_signature_shows_on_the_next_page_view(
    client, seed_campaign, django_capture_on_commit_callbacks
):
    from signatures.services.signing import signature_confirm
    from tests.factories import SignatureFactory

    pending = SignatureFactory(petition=seed_campaign, pending=True)
    client.get(PAGE_URL)  # the read model holds the count: 0

    with django_capture_on_commit_callbacks(execute=True):
        signature_confirm(signature=pending)

    page = parse_page(client.get(PAGE_URL).content.decode())
    assert page.all("progress")[0].attrs["value"] == "1"


def test_a_form_with_errors_comes_back_with_what_was_typed_and_is_kept_by_no_cache(
    client,
):
    response = client.post(SIGN_URL, form_data(full_name="Zoë Typed", postal_code="K1"))

    assert response.status_code == 200
    assert 'value="Zoë Typed"' in response.content.decode()
    cache_control = response["Cache-Control"]
    assert "private" in cache_control
    assert "no-store" in cache_control
    assert not _signed()


def test_the_sign_page_itself_is_kept_by_no_cache(client):
    response = client.get(SIGN_URL)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


# --- Where the sign form may come from ----------------------------------------


def test_a_cross_site_post_is_refused_with_a_clear_page(browser_client):
    response = browser_client.post(
        SIGN_URL,
        form_data(),
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        secure=True,
    )

    assert response.status_code == 403
    assert "sent to us from another site is refused" in response.content.decode()
    assert not _signed()


def test_a_same_site_post_is_refused_unless_its_origin_is_trusted(
    browser_client, settings
):
    headers = {"Sec-Fetch-Site": "same-site", "Origin": "https://www.example.org"}

    refused = browser_client.post(SIGN_URL, form_data(), headers=headers, secure=True)
    settings.CSRF_TRUSTED_ORIGINS = ["https://www.example.org"]
    taken = browser_client.post(SIGN_URL, form_data(), headers=headers, secure=True)

    assert (refused.status_code, taken.status_code) == (403, 302)
    assert Signature.objects.count() == 1


def test_a_same_origin_post_is_accepted(browser_client):
    response = browser_client.post(
        SIGN_URL,
        form_data(),
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "https://testserver"},
        secure=True,
    )

    assert (response.status_code, response["Location"]) == (302, THANKS_URL)
    assert _signed()


def test_a_post_the_visitor_started_themselves_is_accepted(browser_client):
    # "none": a bookmark or the address bar, which no other site can cause.
    response = browser_client.post(
        SIGN_URL, form_data(), headers={"Sec-Fetch-Site": "none"}, secure=True
    )

    assert response.status_code == 302


def test_a_post_with_only_origin_from_the_site_is_accepted(browser_client):
    # A browser too old for Sec-Fetch-Site.
    response = browser_client.post(
        SIGN_URL, form_data(), headers={"Origin": "https://testserver"}, secure=True
    )

    assert response.status_code == 302
    assert _signed()


def test_a_post_with_only_origin_from_elsewhere_is_refused(browser_client):
    response = browser_client.post(
        SIGN_URL, form_data(), headers={"Origin": "https://evil.example"}, secure=True
    )

    assert response.status_code == 403
    assert not _signed()


def test_a_post_with_neither_header_is_refused_on_https(browser_client):
    response = browser_client.post(SIGN_URL, form_data(), secure=True)

    assert response.status_code == 403
    assert not _signed()


def test_a_post_with_neither_header_but_a_referer_from_the_site_is_accepted(
    browser_client,
):
    from_here = browser_client.post(
        SIGN_URL,
        form_data(),
        headers={"Referer": f"https://testserver{PAGE_URL}"},
        secure=True,
    )
    from_elsewhere = browser_client.post(
        SIGN_URL,
        form_data(email="other@example.org"),
        headers={"Referer": "https://evil.example/page"},
        secure=True,
    )

    assert (from_here.status_code, from_elsewhere.status_code) == (302, 403)
    assert Signature.objects.count() == 1


def test_the_admin_still_needs_its_csrf_token(browser_client, admin_user):
    browser_client.force_login(admin_user)

    response = browser_client.post(
        "/admin/petition/petition/add/",
        {},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "https://testserver"},
        secure=True,
    )

    assert response.status_code == 403


def test_the_signers_resend_form_still_needs_its_csrf_token(browser_client):
    response = browser_client.post(
        f"/en/p/{SEED_SLUG}/resend/",
        {"email": "jane@example.org"},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "https://testserver"},
        secure=True,
    )

    assert response.status_code == 403


def test_a_logged_in_organizer_gets_the_same_page_with_no_vary_on_cookie(
    client, admin_user
):
    anonymous = Client().get(PAGE_URL)
    client.force_login(admin_user)

    organizer = client.get(PAGE_URL)

    assert organizer.content == anonymous.content
    assert "Vary" not in organizer.headers
    assert not organizer.cookies


def test_a_referer_from_a_trusted_subdomain_is_accepted_as_its_origin_would_be(
    browser_client, settings
):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.org"]

    trusted = browser_client.post(
        SIGN_URL,
        form_data(),
        headers={"Referer": "https://www.example.org/campaign"},
        secure=True,
    )
    plain_http = browser_client.post(
        SIGN_URL,
        form_data(email="other@example.org"),
        headers={"Referer": "http://www.example.org/campaign"},
        secure=True,
    )

    assert (trusted.status_code, plain_http.status_code) == (302, 403)
