"""The update's own admin pages: its preview, the test to oneself, and
sending it, each asking for the right to change updates."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.admin_site import organizer
from updates.emails import render_body
from updates.models import Update, recipients_of
from updates.services import (
    UpdateNotReady,
    update_check_ready,
    update_send,
    update_send_test,
)


def _update(request: HttpRequest, pk: int) -> Update:
    if not request.user.has_perm("updates.change_update"):
        raise PermissionDenied
    return get_object_or_404(Update.objects.select_related("petition"), pk=pk)


def _back(update: Update) -> HttpResponseRedirect:
    return HttpResponseRedirect(
        reverse("admin:updates_update_change", args=[update.pk])
    )


def _page(request: HttpRequest, update: Update, template: str, **context):
    return TemplateResponse(
        request,
        f"admin/updates/update/{template}",
        {
            **admin.site.each_context(request),
            "opts": Update._meta,
            "original": update,
            "update": update,
            **context,
        },
    )


def preview(request: HttpRequest, pk: int) -> HttpResponse:
    update = _update(request, pk)
    versions = [
        {
            "language": code,
            "name": name,
            "subject": update.subject(code),
            "body": render_body(update, code),
            "fallback": not update.is_written_in(code),
        }
        for code, name in settings.LANGUAGES
    ]
    return _page(
        request,
        update,
        "preview.html",
        title=_("Preview: %(subject)s") % {"subject": update},
        versions=versions,
        postal_address=settings.ORGANIZER_POSTAL_ADDRESS,
    )


@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    update = _update(request, pk)
    user = organizer(request)
    try:
        languages = update_send_test(update=update, user=user)
    except UpdateNotReady as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request,
            ngettext(
                "A test was sent to %(email)s in %(count)d language.",
                "A test was sent to %(email)s in %(count)d languages.",
                len(languages),
            )
            % {"email": user.email, "count": len(languages)},
        )
    return _back(update)


@require_http_methods(["GET", "POST"])
def send(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks first, naming how many will get it; POST sends."""
    update = _update(request, pk)
    try:
        update_check_ready(update=update)
        if update.status != Update.Status.DRAFT:
            raise UpdateNotReady(_("This update has already been sent."))
    except UpdateNotReady as problem:
        messages.error(request, str(problem))
        return _back(update)
    if request.method == "POST":
        try:
            count = update_send(update=update, user=organizer(request))
        except UpdateNotReady as problem:
            messages.error(request, str(problem))
        else:
            messages.success(
                request,
                ngettext(
                    "Sending to %(count)d signer. The progress shows below.",
                    "Sending to %(count)d signers. The progress shows below.",
                    count,
                )
                % {"count": count},
            )
        return _back(update)
    return _page(
        request,
        update,
        "send.html",
        title=_("Send the update"),
        count=recipients_of(update.petition).count(),
    )
