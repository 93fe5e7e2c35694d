import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django import forms
from django.conf import settings
from django.forms import BoundField
from django.forms.utils import flatatt
from django.http import HttpRequest, QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from email_validator import EmailNotValidError, validate_email

from signatures.consent import UPDATES_CONSENT_LABEL
from signatures.form_clock import issued_review
from signatures.models import REFERRAL_CODE_LENGTH, Signature
from signatures.normalize import (
    FORMULA_STARTS,
    canadian_postal_code,
    canonical_email,
    fold_whitespace,
    has_control_characters,
    us_zip_code,
    without_disguises,
)

# Searched in a name as a reader sees it (without_disguises): a scheme,
# "www.", a slash, or a dot followed by what reads as a top-level domain: a
# lowercase word ("evil.ca", "t.me"), two capitals ("EVIL.CA") or a generic
# domain spam uses, in any case ("Spam.Com"). A dot before a capitalised
# word is a name's: "St.John", "J.R.R. Tolkien", "Mr.Li", "ST.JOHN".
_GENERIC_TLDS = (
    "com|net|org|info|biz|xyz|top|site|online|shop|store|club|app|dev|link|"
    "click|live|icu|vip|win|loan|work|page|cloud|email|blog|news|buzz|sbs|cfd|"
    "cyou|bet|lol|tech|space|website|fun|stream|download"
)
_LOOKS_LIKE_A_LINK = re.compile(
    rf"(?i:https?:|www\.)|/|\.[a-z]{{2,}}\b|\.[A-Z]{{2}}\b|(?i:\.(?:{_GENERIC_TLDS})\b)"
)


def shown_for_review(shown_for: str) -> str:
    """Why a sign form's timing looks automated ("" if it does not).

    The campaign page is the same for everyone (a proxy keeps it), so it
    cannot carry a time stamp of its own: the page's script writes into the
    form, as it is sent, how many milliseconds the page had been open
    (static/js/site.js). Left empty, nothing ran the page's script: a bot
    posting the form, or a person with scripts off (who confirms by email,
    as every flagged signer may). Sooner than SIGNATURE_MIN_FILL_SECONDS: a
    script filling the form, or a person's autofill, likewise. Either way
    the signature is kept, pending, marked for review; nobody is dropped.
    Beside it: the hidden field (review_reason) and the per-address rate
    limits (signatures/views.py).
    """
    if not shown_for:
        return Signature.Review.TOKEN_MISSING
    try:
        milliseconds = int(shown_for)
    except ValueError:
        return Signature.Review.TOKEN_INVALID
    if milliseconds < 0:
        return Signature.Review.TOKEN_INVALID
    if milliseconds < settings.SIGNATURE_MIN_FILL_SECONDS * 1000:
        return Signature.Review.TOO_FAST
    return ""


# A channel's short name as links carry it: "whatsapp", "newsletter-2026-05".
_SOURCE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
_REFERRAL_CODE = re.compile(rf"[a-z0-9]{{{REFERRAL_CODE_LENGTH}}}")


def clean_source(value: object) -> str:
    """The landing link's ?source= as kept, or "" for anything else: a
    signer never sees an error for what a link they followed carried."""
    source = str(value or "").strip().lower()
    return source if _SOURCE.fullmatch(source) else ""


def clean_referral_code(value: object) -> str:
    code = str(value or "").strip().lower()
    return code if _REFERRAL_CODE.fullmatch(code) else ""


def landing_marks(query) -> dict[str, str]:
    """The source and referral code a landing link's query string names,
    for the sign form's hidden fields."""
    return {
        "source": clean_source(query.get("source")),
        "ref": clean_referral_code(query.get("ref")),
    }


def posted_with_landing_marks(request: HttpRequest) -> QueryDict:
    """The sign form as posted, with the landing link's source and referral
    taken from the Referer where the page's script did not write them in
    (no JavaScript). A same-origin POST names the whole address of the page
    it came from, query string included (Referrer-Policy
    strict-origin-when-cross-origin), and the form carries what it found
    through any error round trip, as hidden fields."""
    posted: QueryDict = request.POST
    if posted.get("source") or posted.get("ref"):
        return posted
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc != request.get_host():
        return posted
    marks = landing_marks({k: v[0] for k, v in parse_qs(referer.query).items()})
    if not any(marks.values()):
        return posted
    marked = posted.copy()
    for name, value in marks.items():
        marked[name] = value
    return marked


