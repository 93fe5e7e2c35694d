from urllib.parse import quote, urlencode

from django.utils.translation import gettext as _


def tagged_url(url: str, *, source: str, ref: str = "") -> str:
    """The petition's address as one network shares it: ?source= names the
    channel, ?ref= (a signer's own links only) the signer's public referral
    code, never anything that tells who they are. The campaign page's
    script carries both into the sign form (static/js/site.js)."""
    query = {"source": source} | ({"ref": ref} if ref else {})
    return f"{url}?{urlencode(query)}"


def share_links(*, url: str, title: str, ref: str = "") -> list[tuple[str, str]]:
    """Plain share URLs, no third-party scripts: (network name, link)."""
    message = _("I just signed this petition: %(title)s") % {"title": title}

    def tagged(source: str) -> str:
        return tagged_url(url, source=source, ref=ref)

    return [
        (
            _("Email"),
            "mailto:?"
            + urlencode(
                {"subject": title, "body": f"{message}\n\n{tagged('email')}"},
                quote_via=quote,
            ),
        ),
        (
            "X",
            "https://x.com/intent/post?"
            + urlencode({"text": message, "url": tagged("x")}),
        ),
        (
            "Facebook",
            "https://www.facebook.com/sharer/sharer.php?"
            + urlencode({"u": tagged("facebook")}),
        ),
        (
            "WhatsApp",
            "https://wa.me/?" + urlencode({"text": f"{message} {tagged('whatsapp')}"}),
        ),
        (
            "Bluesky",
            "https://bsky.app/intent/compose?"
            + urlencode({"text": f"{message} {tagged('bluesky')}"}),
        ),
    ]
