"""The organizers' tools beside the signature list: the CSV export of the
list as filtered, one person's data (a subject access request), and the
invalidation of a burst from one source."""

from typing import cast

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_site import organizer
from signatures.admin.forms import DataRequestForm, ExportForm, MatchingForm
from signatures.admin.listing import CappedCountPaginator
from signatures.export import csv_lines
from signatures.models import ModerationAction, Signature, SignatureQuerySet
from signatures.services.moderation import record_export, signatures_invalidate
from signatures.services.subject_access import signer_data


class SignatureTools(admin.ModelAdmin):
    """The extra pages of SignatureAdmin, which inherits them."""

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("signatures.export_signature")

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="signatures_signature_export",
            ),
            path(
                "data-request/",
                self.admin_site.admin_view(self.data_request_view),
                name="signatures_signature_data_request",
            ),
            path(
                "invalidate-matching/",
                self.admin_site.admin_view(self.invalidate_matching_view),
                name="signatures_signature_invalidate_matching",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        """The changelist's filters, as a CSV of their confirmed signatures."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(_("These filters are not valid."))
        # SignatureAdmin.get_queryset's, as filtered: Django's stubs know it
        # only as a QuerySet.
        signatures = cast(SignatureQuerySet, changelist.get_queryset(request))
        form = ExportForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            columns = form.cleaned_data["columns"]
            criteria = {"filters": filters_for_the_record(request), "columns": columns}

            # Recorded before the first byte: a download cut short is on record.
            record = record_export(user=organizer(request), criteria=criteria)

            def done(count: int) -> None:
                ModerationAction.objects.filter(pk=record.pk).update(count=count)

            response = StreamingHttpResponse(
                csv_lines(signatures, columns, on_done=done),
                content_type="text/csv; charset=utf-8",
            )
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            response["Content-Disposition"] = (
                f'attachment; filename="signatures-{stamp}.csv"'
            )
            return response
        return TemplateResponse(
            request,
            "admin/signatures/signature/export.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Export confirmed signatures"),
                "form": form,
                "count": signatures.counted()[: CappedCountPaginator.cap].count(),
                "cap": CappedCountPaginator.cap,
                "opts": self.model._meta,
            },
        )

    def data_request_view(self, request: HttpRequest) -> HttpResponse:
        """Everything held about one email address, as a JSON file to send
        to the person who asked (a subject access request)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        form = DataRequestForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            return signer_data_download(
                [form.cleaned_data["email"]], user=organizer(request)
            )
        return TemplateResponse(
            request,
            "admin/signatures/signature/data_request.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Data held about one person"),
                "form": form,
                "opts": self.model._meta,
            },
        )

    def invalidate_matching_view(self, request: HttpRequest) -> HttpResponse:
        """Invalidate a burst: everything from one domain, address or window."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = MatchingForm(request.POST if request.method == "POST" else None)
        matching_count = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            signatures = Signature.objects.matching(
                petition=data["petition"],
                email_domain=data["email_domain"],
                ip_hash=data["ip_hash"],
                since=data["since"],
                until=data["until"],
            )
            if "apply" in request.POST:
                count = signatures_invalidate(
                    signatures=signatures,
                    reason=data["reason"],
                    user=organizer(request),
                    criteria=_criteria(data),
                )
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d signature invalidated.",
                        "%(count)d signatures invalidated.",
                        count,
                    )
                    % {"count": count},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:signatures_signature_changelist")
                )
            matching_count = signatures.exclude(
                status=Signature.Status.INVALIDATED
            ).count()
        return TemplateResponse(
            request,
            "admin/signatures/signature/invalidate_matching.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Invalidate signatures from one source"),
                "form": form,
                "matching_count": matching_count,
                "opts": self.model._meta,
            },
        )


def filters_for_the_record(request: HttpRequest) -> dict:
    """The changelist filters, for the record; never the search term, which
    may be a signer's name or email."""
    return {key: value for key, value in request.GET.items() if key != "q"}


def _criteria(data: dict) -> dict:
    return {
        "petition": data["petition"].pk if data["petition"] else None,
        "email_domain": data["email_domain"],
        "ip_hash": data["ip_hash"],
        "since": data["since"].isoformat() if data["since"] else None,
        "until": data["until"].isoformat() if data["until"] else None,
    }


def signer_data_download(emails: list[str], *, user: User) -> HttpResponse:
    people = [signer_data(email=email, user=user) for email in emails]
    response = JsonResponse(
        people[0] if len(people) == 1 else {"people": people},
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="data-held-{stamp}.json"'
    return response
