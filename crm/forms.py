from django import forms
from django.utils.translation import gettext_lazy as _

from crm import safe_http
from crm.models import ActionNetworkTarget, EventType, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "Where each event is POSTed. HTTPS, on an address reachable from the "
            "internet."
        ),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What this endpoint is sent."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "petition", "events", "is_active"]

    def clean_url(self) -> str:
        """Checked now for the organizer's sake; checked again at each
        delivery, since where a name leads can change."""
        url = self.cleaned_data["url"].strip()
        try:
            safe_http.check_url(url)
        except safe_http.AddressRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return url


class ActionNetworkTargetForm(forms.ModelForm):
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        max_length=100,
        # Never sent back to the browser once saved.
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "From Action Network's API & Sync page. Left empty: the key saved "
            "before is kept (or, if none, the site's ACTION_NETWORK_API_KEY)."
        ),
    )
    tags = forms.CharField(
        label=_("Tags to add"),
        required=False,
        help_text=_(
            "Separated by commas; Action Network adds only tags that exist there."
        ),
    )

    class Meta:
        model = ActionNetworkTarget
        fields = [
            "petition",
            "action_network_petition",
            "api_key",
            "tags",
            "only_with_consent",
            "is_active",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags)

    def clean_action_network_petition(self) -> str:
        value = self.cleaned_data["action_network_petition"].strip().rstrip("/")
        # The whole API address pasted in: its last part is the id.
        value = value.rsplit("/", 1)[-1].removeprefix("action_network:")
        if not value or not all(char.isalnum() or char == "-" for char in value):
            raise forms.ValidationError(
                _("Enter the petition's id, letters, digits and dashes.")
            )
        return value

    def clean_api_key(self) -> str:
        key = self.cleaned_data["api_key"].strip()
        return key or (self.instance.api_key if self.instance.pk else "")

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data["tags"]
        return [tag.strip() for tag in raw.split(",") if tag.strip()]
