"""A page view counted from Chromium: the campaign page's script tells the
app once per browser and day, and the organizer reads it on the dashboard."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from tests.browser.conftest import DESKTOP
from tests.browser.test_accessibility import serious_violations
from tests.conftest import SEED_SLUG

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign", "organizers_group"),
]


def _is_beacon(request) -> bool:
    return request.method == "POST" and request.url.endswith(f"/p/{SEED_SLUG}/views")


def test_opening_the_page_counts_one_view_on_the_dashboard_and_a_reload_none(
    page, browser, live_server, seed_campaign, screenshot_dir
):
    call_command("createorganizer", "org@example.org", stdout=io.StringIO())
    organizer = User.objects.get(username="org@example.org")
    organizer.set_password("organizer passphrase 42")
    organizer.save()
    sent = []
    page.on(
        "request", lambda request: sent.append(request) if _is_beacon(request) else None
    )
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )

    with page.expect_request_finished(_is_beacon):
        page.goto(f"{live_server.url}/en/p/{SEED_SLUG}/?source=whatsapp")
    page.reload()
    page.get_by_role("heading", level=1).wait_for()
    page.wait_for_timeout(1500)  # time enough for a second beacon to go

    organizers = browser.new_context(viewport=DESKTOP)
    admin = organizers.new_page()
    admin.goto(f"{live_server.url}/admin/")
    admin.get_by_label("Username").fill("org@example.org")
    admin.get_by_label("Password").fill("organizer passphrase 42")
    admin.get_by_role("button", name="Log in").click()
    admin.goto(
        f"{live_server.url}/admin/petition/petition/{seed_campaign.pk}/dashboard/"
    )

    assert len(sent) == 1
    assert sent[0].post_data == "source=whatsapp"
    assert admin.locator("#funnel-views").inner_text() == "1"
    assert admin.locator("#funnel-by-source tbody tr").first.inner_text().split()[
        :2
    ] == [
        "whatsapp",
        "1",
    ]
    assert admin.locator("#views-per-day-caption").is_visible()
    admin.screenshot(path=screenshot_dir / "admin-dashboard-funnel.png", full_page=True)
    assert blocked == []
    assert serious_violations(admin) == []
    organizers.close()
