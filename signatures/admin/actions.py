"""The organizers' actions on selected signatures: invalidate, restore,
resend the confirmation, export, erase. Each one asks first (an intermediate
page), then calls a service, which records it."""

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_site import organizer
from signatures.admin.forms import ReasonForm
from signatures.admin.tools import filters_for_the_record, signer_data_download
from signatures.models import Signature, SignatureQuerySet
from signatures.services.moderation import (
    resend_left_alone,
    signatures_erase,
    signatures_invalidate,
    signatures_resend_confirmation,
    signatures_restore,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class SignatureActions(admin.ModelAdmin):
    """The actions of SignatureAdmin, which inherits them. Each is handed the
    selection from SignatureAdmin.get_queryset: a SignatureQuerySet."""

    @admin.action(
        description=_("Invalidate selected signatures"), permissions=["change"]
    )
    def invalidate(
        self, request: HttpRequest, queryset: SignatureQuerySet
    ) -> HttpResponse | None:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            count = signatures_invalidate(
                signatures=queryset,
                reason=form.cleaned_data["reason"],
                user=organizer(request),
                criteria={"selected": selection_criteria(request, queryset)},
            )
            self.message_user(
                request,
                ngettext(
                    "%(count)d signature invalidated. It no longer counts.",
                    "%(count)d signatures invalidated. They no longer count.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        return intermediate_page(
            request,
            queryset,
            action="invalidate",
            title=_("Invalidate signatures"),
            form=form,
            button=_("Invalidate"),
        )

    @admin.action(
        description=_("Restore selected invalidated signatures"), permissions=["change"]
    )
    def restore(
        self, request: HttpRequest, queryset: SignatureQuerySet
    ) -> HttpResponse | None:
        if "apply" not in request.POST:
            return intermediate_page(
                request,
                queryset.filter(status=Signature.Status.INVALIDATED),
                action="restore",
                title=_("Restore invalidated signatures"),
                form=forms.Form(),
                button=_("Restore"),
            )
        count = signatures_restore(signatures=queryset, user=organizer(request))
        self.message_user(
            request,
            ngettext(
                "%(count)d signature restored.", "%(count)d signatures restored.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )
        return None

    @admin.action(
        description=_("Resend the confirmation email to selected pending signers"),
        permissions=["change"],
    )
    def resend_confirmation(
        self, request: HttpRequest, queryset: SignatureQuerySet
    ) -> HttpResponse | None:
        if "apply" not in request.POST:
            pending = queryset.filter(status=Signature.Status.PENDING)
            left_alone = resend_left_alone(signatures=queryset)
            not_open = left_alone["not_open"]
            warnings = [
                ngettext(
                    "%(count)d of them signed a petition that is closed or not "
                    "published: they will get nothing.",
                    "%(count)d of them signed a petition that is closed or not "
                    "published: they will get nothing.",
                    not_open,
                )
                % {"count": not_open}
                if not_open
                else "",
                _undeliverable_message(left_alone["undeliverable"], future=True),
            ]
            return intermediate_page(
                request,
                pending,
                action="resend_confirmation",
                title=_("Resend the confirmation email"),
                form=forms.Form(),
                button=_("Resend"),
                warning=" ".join(warning for warning in warnings if warning),
            )
        outcome = signatures_resend_confirmation(
            signatures=queryset, user=organizer(request)
        )
        self.message_user(
            request,
            ngettext(
                "Confirmation email resent to %(count)d pending signer.",
                "Confirmation email resent to %(count)d pending signers.",
                outcome.sent,
            )
            % {"count": outcome.sent},
            messages.SUCCESS,
        )
        if outcome.not_open:
            self.message_user(
                request,
                ngettext(
                    "Nothing was sent to %(count)d pending signer: their petition "
                    "is closed or not published, so the link would confirm "
                    "nothing.",
                    "Nothing was sent to %(count)d pending signers: their petition "
                    "is closed or not published, so the link would confirm "
                    "nothing.",
                    outcome.not_open,
                )
                % {"count": outcome.not_open},
                messages.WARNING,
            )
        if outcome.undeliverable:
            self.message_user(
                request,
                _undeliverable_message(outcome.undeliverable, future=False),
                messages.WARNING,
            )
        return None

    @admin.action(
        description=_("Export confirmed signatures as CSV"), permissions=["export"]
    )
    def export_csv(
        self, request: HttpRequest, queryset: SignatureQuerySet
    ) -> HttpResponseRedirect:
        url = reverse("admin:signatures_signature_export")
        if request.POST.get("select_across") == "1":
            query = request.GET.urlencode()  # the changelist's filters
        else:
            pks = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
            query = f"id__in={pks}"
        return HttpResponseRedirect(f"{url}?{query}")

    @admin.action(
        description=_("Erase selected signers’ personal data (on their request)"),
        permissions=["erase"],
    )
    def erase(
        self, request: HttpRequest, queryset: SignatureQuerySet
    ) -> HttpResponse | None:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            count = signatures_erase(
                signatures=queryset,
                user=organizer(request),
                reason=form.cleaned_data["reason"],
            )
            self.message_user(
                request,
                ngettext(
                    "%(count)d signature and its personal data erased.",
                    "%(count)d signatures and their personal data erased.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        return intermediate_page(
            request,
            queryset,
            action="erase",
            title=_("Erase personal data"),
            form=form,
            button=_("Erase for good"),
            warning=_("This deletes the signatures and cannot be undone."),
        )

    @admin.action(
        description=_("Export all data held about the selected signers (JSON)"),
        permissions=["export"],
    )
    def export_signer_data(
        self, request: HttpRequest, queryset: SignatureQuerySet
    ) -> HttpResponse | None:
        # Paper signers who wrote no address are found by nothing else.
        emails = [
            email
            for email in queryset.order_by()
            .exclude(email_canonical=None)
            .values_list("email_canonical", flat=True)
            .distinct()[: _MAX_PEOPLE + 1]
            if email
        ]
        if not emails:
            self.message_user(
                request,
                _("None of the selected signers gave an email address."),
                messages.ERROR,
            )
            return None
        if len(emails) > _MAX_PEOPLE:
            self.message_user(
                request,
                _("Select the signatures of at most %(n)d people.")
                % {"n": _MAX_PEOPLE},
                messages.ERROR,
            )
            return None
        return signer_data_download(emails, user=organizer(request))


def intermediate_page(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: "StrOrPromise",
    form: forms.Form,
    button: "StrOrPromise",
    warning: "StrOrPromise" = "",
) -> TemplateResponse:
    return TemplateResponse(
        request,
        "admin/signatures/signature/action_form.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "form": form,
            "action": action,
            "button": button,
            "warning": warning,
            "count": queryset.count(),
            # Across all pages, Django re-derives the rows from the filters and
            # only needs one id; otherwise, the rows ticked on this page.
            "queryset_pks": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)[
                : 1 if request.POST.get("select_across") == "1" else None
            ],
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": Signature._meta,
        },
    )


_MAX_PEOPLE = 100


def _undeliverable_message(count: int, *, future: bool) -> str:
    if not count:
        return ""
    if future:
        message = ngettext(
            "%(count)d of them has an address the email provider reported as "
            "bouncing or complaining: they will get nothing.",
            "%(count)d of them have an address the email provider reported as "
            "bouncing or complaining: they will get nothing.",
            count,
        )
    else:
        message = ngettext(
            "Nothing was sent to %(count)d pending signer: the email provider "
            "reported their address as bouncing or complaining.",
            "Nothing was sent to %(count)d pending signers: the email provider "
            "reported their address as bouncing or complaining.",
            count,
        )
    return message % {"count": count}


def selection_criteria(request: HttpRequest, queryset: QuerySet) -> dict | list:
    if request.POST.get("select_across") == "1":
        return {"filters": filters_for_the_record(request)}
    return list(queryset.values_list("pk", flat=True)[:1000])
