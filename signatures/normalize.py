"""Pure functions that turn what people type into what we store and compare."""

import re
import unicodedata

from django.conf import settings
from email_validator import EmailNotValidError, validate_email

# A spreadsheet runs a cell that starts with one of these as a formula
# (OWASP's list for CSV injection): the form refuses a name that starts so,
# and the export makes any such cell inert.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Canada Post: no D, F, I, O, Q or U anywhere; no W or Z in the first letter.
_CA_POSTAL_CODE = re.compile(
    r"[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z][0-9][ABCEGHJ-NPRSTV-Z][0-9]"
)
_US_ZIP = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")

# The first letter of a postal code names the province or territory.
_PROVINCE_BY_LETTER = {
    "A": "NL",
    "B": "NS",
    "C": "PE",
    "E": "NB",
    "G": "QC",
    "H": "QC",
    "J": "QC",
    "K": "ON",
    "L": "ON",
    "M": "ON",
    "N": "ON",
    "P": "ON",
    "R": "MB",
    "S": "SK",
    "T": "AB",
    "V": "BC",
    "Y": "YT",
}
# X is shared by the two northern territories, split by district.
_NUNAVUT_PREFIXES = ("X0A", "X0B", "X0C")


def canonical_email(email: str) -> str:
    """The form under which two addresses reach the same inbox.

    Trimmed and case-folded, with the domain in its ASCII (IDNA) form, so
    "Jane@Bücher.de", "jane@xn--bcher-kva.de" and full-width look-alikes meet;
    at the providers in EMAIL_CANONICAL_PROVIDERS, also without a "+tag" in
    the local part, and at those in EMAIL_DOTLESS_DOMAINS (Gmail) without dots.

    Stored as Signature.email_canonical: a change here reaches rows already
    stored only through a data migration (see signatures' fold_plus_tags).
    """
    text = email.strip()
    try:
        parsed = validate_email(text, check_deliverability=False)
        local, domain = parsed.local_part, parsed.ascii_domain
    except EmailNotValidError:
        # Not an address (an organizer's search, say): compare it as typed.
        local, _, domain = text.rpartition("@")
    local = unicodedata.normalize("NFKC", local).casefold()
    domain = domain.lower()
    canonical_domain = settings.EMAIL_CANONICAL_PROVIDERS.get(domain)
    if canonical_domain:
        local = local.split("+", 1)[0]
        domain = canonical_domain
        if domain in settings.EMAIL_DOTLESS_DOMAINS:
            local = local.replace(".", "")
    return f"{local}@{domain}"


def canadian_postal_code(raw: str) -> str | None:
    """'k1a0b1' -> 'K1A 0B1'; None when it is not a Canadian postal code."""
    compact = re.sub(r"[\s-]", "", raw, flags=re.ASCII).upper()
    if not _CA_POSTAL_CODE.fullmatch(compact):
        return None
    return f"{compact[:3]} {compact[3:]}"


def us_zip_code(raw: str) -> str | None:
    compact = re.sub(r"\s", "", raw)
    return compact if _US_ZIP.fullmatch(compact) else None


def province_for_postal_code(postal_code: str) -> str:
    """Province or territory code for a normalised Canadian postal code."""
    first = postal_code[:1]
    if first == "X":
        return "NU" if postal_code[:3] in _NUNAVUT_PREFIXES else "NT"
    return _PROVINCE_BY_LETTER.get(first, "")


# Characters that reorder or hide text (bidirectional overrides, zero-width
# space, line separators). Zero-width joiners stay: Persian and Indic names
# need them.
_INVISIBLE = {"\u200b", "\u2028", "\u2029", "\ufeff"} | {
    chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
}


# What can hide between the letters of a web address without showing:
# format characters (zero-width joiners and non-joiners, soft hyphen, word
# joiner, invisible operators, tags), Hangul fillers, the combining grapheme
# joiner, variation selectors and the Braille blank.
_FILLERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u034f", "\u2800"} | {
    chr(c) for c in [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
}
# What reads, or works in an address bar, as a full stop or a slash once
# NFKC has done its part (it already turns the full-width U+FF0E, the one-dot
# leader U+2024 and the small U+FE52 into ".", and the halfwidth U+FF61 into
# U+3002). The middle dot stays: Catalan names have one ("Paral·lel").
_LOOK_ALIKES = str.maketrans(
    {
        "\u3002": ".",  # ideographic full stop, which browsers take as a dot
        "\u06d4": ".",  # Arabic full stop
        "\u2e3c": ".",  # stenographic full stop
        "\ua4ff": ".",  # Lisu full stop
        "\u0701": ".",  # Syriac supralinear full stop
        "\u0702": ".",  # Syriac sublinear full stop
        "\u2215": "/",  # division slash
        "\u29f8": "/",  # big solidus
    }
)


def without_disguises(text: str) -> str:
    """The text as a reader, or a browser, takes it: compatibility forms
    folded (NFKC: full-width letters, ligatures), look-alike dots and slashes
    made plain, invisible fillers removed. For checks only, never stored:
    the zero-width non-joiner that spells a Persian name is a filler here."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        char
        for char in text
        if char not in _FILLERS and unicodedata.category(char) != "Cf"
    )
    return text.translate(_LOOK_ALIKES)


def has_control_characters(text: str) -> bool:
    return any(
        char in _INVISIBLE or unicodedata.category(char) in {"Cc", "Cs", "Co"}
        for char in text
    )


def first_name(full_name: str) -> str:
    """What the public list shows: the first word, without stray punctuation."""
    words = full_name.replace(",", " ").split()
    # Skip titles such as "Dr." when a plain word follows.
    given = [word for word in words if not word.endswith(".")] or words
    return given[0].strip(".;:") if given else ""


def without_case_or_accents(text: str) -> str:
    """Text as compared by a reader who ignores case and accents:
    "Émile" and "emile" are the same."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in text if not unicodedata.combining(char))


def fold_whitespace(text: str) -> str:
    return " ".join(text.split())


def mask_email(email: str) -> str:
    """Enough of an address to tell two apart in a log or an audit trail, not
    enough to write to it: j•••@example.org."""
    local, _, domain = email.rpartition("@")
    if not local:
        return "•••"
    return f"{local[0]}•••@{domain}"
