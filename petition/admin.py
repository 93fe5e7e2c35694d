import dataclasses
import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from core.admin_site import organizer
from core.cache_reads import readable
from petition.markup import render_campaign
from petition.models import (
    TEXT_FIELDS,
    Footnote,
    FootnoteText,
    Petition,
    PetitionVersion,
)
from petition.services import petition_images_replaced, petition_version_record
from petition.uploads import ACCEPTED_TYPES, logo_file, share_image_file
from signatures.charts import Bar, Chart, Tick
from signatures.dashboard import (
    Dashboard,
    Referrer,
    SourceRow,
    email_queue,
    petition_dashboard,
    petition_report,
)
from signatures.funnel import Funnel, FunnelRow

DASHBOARD_CACHE_SECONDS = 60


@functools.cache
def _dashboard_format() -> str:
    """The dashboard's shape, in its cache key: a release that renames or
    reshapes these classes reads new keys, never a pickle it cannot load."""
    shape = " ".join(
        f"{cls.__module__}.{cls.__qualname__}("
        + ",".join(field.name for field in dataclasses.fields(cls))
        + ")"
        for cls in (Dashboard, Chart, Bar, Tick, SourceRow, Referrer, Funnel, FunnelRow)
    )
    return hashlib.sha256(shape.encode()).hexdigest()[:10]


def dashboard_key(petition_id: int, language: str) -> str:
    return f"admin:dashboard:{_dashboard_format()}:{petition_id}:{language}"


def _dashboard(petition: Petition) -> Dashboard:
    """Aggregates over every signature: computed at most once a minute,
    however often organizers reload. A kept copy that cannot be read is
    computed again."""
    key = dashboard_key(petition.pk, get_language())
    dashboard = readable([key]).get(key)
    if not isinstance(dashboard, Dashboard):
        dashboard = petition_dashboard(petition)
        cache.set(key, dashboard, DASHBOARD_CACHE_SECONDS)
    return dashboard


