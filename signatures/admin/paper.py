"""Paper signatures in the admin: a batch uploaded (or pasted), previewed row
by row, then added all together; the list of batches; and the signature
list's "paper or web" filter."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_site import organizer
from petition.models import Petition
from signatures.models import PaperBatch, Signature
from signatures.paper_csv import (
    MAX_BYTES,
    BatchUnreadable,
    RawRow,
    accepted_headers,
    decoded,
    read_rows,
)
from signatures.services.paper import (
    BatchCheck,
    PaperBatchInvalid,
    paper_batch_check,
    paper_batch_import,
)


class PaperBatchForm(forms.Form):
    petition = forms.ModelChoiceField(
        label=_("Petition"), queryset=Petition.objects.order_by("-published_at")
    )
    event = forms.CharField(
        label=_("Event"),
        max_length=200,
        help_text=_("Where the sheets were signed, for example “Rally at City Hall”."),
    )
    collected_on = forms.DateField(
        label=_("Collected on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    collected_by = forms.CharField(
        label=_("Collected by"),
        max_length=200,
        help_text=_("The volunteers or the group who collected them."),
    )
    language = forms.ChoiceField(
        label=_("Language of the signers"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        help_text=_("For rows without a Language column."),
    )
    file = forms.FileField(
        label=_("CSV file"),
        required=False,
        help_text=_("Comma or semicolon separated, UTF-8 or Windows-1252."),
    )
    text = forms.CharField(
        label=_("Or type or paste the rows"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_("The same as a CSV file: a header row, then one row per signer."),
    )

    def clean_petition(self) -> Petition:
        petition = self.cleaned_data["petition"]
        if not petition.is_taking_signatures:
            raise forms.ValidationError(
                _("This petition is closed or not published: it takes no signatures.")
            )
        return petition

    def clean_collected_on(self):
        collected_on = self.cleaned_data["collected_on"]
        if collected_on > timezone.localdate():
            raise forms.ValidationError(_("Give a date that has passed."))
        return collected_on

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        upload, text = cleaned.get("file"), cleaned.get("text") or ""
        where = "file" if upload else "text"
        try:
            if upload:
                if upload.size > MAX_BYTES:
                    raise BatchUnreadable(
                        _(
                            "The file is over %(size)d KB: split it into several batches."
                        )
                        % {"size": MAX_BYTES // 1024}
                    )
                text = decoded(upload.read())
            elif not text.strip():
                self.add_error("file", _("Choose a CSV file, or type the rows below."))
                return cleaned
            cleaned["rows"] = read_rows(text)
            # Carried to the confirmation as text: the file is not sent twice.
            cleaned["text"] = text
        except BatchUnreadable as unreadable:
            self.add_error(where, str(unreadable))
        return cleaned


@admin.register(PaperBatch)
class PaperBatchAdmin(admin.ModelAdmin):
    list_display = [
        "event",
        "collected_on",
        "collected_by",
        "petition",
        "imported",
        "skipped",
        "created_by",
        "created_at",
        "signatures_link",
    ]
    list_filter = ["petition"]
    list_select_related = ["petition", "created_by"]
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a batch is on record as it was added

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # its signatures are invalidated or erased, each recorded

    @admin.display(description=_("signatures"))
    def signatures_link(self, batch: PaperBatch) -> str:
        url = reverse("admin:signatures_signature_changelist")
        return format_html(
            '<a href="{}?paper={}">{}</a>', url, batch.pk, _("Show signatures")
        )

    def add_view(self, request, form_url="", extra_context=None) -> HttpResponse:
        """Upload, preview, confirm: nothing is added until the organizer has
        seen every row's fate and pressed "Add"."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        posted = request.method == "POST"
        form = PaperBatchForm(
            request.POST if posted else None, request.FILES if posted else None
        )
        check: BatchCheck | None = None
        if posted and form.is_valid():
            data = form.cleaned_data
            batch_args = {
                "petition": data["petition"],
                "rows": data["rows"],
                "language": data["language"],
            }
            if "confirm" in request.POST:
                try:
                    batch = paper_batch_import(
                        **batch_args,
                        event=data["event"],
                        collected_on=data["collected_on"],
                        collected_by=data["collected_by"],
                        user=organizer(request),
                    )
                except PaperBatchInvalid as invalid:
                    check = invalid.check
                else:
                    self._added(request, batch)
                    url = reverse("admin:signatures_signature_changelist")
                    return HttpResponseRedirect(f"{url}?paper={batch.pk}")
            else:
                check = paper_batch_check(**batch_args)
        return TemplateResponse(
            request,
            "admin/signatures/paperbatch/add.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Add paper signatures"),
                "form": form,
                "check": check,
                "preview": _preview(form.cleaned_data.get("rows", []), check)
                if check
                else [],
                "headers": accepted_headers(),
                "opts": self.model._meta,
            },
        )

    def _added(self, request: HttpRequest, batch: PaperBatch) -> None:
        total = Signature.objects.counted().filter(petition=batch.petition).count()
        self.message_user(
            request,
            ngettext(
                "%(count)d paper signature added from “%(event)s”.",
                "%(count)d paper signatures added from “%(event)s”.",
                batch.imported,
            )
            % {"count": batch.imported, "event": batch.event}
            + " "
            + ngettext(
                "The petition now counts %(total)d signature.",
                "The petition now counts %(total)d signatures.",
                total,
            )
            % {"total": total},
            messages.SUCCESS,
        )
        if batch.skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d row was someone who had already signed: skipped, "
                    "not counted twice.",
                    "%(count)d rows were people who had already signed: skipped, "
                    "not counted twice.",
                    batch.skipped,
                )
                % {"count": batch.skipped},
                messages.WARNING,
            )


def _preview(rows: list[RawRow], check: BatchCheck) -> list[dict]:
    """Each row as typed, beside its errors or why it is skipped."""
    errors = check.errors_by_row()
    duplicates = {duplicate.row: duplicate.why for duplicate in check.duplicates}
    confirming = {row.number for row in check.rows if row.confirms_pending}
    return [
        {
            "number": row.number,
            "name": row.values.get("full_name")
            or " ".join(
                row.values.get(part, "") for part in ("first_name", "last_name")
            ).strip(),
            "email": row.values.get("email", ""),
            "postal_code": row.values.get("postal_code", ""),
            "errors": errors.get(row.number, []),
            "duplicate": duplicates.get(row.number, ""),
            "confirms_pending": row.number in confirming,
        }
        for row in rows
    ]


class PaperFilter(admin.SimpleListFilter):
    """Signatures by where they were made: online, on paper, one batch."""

    title = _("paper or web")
    parameter_name = "paper"

    def lookups(self, request, model_admin):
        return [
            ("web", _("Signed online")),
            ("any", _("Any paper batch")),
            *(
                (str(batch.pk), str(batch))
                for batch in PaperBatch.objects.order_by("-created_at")[:30]
            ),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "web":
            return queryset.filter(paper_batch__isnull=True)
        if value == "any":
            return queryset.filter(paper_batch__isnull=False)
        if value and value.isdigit():
            return queryset.filter(paper_batch_id=int(value))
        return queryset
