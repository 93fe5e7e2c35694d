"""The forms of the organizers' actions and tools."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from petition.models import Petition
from signatures.export import COLUMNS, DEFAULT_COLUMNS


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Kept with each signature and in the moderation log."),
        error_messages={"required": _("Say why, for the record.")},
    )


class ReasonForm(forms.Form):
    reason = _reason_field()


class ExportForm(forms.Form):
    columns = forms.MultipleChoiceField(
        label=_("Columns"),
        choices=[(name, column.label) for name, column in COLUMNS.items()],
        initial=DEFAULT_COLUMNS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one column.")},
    )


class DataRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The address the person signed with, in any capitalisation."),
    )


class MatchingForm(forms.Form):
    petition = forms.ModelChoiceField(
        label=_("Petition"), queryset=Petition.objects.all(), required=False
    )
    email_domain = forms.CharField(
        label=_("Email domain"), required=False, help_text=_("For example spam.example")
    )
    ip_hash = forms.CharField(label=_("IP address hash"), required=False, max_length=64)
    since = forms.DateTimeField(label=_("Signed from"), required=False)
    until = forms.DateTimeField(label=_("Signed before"), required=False)
    reason = _reason_field()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not any(
            cleaned.get(f) for f in ("email_domain", "ip_hash", "since", "until")
        ):
            raise forms.ValidationError(
                _("Give a domain, an IP address hash or a time window.")
            )
        return cleaned
