"""Helpers for tests that sign the way a browser does."""

import re
import time

from django.core.management import call_command

from signatures.form_clock import issued_token

# Django's test client skips the sign form's cross-site check, as it skips
# Django's own CSRF check, unless made with enforce_csrf_checks=True
# (tests/test_shared_page.py); servers the tests start get the headers a
# browser sends (tests/servers.py Visitor).


def form_data(**overrides: str) -> dict[str, str]:
    """A valid signing form, as if filled in by a person over half a minute
    (the page's script says how long the page was open, in milliseconds,
    and sends back the time count.json issued as the page loaded)."""
    data = {
        "full_name": "Jane Doe",
        "email": "jane@example.org",
        "country": "CA",
        "postal_code": "K1A 0B1",
        "shown_for": "30000",
        "issued": issued_token(at=time.time() - 30),
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/(?:en|fr)/confirm/[^\s]+/)", message.body)
    assert match, f"no confirmation link in: {message.body}"
    return match.group(1)


def run_email_worker() -> None:
    """`manage.py run_worker --batch`: every email task ready now is run by
    the production worker (its threads included), then it returns."""
    call_command("run_worker", "--batch", "--no-startup-delay", verbosity=0)
