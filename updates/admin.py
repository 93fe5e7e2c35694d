"""Campaign updates in the admin: write (in English and French), preview,
send a test to oneself, send, and watch the progress."""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import path
from django.utils.translation import gettext_lazy as _

from updates import admin_views
from updates.models import Update


@admin.register(Update)
class UpdateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "petition", "status", "progress_summary", "created_at"]
    list_filter = ["petition", "status"]
    list_select_related = ["petition"]
    show_full_result_count = False
    change_form_template = "admin/updates/update/change_form.html"
    bookkeeping = [
        "status",
        "progress_summary",
        "created_by",
        "sent_by",
        "sending_started_at",
        "sent_at",
    ]
    fields = [
        "petition",
        "subject_en",
        "body_en",
        "subject_fr",
        "body_fr",
        *bookkeeping,
    ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None and obj.status != Update.Status.DRAFT:
            # What went out stays as it went out.
            return self.fields
        return self.bookkeeping

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A draft may go; a sent update is the record of what signers got.
        if obj is not None and obj.status != Update.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("progress"))
    def progress_summary(self, update: Update) -> str:
        if update.status == Update.Status.DRAFT:
            return "—"
        counts = update.progress()
        return _(
            "%(sent)d sent of %(total)d; %(pending)d waiting, %(skipped)d "
            "skipped, %(failed)d failed, %(uncertain)d interrupted"
        ) % {
            "sent": counts["sent"],
            "total": update.recipients,
            "pending": counts["pending"] + counts["sending"],
            "skipped": counts["skipped"],
            "failed": counts["failed"],
            "uncertain": counts["uncertain"],
        }

    def get_urls(self):
        def view(function, name: str):
            return path(
                f"<int:pk>/{name}/",
                self.admin_site.admin_view(function),
                name=f"updates_update_{name.replace('-', '_')}",
            )

        return [
            view(admin_views.preview, "preview"),
            view(admin_views.send_test, "send-test"),
            view(admin_views.send, "send"),
            *super().get_urls(),
        ]
