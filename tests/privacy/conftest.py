"""A signer who signs through the site, and an organizer who may export."""

import pytest
from django.contrib.auth.models import Permission, User

from tests.privacy.links import SIGN
from tests.signing import confirmation_link, form_data


@pytest.fixture
def sign(client, mailoutbox, django_capture_on_commit_callbacks):
    """Sign (and confirm) through the site; returns the last email received."""

    def sign(confirm: bool = True, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(SIGN, form_data(**fields))
        if confirm:
            with django_capture_on_commit_callbacks(execute=True):
                client.post(confirmation_link(mailoutbox[-1]))
        return mailoutbox[-1]

    return sign


@pytest.fixture
def exporter(client) -> User:
    user = User.objects.create_user("exporter", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_signature", "export_signature"])
    )
    client.force_login(user)
    return user
