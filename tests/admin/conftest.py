"""An organizer logged in, and the petition they run."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from petition.models import Petition


@pytest.fixture
def organizer(client) -> User:
    call_command("createorganizer", "organizer@example.org", stdout=StringIO())
    user = User.objects.get(username="organizer@example.org")
    user.set_password("a long and unguessable passphrase")
    user.save()
    client.force_login(user)
    return user


@pytest.fixture
def petition(seed_campaign) -> Petition:
    return seed_campaign
