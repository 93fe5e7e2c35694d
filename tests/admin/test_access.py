"""Who may do what in the admin: organizers, staff outside the group, the login
page and its limits."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from tests.admin.pages import CHANGELIST, EXPORT

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_gets_the_login_page(client):
    for url in (CHANGELIST, EXPORT, "/admin/petition/petition/"):
        response = client.get(url)

        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_organizer_can_review_and_export_but_not_manage_users(
    client, organizer, petition
):
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(EXPORT).status_code == 200
    assert (
        client.get(f"/admin/petition/petition/{petition.pk}/change/").status_code == 200
    )
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/auth/group/").status_code == 403
    assert client.get("/admin/auth/user/add/").status_code == 403


def test_staff_without_the_group_cannot_export(client, petition):
    staff = User.objects.create_user("helper", is_staff=True)
    client.force_login(staff)

    assert client.get(EXPORT).status_code == 403


def test_createorganizer_prints_a_link_to_choose_a_password(client):
    out = StringIO()

    call_command("createorganizer", "New.Organizer@example.org", stdout=out)

    user = User.objects.get(username="new.organizer@example.org")
    assert user.is_staff
    assert not user.is_superuser
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["Organizers"]
    link = next(
        line for line in out.getvalue().splitlines() if "/admin/password/" in line
    )
    path = link.split("127.0.0.1:8000", 1)[1]
    form_page = client.get(path, follow=True)
    # The organizers' own header, as on every admin page.
    assert "Petition organizers" in form_page.content.decode()
    assert "Django administration" not in form_page.content.decode()
    new_password = "correct horse battery staple 42"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    assert client.login(username="new.organizer@example.org", password=new_password)


def test_admin_login_is_rate_limited(client, settings):
    settings.ADMIN_LOGIN_RATE = "3/m"

    statuses = [
        client.post(
            "/admin/login/", {"username": "x", "password": f"guess{n}"}
        ).status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


def test_admin_path_is_configurable():
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from django.urls import reverse\n"
        "print(reverse('admin:index'), Client().get('/admin/').status_code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ADMIN_URL": "organizers/",
            "ALLOWED_HOSTS": "testserver",
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    path, old_path_status = result.stdout.split()
    assert path == "/organizers/"
    assert old_path_status == "404"  # nothing answers at the default path


def test_organizer_group_exists_after_migrations():
    group = Group.objects.get(name="Organizers")
    codenames = set(group.permissions.values_list("codename", flat=True))

    assert {"export_signature", "change_signature", "change_petition"} <= codenames
    assert not any(c.endswith(("_user", "_group")) for c in codenames)


def test_failed_logins_lock_an_account_name_but_successes_do_not(
    client, settings, organizer
):
    settings.ADMIN_LOGIN_RATE = "100/m"
    settings.ADMIN_LOGIN_RATE_PER_ACCOUNT = "2/h"
    client.logout()
    good = {
        "username": "organizer@example.org",
        "password": "a long and unguessable passphrase",
    }

    for _ in range(3):
        assert client.post("/admin/login/", good).status_code == 302
        client.logout()
    bad = {"username": "organizer@example.org", "password": "wrong"}
    statuses = [client.post("/admin/login/", bad).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_createorganizer_promotes_an_existing_account_by_email():
    User.objects.create_user("alice", email="Alice@Example.org", is_active=False)
    out = StringIO()

    call_command("createorganizer", "alice@example.org", stdout=out)

    assert User.objects.count() == 1
    alice = User.objects.get()
    assert alice.is_staff
    assert alice.is_active
    assert "Reactivated organizer alice" in out.getvalue()
