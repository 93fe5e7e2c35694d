from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from petition.models import Footnote, Petition


class FootnoteInline(admin.TabularInline):
    model = Footnote
    extra = 1
    ordering = ["number"]


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "published_at", "is_open", "goal", "updated_at"]
    list_filter = ["is_open"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [FootnoteInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "addressees"]}),
        (_("Text"), {"fields": ["body", "why_important", "call_to_action"]}),
        (
            _("Signing"),
            {"fields": ["goal", "is_open", "requires_confirmation", "published_at"]},
        ),
    ]
