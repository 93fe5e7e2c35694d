"""The organizers' admin for what is sent out: webhook endpoints (the
secret shown once, a test event, switched back on), Action Network links,
and the log of every delivery."""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin_site import organizer
from crm.delivery import switch_on
from crm.events import requeue, send_test_event
from crm.forms import ActionNetworkTargetForm, WebhookEndpointForm
from crm.models import ActionNetworkTarget, Delivery, WebhookEndpoint


class ReceiverAdmin(admin.ModelAdmin):
    """What webhook endpoints and Action Network links share."""

    actions = ["switch_back_on"]

    @admin.display(description=_("state"))
    def state(self, receiver: WebhookEndpoint | ActionNetworkTarget) -> str:
        if not receiver.is_active:
            if receiver.disabled_at:
                return gettext("switched off after failing")
            return gettext("off")
        if receiver.failing_since:
            return gettext("failing since %(time)s") % {
                "time": receiver.failing_since.strftime("%Y-%m-%d %H:%M")
            }
        return gettext("on")

    @admin.action(description=_("Switch back on"), permissions=["change"])
    def switch_back_on(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = switch_on(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d switched back on.", "%(count)d switched back on.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def changelist_view(self, request: HttpRequest, extra_context=None):
        switched_off = self.model.objects.filter(disabled_at__isnull=False).count()
        if switched_off and request.method == "GET":
            self.message_user(
                request,
                ngettext(
                    "%(count)d was switched off after failing for a day: nothing is "
                    "sent to it until it is switched back on.",
                    "%(count)d were switched off after failing for a day: nothing is "
                    "sent to them until they are switched back on.",
                    switched_off,
                )
                % {"count": switched_off},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReceiverAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "petition", "state", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["petition"]
    show_full_result_count = False
    readonly_fields = [
        "secret_hint",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "created_by",
        "deliveries_link",
    ]
    change_form_template = "admin/crm/webhookendpoint/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fields = ["url", "description", "petition", "events", "is_active"]
        if obj is None:
            return [(None, {"fields": fields})]
        return [
            (None, {"fields": fields}),
            (
                _("Signing and health"),
                {"fields": self.readonly_fields},
            ),
        ]

    @admin.display(description=_("signing secret"))
    def secret_hint(self, endpoint: WebhookEndpoint) -> str:
        return endpoint.secret_hint

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, endpoint: WebhookEndpoint) -> str:
        url = (
            reverse("admin:crm_delivery_changelist")
            + "?"
            + urlencode({"endpoint__id__exact": endpoint.pk})
        )
        return format_html('<a href="{}">{}</a>', url, _("See its deliveries"))

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = organizer(request)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None) -> HttpResponse:
        """The secret, this once: the receiver needs it to check signatures,
        and it is never shown again (only its last characters)."""
        response = TemplateResponse(
            request,
            "admin/crm/webhookendpoint/secret.html",
            {
                **self.admin_site.each_context(request),
                "title": _("The endpoint's signing secret"),
                "endpoint": obj,
                "opts": self.model._meta,
                "change_url": reverse(
                    "admin:crm_webhookendpoint_change", args=[obj.pk]
                ),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    def get_urls(self):
        return [
            path(
                "<int:pk>/test/",
                self.admin_site.admin_view(self.test_event_view),
                name="crm_webhookendpoint_test",
            ),
            *super().get_urls(),
        ]

    def test_event_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return require_POST(self._send_test_event)(request, pk)

    def _send_test_event(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        if not self.has_change_permission(request, endpoint):
            raise PermissionDenied
        delivery = send_test_event(endpoint=endpoint)
        self.message_user(
            request,
            _("A test event (%(event_id)s) is on its way: its delivery shows below.")
            % {"event_id": delivery.event_id},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:crm_delivery_changelist")
            + "?"
            + urlencode({"endpoint__id__exact": endpoint.pk})
        )


@admin.register(ActionNetworkTarget)
class ActionNetworkTargetAdmin(ReceiverAdmin):
    form = ActionNetworkTargetForm
    list_display = ["petition", "action_network_petition", "state"]
    list_select_related = ["petition"]
    show_full_result_count = False
    readonly_fields = ["failing_since", "disabled_at", "disabled_reason"]


DELIVERY_FIELDS: list[str] = [
    "event_id",
    "event_type",
    "endpoint",
    "action_network",
    "status",
    "attempts",
    "last_response_code",
    "last_error",
    "next_attempt_at",
    "created_at",
    "last_attempt_at",
    "delivered_at",
    "payload_shown",
]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event_type",
        "receiver_name",
        "status",
        "attempts",
        "last_response_code",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    list_select_related = ["endpoint", "action_network__petition"]
    show_full_result_count = False
    ordering = ["-created_at"]
    search_fields = ["event_id"]
    actions = ["send_again"]
    fields = tuple(DELIVERY_FIELDS)
    readonly_fields = DELIVERY_FIELDS

    @admin.display(description=_("sent to"))
    def receiver_name(self, delivery: Delivery) -> str:
        return str(delivery.receiver)

    @admin.display(description=_("payload"))
    def payload_shown(self, delivery: Delivery) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(delivery.payload, indent=2, ensure_ascii=False)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("crm.change_webhookendpoint")

    @admin.action(description=_("Send again"), permissions=["resend"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = requeue(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.",
                "%(count)d deliveries queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
