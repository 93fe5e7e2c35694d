"""What the privacy tests share: the signing address, the links in a
signer's emails, the count, the queued requests for a new link."""

import re

from django_tasks_db.models import DBTaskResult

from petition.public import public_stats
from tests.conftest import SEED_SLUG

SIGN = f"/en/p/{SEED_SLUG}/sign/"


def manage_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/(?:en|fr)/signature/[^\s/]+/)", message.body)
    assert match, f"no link to manage the signature in: {message.body}"
    return match.group(1)


def count_of(petition) -> int:
    return public_stats(petition).count


def queued_requests_for_a_new_link() -> list[tuple[int, str]]:
    """The petition and address each request for a new link names in the
    task queue, whatever the state of its task."""
    return sorted(
        (kwargs["petition_id"], kwargs["email_canonical"])
        for kwargs in (
            row.args_kwargs["kwargs"]
            for row in DBTaskResult.objects.filter(task_path__endswith="resend")
        )
    )


def unsubscribe_url(message) -> str:
    header = message.message()["List-Unsubscribe"]
    return re.sub(r"^<https?://[^/]+", "", header).rstrip(">")
