"""Pure functions that turn what people type into what we store and compare."""

import re
import unicodedata

from django.conf import settings
from email_validator import EmailNotValidError, validate_email

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
    at the providers in EMAIL_CANONICAL_PROVIDERS, also without dots or a
    "+tag" in the local part.
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
        local = local.split("+", 1)[0].replace(".", "")
        domain = canonical_domain
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


def fold_whitespace(text: str) -> str:
    return " ".join(text.split())


def mask_email(email: str) -> str:
    """Enough of an address to tell two apart in a log or an audit trail, not
    enough to write to it: j•••@example.org."""
    local, _, domain = email.rpartition("@")
    if not local:
        return "•••"
    return f"{local[0]}•••@{domain}"
