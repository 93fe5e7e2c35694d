"""Signing through the form, as a supporter would."""

import pytest

from tests.signing import form_data
from tests.signing_form.pages import SIGN_URL


@pytest.fixture
def sign(client, django_capture_on_commit_callbacks):
    """POST the signing form; emails go out as they would after the commit."""

    def post(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(SIGN_URL, form_data(**overrides))

    return post
