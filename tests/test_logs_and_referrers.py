"""An organizer's "choose a password" link and their searches for signers
reach neither the access log nor another site as a referrer."""

import re
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from tests.servers import ROOT, gunicorn, http, migrate, server_env

CHANGELIST = "/admin/signatures/signature/"


def _password_link(out: str) -> str:
    match = re.search(r"https?://[^/\s]+(/admin/password/[^\s]+/)", out)
    assert match, out
    return match[1]


def test_access_log_holds_no_password_link_and_no_search_terms(tmp_path):
    access_log = tmp_path / "access.log"
    env = server_env(
        f"sqlite:///{tmp_path / 'db.sqlite3'}", GUNICORN_ACCESSLOG=str(access_log)
    )
    migrate(env)
    created = subprocess.run(
        [sys.executable, "manage.py", "createorganizer", "olga@example.org"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    link = _password_link(created.stdout)
    token = link.rstrip("/").rsplit("/", 1)[1]

    with gunicorn(env) as base:
        choose = http(base + link)
        searches = [
            http(f"{base}{CHANGELIST}?q=Jolene+Quintero&status__exact=pending"),
            http(f"{base}{CHANGELIST}?q=jolene.q%40example.org"),
            http(f"{base}{CHANGELIST}?K1A0B1"),
            http(
                f"{base}/en/privacy/",
                headers={"Referer": f"{base}{CHANGELIST}?q=Quintero+H2X+1Y4"},
            ),
        ]

    assert choose.status == 302  # on to the form, the token kept in the session
    assert [reply.status for reply in searches] == [302, 302, 302, 200]
    log = access_log.read_text()
    assert "/admin/password/[reset-link]/" in log
    assert token not in log
    assert f"{CHANGELIST}?q=*&status__exact=*" in log
    for secret in ("Jolene", "Quintero", "jolene", "K1A0B1", "H2X", "1Y4"):
        assert secret not in log, secret


@pytest.mark.django_db
def test_admin_pages_send_no_referrer_to_other_sites(client, admin_user):
    login = client.get("/admin/login/")
    client.force_login(admin_user)
    search = client.get(CHANGELIST, {"q": "Jolene Quintero"})
    index = client.get("/admin/")

    for response in (login, search, index):
        assert response.status_code == 200
        assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_choose_a_password_pages_send_no_referrer_to_other_sites(
    client, organizers_group
):
    out = StringIO()
    call_command("createorganizer", "olga@example.org", stdout=out)
    link = _password_link(out.getvalue())

    opened = client.get(link)
    form = client.get(opened["Location"])
    password = "a long passphrase nobody guesses 42"
    done = client.post(
        opened["Location"], {"new_password1": password, "new_password2": password}
    )
    complete = client.get(done["Location"])

    assert [r.status_code for r in (opened, form, done, complete)] == [
        302,
        200,
        302,
        200,
    ]
    for response in (opened, form, done, complete):
        assert response["Referrer-Policy"] == "same-origin"
    assert User.objects.get(username="olga@example.org").check_password(password)
