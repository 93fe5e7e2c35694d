"""What the fuzzing tests send, and what they check in every answer: the
generated inputs (Hypothesis strategies), the settings every fuzzing test
runs with, and the assertions they share."""

import json
import unicodedata
from collections import Counter
from urllib.parse import quote

from django.conf import settings as django_settings
from django.utils.html import escape
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from signatures.models import Signature
from tests.conftest import SEED_SLUG
from tests.signing import form_data

SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"
THANKS_URL = f"/en/p/{SEED_SLUG}/thanks/"
RESEND_URL = f"/en/p/{SEED_SLUG}/resend/"
ADMIN = "/" + django_settings.ADMIN_URL
LIMIT = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
# Where a spreadsheet starts a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# How many generated inputs each test tried, reported at the end of the package.
TRIED: Counter[str] = Counter()


def fuzz(max_examples: int):
    """Hypothesis settings for a test that makes requests: no deadline (the
    machine is shared), one database transaction for all its examples."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


# --- What goes in -------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "jane@example.org\r\nBcc: victim@example.org",
    "Jane\nBcc: victim@example.org",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'",
    "%",
    "%00",
    "%(name)s",
    "{{ form }}",
    "{% debug %}",
    '=HYPERLINK("http://evil.example","x")',
    "\u202ereversed",
    "\ufeff",
    "\u2028",
    "𝕳𝖊𝖑𝖑𝖔",
    "👩‍👩‍👧",
    "İstanbul",
    "ﬀ@gmail.com",
    "a@b",
    "@",
    "+@gmail.com",
    "...@gmail.com",
    "a..b@gmail.com",
    "jane@xn--",
    "jane@-example.org",
    "jane@" + "x" * 300 + ".org",
    '"jane doe"@example.org',
    "jane@[127.0.0.1]",
    "K1A 0B1",
    "CA",
    "ZZ",
    "null",
    "[]",
    "{}",
    "-1",
    "1e999",
    "NaN",
]

# Any text at all, weighted towards what breaks things.
texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(NASTY),
    st.text(
        alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Co"]),
        max_size=10,
    ),
    # Enormous: past every field's limit, some past the body limit too.
    st.builds(
        lambda char, n: char * n,
        st.sampled_from(["x", "é", "\x00", "<", "𝕏", " "]),
        st.sampled_from([101, 255, 5_000, 100_000]),
    ),
)
valid_emails = st.integers(min_value=0, max_value=10**6).map(
    lambda n: f"fuzz{n}@example.org"
)

SIGN_FIELDS = [
    "full_name",
    "email",
    "country",
    "postal_code",
    "wants_updates",
    "show_name_publicly",
    "website",
    "shown_for",
    "issued",
]


@st.composite
def sign_forms(draw) -> list[tuple[str, str]]:
    """A signing form, each field kept, replaced, dropped or repeated, plus
    fields nobody asked for."""
    valid = form_data(email=draw(valid_emails), wants_updates="on")
    fields: list[tuple[str, str]] = []
    for name in SIGN_FIELDS:
        how = draw(st.sampled_from(["keep", "keep", "fuzz", "drop", "repeat"]))
        if how == "keep" and name in valid:
            fields.append((name, valid[name]))
        elif how == "fuzz":
            fields.append((name, draw(texts)))
        elif how == "repeat":
            fields.extend((name, value) for value in draw(st.lists(texts, max_size=3)))
    fields.extend(draw(st.lists(st.tuples(texts, texts), max_size=2)))
    return fields


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes, end: bool) -> bytes:
    body = b"".join(
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="'
        + name
        + b'"\r\n\r\n'
        + value
        + b"\r\n"
        for name, value in parts
    )
    return body + (b"--" + boundary + b"--\r\n" if end else b"")


small_bytes = st.binary(max_size=40)
raw_bodies = st.one_of(
    st.binary(max_size=300),
    # A form, but its escapes are not UTF-8.
    st.lists(
        st.tuples(st.sampled_from([*SIGN_FIELDS, "x"]), small_bytes), max_size=8
    ).map(
        lambda fields: "&".join(
            f"{name}={quote(value, safe='')}" for name, value in fields
        ).encode()
    ),
    st.builds(
        multipart,
        st.lists(
            st.tuples(
                st.sampled_from([b"full_name", b"email", b'x"; filename="a']),
                small_bytes,
            ),
            max_size=4,
        ),
        st.sampled_from([b"BOUNDARY", b"", b"x" * 100]),
        st.booleans(),
    ),
    st.builds(lambda data: json.dumps(data).encode(), st.just(form_data())),
    st.builds(lambda text: text.encode("utf-8"), st.text(max_size=100)),
)
content_types = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-16",
            "application/x-www-form-urlencoded; charset=rot13",
            "application/x-www-form-urlencoded; charset=nonsense",
            "application/x-www-form-urlencoded; charset=latin-1",
            "multipart/form-data",
            "multipart/form-data; boundary=BOUNDARY",
            "multipart/form-data; boundary=BOUNDARY; charset=base64",
            "multipart/form-data; boundary=",
            "application/json",
            "text/plain",
            "application/octet-stream",
            "",
            ";",
        ]
    ),
    st.text(max_size=40).filter(lambda t: "\n" not in t and "\r" not in t),
)

# Text with HTML, template and spreadsheet syntax in it, for what is shown
# again. Every tag and attribute it could inject is spelled with "fz", which
# no template uses: wherever one appears raw in a page, escaping failed.
INJECTED = ("<fz", "</fz", '"fz=', "'fz=")
MARKUP = [
    "<fz>",
    "</fz>",
    "<fz onload=alert(1)>",
    '"><fz>',
    '"fz="1',
    "'fz='1",
    "<",
    ">",
    "&",
    '"',
    "'",
    "`",
    "&amp;",
    "&lt;fz&gt;",
    "{{ secret }}",
    "{% csrf_token %}",
    "javascript:alert(1)",
    " ",
]
printable = st.characters(exclude_categories=["Cc", "Cs"])
marked_up = st.lists(
    st.one_of(st.sampled_from(MARKUP), st.text(alphabet=printable, max_size=8)),
    min_size=1,
    max_size=6,
).map(lambda parts: "".join(parts)[:100])


def page_text(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def assert_nothing_injected(html: str) -> None:
    assert [markup for markup in INJECTED if markup in html] == []


def assert_shown_escaped(html: str, value: str) -> None:
    """The value is in the page in its escaped form, and nothing in it
    became a tag or an attribute."""
    assert escape(value) in html
    assert_nothing_injected(html)


def assert_no_server_error(response) -> None:
    assert response.status_code < 500, response.content[:500]


def assert_stored_rows_are_clean() -> None:
    """What the signing form stores never holds control characters, stray
    white space or a formula start, whatever was typed."""
    for name, address, postal_code in Signature.objects.values_list(
        "full_name", "email", "postal_code"
    ):
        for value in (name, address, postal_code):
            assert not any(unicodedata.category(c) == "Cc" for c in value), value
        assert name == " ".join(name.split()) != ""
        assert len(name) <= 100
        assert not name.startswith(FORMULA_STARTS)
        assert address.count("@") == 1
