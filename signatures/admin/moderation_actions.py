"""The record of what was done to signatures, read-only."""

from django.contrib import admin
from django.http import HttpRequest

from signatures.models import ModerationAction


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    list_display = ["performed_at", "kind", "count", "performed_by", "reason"]
    list_filter = ["kind"]
    list_select_related = ["performed_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
