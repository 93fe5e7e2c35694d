"""The organizers' action on consent: stop campaign updates to selected
signers who asked, by any other way than the links in our emails."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_site import organizer
from signatures.admin.actions import intermediate_page, selection_criteria
from signatures.models import SignatureQuerySet
from signatures.services.consent import signatures_stop_updates


class ConsentActions(admin.ModelAdmin):
    """Inherited by SignatureAdmin, beside SignatureActions."""

    @admin.action(
        description=_("Stop campaign updates to selected signers (on their request)"),
        permissions=["change"],
    )
    def stop_updates(
        self, request: HttpRequest, queryset: SignatureQuerySet
    ) -> HttpResponse | None:
        if "apply" not in request.POST:
            return intermediate_page(
                request,
                queryset.filter(wants_updates=True),
                action="stop_updates",
                title=_("Stop campaign updates"),
                form=forms.Form(),
                button=_("Stop updates"),
                warning=_(
                    "Their signatures still count. Each one records that an "
                    "organizer stopped the updates, and when."
                ),
            )
        count = signatures_stop_updates(
            signatures=queryset,
            user=organizer(request),
            criteria={"selected": selection_criteria(request, queryset)},
        )
        self.message_user(
            request,
            ngettext(
                "Campaign updates stopped for %(count)d signer.",
                "Campaign updates stopped for %(count)d signers.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        return None