@lru_cache(maxsize=8)
def _country_options(language: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The escaped <option> tags for every country, once per language."""
    codes, tags = [], []
    for code, name in countries:
        codes.append(code)
        tags.append(format_html('<option value="{}">{}</option>', code, name))
    return tuple(codes), tuple(tags)


class CountrySelect(forms.Select):
    """The country list rendered with one join instead of a template per
    option: 250 of them on the busiest page of the site."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        codes, tags = _country_options(get_language() or settings.LANGUAGE_CODE)
        options = list(tags)
        if value in codes:
            index = codes.index(value)
            options[index] = options[index].replace("<option ", "<option selected ", 1)
        return format_html(
            "<select{}>{}</select>",
            flatatt(final_attrs),
            mark_safe("".join(options)),  # noqa: S308
        )


class AccessibleBoundField(BoundField):
    """Ties each input to its hint and error, so screen readers announce them."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        described_by = []
        if self.help_text:
            described_by.append(f"{self.auto_id}_helptext")
        if self.errors:
            described_by.append(f"{self.auto_id}_error")
            attrs["aria-invalid"] = "true"
        if described_by:
            attrs["aria-describedby"] = " ".join(described_by)
        return attrs


def _email_field() -> forms.CharField:
    return forms.CharField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send you a link to confirm your signature."),
        error_messages={
            "required": _("Enter your email address."),
            "max_length": _(
                "Enter an email address of at most %(limit_value)d characters."
            ),
        },
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "inputmode": "email", "spellcheck": "false"}
        ),
    )


def _validated_email(value: str) -> str:
    """The address in the normalised form we send to."""
    email = value.strip()
    invalid = _("Enter a valid email address, like name@example.com.")
    if has_control_characters(email):
        raise forms.ValidationError(invalid)
    try:
        # Syntax only, no DNS lookups while the signer waits. Non-ASCII local
        # parts are refused: most mail servers cannot deliver to them.
        parsed = validate_email(email, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise forms.ValidationError(invalid) from None
    if canonical_email(parsed.normalized).startswith("@"):
        raise forms.ValidationError(invalid)  # e.g. "+tag@gmail.com"
    return parsed.normalized


class SignatureForm(forms.Form):
    bound_field_class = AccessibleBoundField

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=100,
        error_messages={
            "required": _("Enter your name."),
            "max_length": _("Enter a name of at most %(limit_value)d characters."),
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "name", "autocapitalize": "words"}
        ),
    )
    email = _email_field()
    # A CharField checked against the country codes: a ChoiceField would
    # deep-copy 250 choices for every form the campaign page shows.
    country = forms.CharField(
        label=_("Country"),
        initial="CA",
        max_length=2,
        error_messages={
            "required": _("Choose your country."),
            "max_length": _("Choose your country from the list."),
        },
        widget=CountrySelect(attrs={"autocomplete": "country"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=20,
        required=False,
        help_text=_("Required in Canada, for example K1A 0B1."),
        error_messages={
            "max_length": _(
                "Enter a postal code of at most %(limit_value)d characters."
            ),
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "autocapitalize": "characters"}
        ),
    )
    wants_updates = forms.BooleanField(
        # The words kept on record when it is ticked (signatures/consent.py).
        label=UPDATES_CONSENT_LABEL,
        required=False,
    )
    show_name_publicly = forms.BooleanField(
        label=_("Show my first name publicly as a signer"),
        required=False,
    )
    # Bots fill every field; people never see this one. Not stripped: a
    # single space is something filled in too.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # Filled by the page's script as the form is sent (shown_for_review).
    shown_for = forms.CharField(required=False, widget=forms.HiddenInput)
    # Filled by the page's script as the page loads, from count.json
    # (signatures/form_clock.py); sent back unchanged after a form error.
    issued = forms.CharField(required=False, widget=forms.HiddenInput)
    # Where the signer came from: the landing link's ?source= and ?ref=,
    # written in by the page's script (the campaign page is cached for
    # everyone, query string or not), or by the sign page itself. No
    # max_length: nothing here may ever stop a signature.
    source = forms.CharField(required=False, widget=forms.HiddenInput)
    ref = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_source(self) -> str:
        return clean_source(self.cleaned_data.get("source"))

    def clean_ref(self) -> str:
        return clean_referral_code(self.cleaned_data.get("ref"))

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"]
        if has_control_characters(name):
            raise forms.ValidationError(
                _("Your name contains characters we can’t store; please retype it.")
            )
        name = fold_whitespace(name)
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        if name.startswith(FORMULA_STARTS):
            raise forms.ValidationError(_("Your name can’t start with =, +, - or @."))
        visible = without_disguises(name)
        if not any(char.isalnum() for char in visible):
            raise forms.ValidationError(_("Enter your name."))
        if _LOOKS_LIKE_A_LINK.search(visible):
            raise forms.ValidationError(_("Enter your name, not a web address."))
        return name

    def clean_email(self) -> str:
        return _validated_email(self.cleaned_data["email"])

    def clean_country(self) -> str:
        country = self.cleaned_data["country"]
        if country not in countries:
            raise forms.ValidationError(_("Choose your country from the list."))
        return country

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        country = cleaned.get("country")
        postal_code = (cleaned.get("postal_code") or "").strip()
        if country == "CA":
            if not postal_code:
                self.add_error(
                    "postal_code", _("Enter your postal code, for example K1A 0B1.")
                )
            elif normalised := canadian_postal_code(postal_code):
                cleaned["postal_code"] = normalised
            else:
                self.add_error(
                    "postal_code",
                    _(
                        "Enter a Canadian postal code like K1A 0B1: letter, number, letter, number, letter, number."
                    ),
                )
        elif country == "US" and postal_code:
            if zip_code := us_zip_code(postal_code):
                cleaned["postal_code"] = zip_code
            else:
                self.add_error(
                    "postal_code", _("Enter a US ZIP code like 12345 or 12345-6789.")
                )
        elif postal_code:
            if has_control_characters(postal_code):
                self.add_error(
                    "postal_code",
                    _("Your postal code contains characters we can’t store."),
                )
            else:
                cleaned["postal_code"] = fold_whitespace(postal_code)
        return cleaned

    def review_reason(self) -> str:
        """Why this submission looks automated ("" if it does not): the
        hidden field filled, or the form sent without the page's script, or
        too soon after the page was shown: by the server's clock (the
        issued time), then by the browser's (shown_for), which is precise
        where the issued time may be two seconds old."""
        if self.cleaned_data.get("website"):
            return Signature.Review.HIDDEN_FIELD
        return issued_review(self.cleaned_data.get("issued", "")) or shown_for_review(
            self.cleaned_data.get("shown_for", "")
        )


class ResendForm(forms.Form):
    bound_field_class = AccessibleBoundField

    email = _email_field()

    def clean_email(self) -> str:
        return _validated_email(self.cleaned_data["email"])
