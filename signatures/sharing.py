"""The share step after signing and after confirming: the links a signer
presses to ask friends to sign, each naming its channel (?source=), and,
for a signer's own links, their public referral code (?ref=)."""

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode

from django.conf import settings
from django.utils.translation import gettext as _

# Every ?source= the share step and the emails write: one per link below,
# the copied address, the native share sheet.
SHARE_SOURCES = frozenset(
    {"whatsapp", "facebook", "x", "bluesky", "messenger", "telegram", "email", "sms"}
    | {"link", "native"}
)


def tagged_url(url: str, *, source: str, ref: str = "") -> str:
    """The petition's address as one network shares it: ?source= names the
    channel, ?ref= (a signer's own links only) the signer's public referral
    code, never anything that tells who they are. The campaign page's
    script carries both into the sign form (static/js/site.js)."""
    query = {"source": source} | ({"ref": ref} if ref else {})
    return f"{url}?{urlencode(query)}"


@dataclass(frozen=True)
class ShareLink:
    source: str  # as the link's ?source= names it
    name: str
    href: str
    # A link that works on one kind of device only: an app's address that a
    # desktop has nothing to open with, or a web dialog a phone does badly.
    device: Literal["", "phone", "desktop"] = ""

    @property
    def new_tab(self) -> bool:
        # A web page opens beside ours; mailto:, sms: and an app's own
        # scheme open their app, and a new tab would stay blank.
        return self.href.startswith("https://")


def share_message(title: str) -> str:
    """What the signer sends, in the page's language: it asks, and says
    they signed, since a friend's own word is what makes people sign."""
    return _("I just signed “%(title)s”. Will you sign too?") % {"title": title}


def share_links(*, url: str, title: str, ref: str = "") -> list[ShareLink]:
    """Plain share URLs, no third-party scripts, in the order a phone
    shows them (WhatsApp first: the one most people share petitions by;
    the page's script moves it down on a desktop)."""
    message = share_message(title)

    def tagged(source: str) -> str:
        return tagged_url(url, source=source, ref=ref)

    def query(**fields: str) -> str:
        # Spaces as %20: mail and SMS apps show a "+" as a plus.
        return urlencode(fields, quote_via=quote)

    return [
        ShareLink(
            "whatsapp",
            "WhatsApp",
            "https://wa.me/?" + query(text=f"{message} {tagged('whatsapp')}"),
        ),
        ShareLink(
            "facebook",
            "Facebook",
            # Facebook takes the address only: the card comes from the page.
            "https://www.facebook.com/sharer/sharer.php?" + query(u=tagged("facebook")),
        ),
        ShareLink(
            "x",
            "X",
            "https://x.com/intent/post?" + query(text=message, url=tagged("x")),
        ),
        ShareLink(
            "bluesky",
            "Bluesky",
            "https://bsky.app/intent/compose?"
            + query(text=f"{message} {tagged('bluesky')}"),
        ),
        *_messenger(tagged("messenger"), redirect=url),
        ShareLink(
            "telegram",
            "Telegram",
            "https://t.me/share/url?" + query(url=tagged("telegram"), text=message),
        ),
        ShareLink(
            "email",
            _("Email"),
            "mailto:?" + query(subject=title, body=f"{message}\n\n{tagged('email')}"),
        ),
        # "sms:?&body=": iOS reads the body after "&", Android after "?"; both
        # skip the empty part. A desktop mostly has no app for it.
        ShareLink(
            "sms",
            _("Text message"),
            "sms:?&" + query(body=f"{message} {tagged('sms')}"),
            device="phone",
        ),
    ]


def _messenger(link: str, *, redirect: str) -> list[ShareLink]:
    """Messenger's app opens its own share sheet from fb-messenger:// on a
    phone, with no Facebook app of ours. Its web dialog needs an app id;
    without FACEBOOK_APP_ID a desktop gets no Messenger link at all."""
    app_id = settings.FACEBOOK_APP_ID
    app = {"app_id": app_id} if app_id else {}
    links = [
        ShareLink(
            "messenger",
            "Messenger",
            "fb-messenger://share/?" + urlencode({"link": link} | app),
            device="phone",
        )
    ]
    if app_id:
        links.append(
            ShareLink(
                "messenger",
                "Messenger",
                "https://www.facebook.com/dialog/send?"
                + urlencode(app | {"link": link, "redirect_uri": redirect}),
                device="desktop",
            )
        )
    return links


def share_step(*, url: str, title: str, ref: str = "") -> dict[str, object]:
    """The template context of the share step (templates/includes/share_step.html):
    the question, the native share sheet's title, message and address, the
    links, and the address to copy."""
    return {
        "share_title": title,
        "share_message": share_message(title),
        "share_native_url": tagged_url(url, source="native", ref=ref),
        "share_links": share_links(url=url, title=title, ref=ref),
        "share_url": tagged_url(url, source="link", ref=ref),
    }
