"""An organizer logged in, the petition they run, and pressing "Add" on a
paper batch's preview."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from petition.models import Petition
from tests.admin.paper import ADD
from tests.html_tools import parse_page


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


@pytest.fixture
def press_add(client, django_capture_on_commit_callbacks):
    """Press "Add" on a preview: what its form carries, sent back, and what
    waits for the commit (the count's tally) run."""

    def press(preview):
        page = parse_page(preview.content.decode())
        form = page.by_id("paper-confirm")
        assert form is not None, "no confirmation form on the preview"
        data = {}
        for element in form.descendants():
            name = element.attrs.get("name")
            if name == "csrfmiddlewaretoken" or not name:
                continue
            if element.tag == "textarea":
                data[name] = element.text.removeprefix("\n")
            elif element.attrs.get("type") == "hidden":
                data[name] = element.attrs.get("value", "")
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(ADD, {**data, "confirm": "1"}, follow=True)

    return press
