"""When the sign form was shown, by the server's clock, without making the
shared campaign page per visitor.

count.json carries a signed "issued at" time (petition/views.py); the
page's script fetches it as the page loads and writes it into the form
(static/js/site.js). count.json is kept by caches for two seconds, so the
time may be that much older than the page: a form looks older for it,
never younger, so no person is taken for a bot by it. A bot posting the
form without running the page's script has no time at all, and one that
fetches a time must still wait SIGNATURE_MIN_FILL_SECONDS after it; one
time serves at most a day.

Whatever the answer, nobody is dropped: a form that looks automated is
kept, pending, marked for review (signatures/forms.py).
"""

import time

from django.conf import settings
from django.core import signing

from signatures.models import Signature

_SALT = "signatures.form-issued"
# Longer than anyone keeps a page open before signing; a time older than
# this, reused, looks like a script.
ISSUED_MAX_AGE = 24 * 3600


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
    if age < settings.SIGNATURE_MIN_FILL_SECONDS:
        return Signature.Review.TOO_FAST
    return ""
