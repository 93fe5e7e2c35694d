"""Signing through the form, and pressing the emailed links."""

import pytest

from tests.conftest import SEED_SLUG
from tests.signing import form_data


@pytest.fixture
def sign(client, mailoutbox, django_capture_on_commit_callbacks):
    """Sign through the form (in `language`); returns the email it brought."""

    def sign(language: str = "en", **fields):
        sent = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/{language}/p/{SEED_SLUG}/sign/", form_data(**fields))
        return mailoutbox[-1] if len(mailoutbox) > sent else None

    return sign


@pytest.fixture
def press(client, django_capture_on_commit_callbacks):
    def press(link: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(link)

    return press
