"""Where the signing form is, and how a page shows a field's error."""

from tests.conftest import SEED_SLUG
from tests.html_tools import parse_page

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"
THANKS_URL = f"/en/p/{SEED_SLUG}/thanks/"


def field_error(response, field: str) -> str | None:
    page = parse_page(response.content.decode())
    element = page.by_id(f"id_{field}_error")
    return " ".join(element.text.split()) if element else None
