"""The settings every fuzzing test runs with, and the count of what they
tried, reported at the end of the package."""

import time

import pytest

from tests.figures import report
from tests.fuzzing.inputs import TRIED


@pytest.fixture(scope="package", autouse=True)
def _report_inputs_tried():
    began = time.monotonic()
    yield
    counts = ", ".join(f"{name} {n}" for name, n in sorted(TRIED.items()))
    report(
        f"fuzzing: {sum(TRIED.values())} generated inputs tried in "
        f"{time.monotonic() - began:.0f} s ({counts})"
    )


@pytest.fixture(autouse=True)
def _production_settings_without_limits(settings, seed_campaign):
    """DEBUG off as in production; the rate limits raised, or the fuzzer
    would meet nothing but "slow down" pages after the first dozen tries."""
    assert not settings.DEBUG
    settings.SIGN_RATE_PER_MINUTE = "1000000/m"
    settings.SIGN_RATE_PER_HOUR = "1000000/h"
    settings.RESEND_RATE_PER_HOUR = "1000000/h"
    settings.ADMIN_LOGIN_RATE = "1000000/m"
    settings.ADMIN_LOGIN_RATE_PER_ACCOUNT = "1000000/h"


@pytest.fixture
def organizer_client(client, django_user_model):
    client.force_login(
        django_user_model.objects.create_superuser("boss", "boss@example.org", "pw")
    )
    return client
