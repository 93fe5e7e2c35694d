"""The web form's rules applied to one row of a paper batch."""

from django_countries import countries

from signatures.forms import SignatureForm

# What the sign form sends that a sheet of paper has no use for: the
# checks against bots, the landing link's marks, and the consents (a
# paper row's consent to updates is read apart, public names are never shown).
_WEB_ONLY = (
    "website",
    "shown_for",
    "issued",
    "source",
    "ref",
    "wants_updates",
    "show_name_publicly",
)


class PaperRowForm(SignatureForm):
    """The same fields, checks and normalisation as the web form (name,
    email, country, postal code), except that the email address may be
    missing: not everyone writes one on a sheet."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = False
        for name in _WEB_ONLY:
            del self.fields[name]

    def clean_email(self) -> str:
        return super().clean_email() if self.cleaned_data["email"] else ""


def country_code(value: str) -> str:
    """A country as written on a sheet, as the form's code: "CA", "ca",
    "Canada", "États-Unis"; empty is Canada (this is a Canadian campaign).
    Anything else is left for the form to refuse."""
    value = value.strip()
    if not value:
        return "CA"
    if len(value) == 2:
        return value.upper()
    for language in ("en", "fr"):
        code = countries.by_name(value, language=language)
        if isinstance(code, str) and code:
            return code
    return value
