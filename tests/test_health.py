import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]

# Ask the real app, in a fresh process, while its database cannot be reached.
_PROBE = """
from django.test import Client
response = Client().get("/healthz", HTTP_HOST="10.0.0.7")
print(response.status_code, response.content.decode())
"""


def unreachable_database_url() -> str:
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return "postgres://nobody@127.0.0.1:1/none"  # nothing listens on port 1
    return "sqlite:////nonexistent-directory/for/db.sqlite3"


@pytest.mark.django_db
def test_healthz_is_200_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_a_probe_by_ip_over_plain_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/healthz", HTTP_HOST="10.0.0.7")

    assert response.status_code == 200


def test_healthz_is_503_when_the_database_is_unreachable():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": unreachable_database_url(),
        "DATABASE_POOL_TIMEOUT": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{_PROBE}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"status": "error", "database": "unavailable"}
