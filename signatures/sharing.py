from urllib.parse import quote, urlencode

from django.utils.translation import gettext as _


def share_links(*, url: str, title: str) -> list[tuple[str, str]]:
    """Plain share URLs, no third-party scripts: (network name, link)."""
    message = _("I just signed this petition: %(title)s") % {"title": title}
    return [
        (
            _("Email"),
            "mailto:?"
            + urlencode(
                {"subject": title, "body": f"{message}\n\n{url}"}, quote_via=quote
            ),
        ),
        ("X", "https://x.com/intent/post?" + urlencode({"text": message, "url": url})),
        (
            "Facebook",
            "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        ),
        ("WhatsApp", "https://wa.me/?" + urlencode({"text": f"{message} {url}"})),
        (
            "Bluesky",
            "https://bsky.app/intent/compose?"
            + urlencode({"text": f"{message} {url}"}),
        ),
    ]