class PetitionForm(forms.ModelForm):
    published_languages = forms.MultipleChoiceField(
        label=_("languages shown to the public"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Tick a language once its text is reviewed. Visitors reading an "
            "unticked language see another one, with a note saying so."
        ),
    )

    class Meta:
        model = Petition
        fields = ["published_languages"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        names = dict(settings.LANGUAGES)
        for code in cleaned.get("published_languages") or []:
            required = [f for f in TEXT_FIELDS if f != "why_important"]
            values = [
                cleaned.get(
                    f"{field}_{code}", getattr(self.instance, f"{field}_{code}")
                )
                for field in required
            ]
            if any(not (value or "").strip() for value in values):
                self.add_error(
                    "published_languages",
                    _(
                        "%(language)s cannot be shown yet: fill in its title, "
                        "addressees, petition text and call to action first."
                    )
                    % {"language": names[code]},
                )
        return cleaned

    def clean_organizer_logo(self) -> object:
        logo = self.cleaned_data.get("organizer_logo")
        return logo_file(logo) if isinstance(logo, UploadedFile) else logo


def _clean_share_image(language: str) -> Callable[[PetitionForm], object]:
    def clean(form: PetitionForm) -> object:
        image = form.cleaned_data.get(f"share_image_{language}")
        if isinstance(image, UploadedFile):
            return share_image_file(image, language=language)
        return image  # unchanged, cleared (False) or none

    return clean


# clean_share_image_en, clean_share_image_fr: one per translated field.
for _language in settings.MODELTRANSLATION_LANGUAGES:
    setattr(
        PetitionForm, f"clean_share_image_{_language}", _clean_share_image(_language)
    )


class FootnoteInline(TranslationTabularInline):
    model = Footnote
    extra = 1
    ordering = ["number"]
    # A source typed without a scheme is a secure web address.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class PetitionVersionInline(admin.TabularInline):
    """The history: every saved text, who saved it and when."""

    model = PetitionVersion
    readonly_fields = ("number", "created_at", "created_by", "title")
    fields = readonly_fields
    ordering = ["-number"]
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("History of the text")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


def _iframe_snippet(petition: Petition, language: str) -> str:
    with translation.override(language):
        url = settings.SITE_URL + reverse("petition:widget", args=[petition.slug])
        title = _("Petition: %(title)s") % {
            "title": getattr(petition, f"title_{language}") or petition.title
        }
    return format_html(
        '<iframe src="{}" title="{}" width="360" height="220" '
        'style="border:0;max-width:100%" loading="lazy"></iframe>',
        url,
        title,
    )


@admin.register(Petition)
class PetitionAdmin(TranslationAdmin):
    form = PetitionForm
    list_display = [
        "title",
        "slug",
        "published_at",
        "languages",
        "is_open",
        "goal",
        "tools",
    ]
    list_filter = ["is_open"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [FootnoteInline, PetitionVersionInline]
    readonly_fields = ["embed_code"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "addressees"]}),
        (_("Text"), {"fields": ["body", "why_important", "call_to_action"]}),
        (
            _("Who is behind it"),
            {
                "fields": [
                    "organizer_name",
                    "organizer_organization",
                    "organizer_email",
                    "organizer_about",
                    "organizer_logo",
                    "share_image",
                ]
            },
        ),
        (
            _("Signing"),
            {
                "fields": [
                    "goal",
                    "is_open",
                    "requires_confirmation",
                    "published_at",
                    "published_languages",
                ]
            },
        ),
        (_("Sharing"), {"fields": ["embed_code"]}),
    ]
    # Uploads are checked by petition/uploads.py (PetitionForm), with its
    # own messages, not forms.ImageField's; any file name is fine, as it is
    # never kept.
    _upload_field = {
        "form_class": forms.FileField,
        "max_length": None,
        "widget": AdminFileWidget(attrs={"accept": ACCEPTED_TYPES}),
    }
    formfield_overrides = {
        models.FileField: _upload_field,
        models.ImageField: _upload_field,
    }

    def save_model(self, request, obj, form, change) -> None:
        stored = Petition.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        petition_images_replaced(
            petition=obj, before=stored.image_names() if stored else set()
        )

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # After the footnotes are saved, so the version holds the whole text.
        petition_version_record(petition=form.instance, user=organizer(request))

    @admin.display(description=_("languages"))
    def languages(self, petition: Petition) -> str:
        """Which texts are public, and which wait for review."""
        states = []
        for code, name in settings.LANGUAGES:
            if code in petition.published_languages:
                states.append(str(name))
            elif getattr(petition, f"title_{code}"):
                states.append(_("%(language)s: needs review") % {"language": name})
        return ", ".join(states)

    @admin.display(description=_("embed code"))
    def embed_code(self, petition: Petition) -> str:
        """The <iframe> snippet that shows the live count on another site."""
        if petition.pk is None:
            return _("Available once the petition is saved.")
        snippets = format_html_join(
            "",
            '<p><label for="embed-{0}">{1}</label><br>'
            '<textarea id="embed-{0}" readonly rows="3" cols="80">{2}</textarea></p>',
            (
                # Shown as text to copy, so escaped once more.
                (code, name, escape(_iframe_snippet(petition, code)))
                for code, name in settings.LANGUAGES
            ),
        )
        return format_html(
            "{}<p>{}</p>",
            snippets,
            _(
                "Paste this code into another web page to show the live count "
                "and a link to sign."
            ),
        )

    @admin.display(description=_("tools"))
    def tools(self, petition: Petition) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:petition_petition_dashboard", args=[petition.pk]),
            _("Dashboard"),
            reverse("admin:petition_petition_report", args=[petition.pk]),
            _("Delivery report"),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="petition_petition_dashboard",
            ),
            path(
                "<int:pk>/report/",
                self.admin_site.admin_view(self.report_view),
                name="petition_petition_report",
            ),
            *super().get_urls(),
        ]

    def _petition_for_signature_viewers(
        self, request: HttpRequest, pk: int
    ) -> Petition:
        if not request.user.has_perm("signatures.view_signature"):
            raise PermissionDenied
        return get_object_or_404(Petition, pk=pk)

    def dashboard_view(self, request: HttpRequest, pk: int) -> TemplateResponse:
        petition = self._petition_for_signature_viewers(request, pk)
        return TemplateResponse(
            request,
            "admin/petition/petition/dashboard.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Dashboard: %(title)s") % {"title": petition.title},
                "petition": petition,
                "dashboard": _dashboard(petition),
                "refresh_seconds": DASHBOARD_CACHE_SECONDS,
                # Live: a backlog matters the minute it builds.
                "email_queue": email_queue(),
                "opts": self.model._meta,
            },
        )

    def report_view(self, request: HttpRequest, pk: int) -> TemplateResponse:
        petition = self._petition_for_signature_viewers(request, pk)
        # Only a reviewed text goes to the addressees: the report is in the
        # organizer's language if that text is public, else in one that is.
        text = petition.text()
        footnotes = [
            FootnoteText(footnote, footnote.text_in(text.language))
            for footnote in petition.footnotes.all()
        ]
        return TemplateResponse(
            request,
            "admin/petition/petition/report.html",
            {
                "petition": petition,
                "text": text,
                "footnotes": footnotes,
                "content": render_campaign(
                    text.body,
                    text.why_important,
                    frozenset(f.number for f in footnotes),
                ),
                "report": petition_report(petition),
            },
        )


@admin.register(PetitionVersion)
class PetitionVersionAdmin(admin.ModelAdmin):
    list_display = ["petition", "number", "created_at", "created_by"]
    list_filter = ["petition"]
    list_select_related = ["petition", "created_by"]
    readonly_fields = [
        "petition",
        "number",
        "created_at",
        "created_by",
        "title",
        "addressees",
        "body",
        "why_important",
        "call_to_action",
        "footnotes",
        "content_hash",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
