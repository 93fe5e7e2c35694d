"""When the sign form was shown, by the server's clock, without making the
shared campaign page per visitor.

count.json carries a signed "issued at" time (petition/views.py); the
page's script fetches it as the page loads and writes it into the form
(static/js/site.js), and a form sent before it arrives waits for it a few
seconds. count.json is kept by caches for two seconds, which makes the
time older than the page; a slow answer, or another host's clock, can make
it younger, so only a quarter of SIGNATURE_MIN_FILL_SECONDS is asked of it
and the precise check is the browser's own (shown_for). A bot posting the
form without running the page's script has no time at all, and one that
fetches a time must still wait after it; one time serves thirty days.

Whatever the answer, nobody is dropped: a form that looks automated is
kept, pending, marked for review (signatures/forms.py).
"""

import time

from django.conf import settings
from django.core import signing

from signatures.models import Signature

_SALT = "signatures.form-issued"
# Longer than anyone keeps a tab open before signing (tabs left open for
# days are common; a new time costs anyone one anonymous request, so a short
# limit would only catch people).
ISSUED_MAX_AGE = 30 * 24 * 3600


def _now() -> float:
    return time.time()


def issued_token(*, at: float | None = None) -> str:
    """A signed time, in milliseconds, for the form to carry back."""
    return signing.dumps(int(1000 * (_now() if at is None else at)), salt=_SALT)


def issued_review(token: str) -> str:
    """Why the form's issued time looks automated ("" if it does not)."""
    if not token:
        return Signature.Review.TOKEN_MISSING  # the page's script did not run
    try:
        issued = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return Signature.Review.TOKEN_INVALID
    if not isinstance(issued, int) or isinstance(issued, bool):
        return Signature.Review.TOKEN_INVALID
    age = _now() - issued / 1000
    if age > ISSUED_MAX_AGE:
        return Signature.Review.TOKEN_EXPIRED
    # A quarter of the threshold: count.json may be answered well after the
    # page was shown (a slow connection, a cache miss in a surge) and by
    # another host whose clock is a little off, so this time can be younger
    # than the page. It catches a script that posts as soon as it has a
    # time; shown_for, by the browser's own clock, carries the precise check.
    if age < settings.SIGNATURE_MIN_FILL_SECONDS / 4:
        return Signature.Review.TOO_FAST
    return ""
