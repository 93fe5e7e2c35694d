"""The site's Content Security Policy and Permissions Policy, for
config/settings.py."""

from csp.constants import NONE, SELF

# django-csp: scripts, styles and images only from this site, no inline code
# anywhere, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# django-permissions-policy: features the site never uses, refused to any
# script that might ask.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "interest-cohort",
    )
}


def silenced_hsts_checks(*, include_subdomains: bool, preload: bool) -> list[str]:
    """The deploy check's reminders about the HSTS options left off: both
    bind every subdomain and are hard to undo, so they are opt-in."""
    return [
        check
        for check, enabled in [
            ("security.W005", include_subdomains),
            ("security.W021", preload),
        ]
        if not enabled
    ]
