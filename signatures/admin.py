import re
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max, Min, Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from petition.models import Petition
from signatures.export import COLUMNS, DEFAULT_COLUMNS, country_names, csv_lines
from signatures.models import ModerationAction, Signature, SignatureQuerySet
from signatures.normalize import canadian_postal_code, canonical_email
from signatures.services.moderation import (
    record_export,
    resend_left_alone,
    signatures_erase,
    signatures_invalidate,
    signatures_resend_confirmation,
    signatures_restore,
)
from signatures.services.subject_access import signer_data

_FORWARD_SORTATION_AREA = re.compile(r"[A-Za-z]\d[A-Za-z]")
# The longest value searched: an email address.
_LONGEST_VALUE = Signature._meta.get_field("email").max_length


class CappedCountPaginator(Paginator):
    """Counts at most `cap` rows, so a page costs the same at a million rows
    as at a hundred; past the cap, filters narrow the list."""

    cap = 2_000

    @cached_property
    def count(self) -> int:
        # Unordered: counting needs no sort.
        return self.object_list.order_by()[: self.cap].count()

    @property
    def capped(self) -> bool:
        """True when there may be more rows than counted."""
        return self.count >= self.cap


class CalendarQuerySet(SignatureQuerySet):
    """For the admin's date hierarchy: every period from the first signature
    to the last, found with two index lookups instead of a DISTINCT over
    every row (periods without signatures are listed too)."""

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        first, last = (timezone.localdate(bounds[k]) for k in ("first", "last"))
        days: list[date] = []
        if kind == "year":
            days = [date(year, 1, 1) for year in range(first.year, last.year + 1)]
        elif kind == "month":
            year, month = first.year, first.month
            while (year, month) <= (last.year, last.month):
                days.append(date(year, month, 1))
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        else:
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return [timezone.make_aware(datetime.combine(day, time.min)) for day in days]


class ReviewFilter(admin.SimpleListFilter):
    """Signatures whose form looked automated, by reason: "any reason" is
    the organizers' review queue."""

    title = _("marked for review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("any", _("Any reason")),
            *Signature.Review.choices,
            ("none", _("Not marked")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.exclude(review_reason="")
        if value == "none":
            return queryset.filter(review_reason="")
        if value in Signature.Review.values:
            return queryset.filter(review_reason=value)
        return queryset


class UndeliverableFilter(admin.SimpleListFilter):
    """Signatures whose address the email provider reported as bouncing or
    complaining: nothing more is emailed to them."""

    title = _("email undeliverable")
    parameter_name = "undeliverable"

    def lookups(self, request, model_admin):
        return [
            ("any", _("Any reason")),
            *Signature.Undeliverable.choices,
            ("none", _("Deliverable")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.undeliverable()
        if value == "none":
            return queryset.deliverable()
        if value in Signature.Undeliverable.values:
            return queryset.filter(email_undeliverable_reason=value)
        return queryset


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Kept with each signature and in the moderation log."),
        error_messages={"required": _("Say why, for the record.")},
    )


class ReasonForm(forms.Form):
    reason = _reason_field()


class ExportForm(forms.Form):
    columns = forms.MultipleChoiceField(
        label=_("Columns"),
        choices=[(name, column.label) for name, column in COLUMNS.items()],
        initial=DEFAULT_COLUMNS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one column.")},
    )


class DataRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The address the person signed with, in any capitalisation."),
    )


class MatchingForm(forms.Form):
    petition = forms.ModelChoiceField(
        label=_("Petition"), queryset=Petition.objects.all(), required=False
    )
    email_domain = forms.CharField(
        label=_("Email domain"), required=False, help_text=_("For example spam.example")
    )
    ip_hash = forms.CharField(label=_("IP address hash"), required=False, max_length=64)
    since = forms.DateTimeField(label=_("Signed from"), required=False)
    until = forms.DateTimeField(label=_("Signed before"), required=False)
    reason = _reason_field()

    def clean(self) -> dict:
        cleaned = super().clean()
        if not any(
            cleaned.get(f) for f in ("email_domain", "ip_hash", "since", "until")
        ):
            raise forms.ValidationError(
                _("Give a domain, an IP address hash or a time window.")
            )
        return cleaned


def _intermediate(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    form: forms.Form,
    button: str,
    warning: str = "",
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


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = [
        "full_name",
        "email",
        "place",
        "status_and_review",
        "wants_updates",
        "show_name_publicly",
        "language",
        "created_at",
    ]
    list_filter = [
        "petition",
        "status",
        ReviewFilter,
        UndeliverableFilter,
        "province",
        "country",
        "wants_updates",
        "show_name_publicly",
        "language",
        "created_at",
    ]
    date_hierarchy = "created_at"
    search_fields = ["full_name", "email", "postal_code"]
    search_help_text = _(
        "An email address, a postal code (or its first three characters), or part of a name."
    )
    list_select_related = ["petition"]
    list_per_page = 100
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ["-created_at"]
    actions = [
        "invalidate",
        "restore",
        "resend_confirmation",
        "export_csv",
        "export_signer_data",
        "erase",
    ]
    # Signers' data is never edited here: every field is shown, none typed in.
    readonly_fields = [
        field.name for field in Signature._meta.concrete_fields if field.name != "id"
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # signatures come from signers, never from the admin

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # Not Django's "Select signature to change": nobody edits a signature,
        # and in French that title runs under the tool buttons beside it.
        return super().changelist_view(
            request, {"title": _("Signatures"), **(extra_context or {})}
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return CalendarQuerySet(self.model, using=self.model.objects.db).order_by(
            *self.get_ordering(request)
        )

    @admin.display(description=_("status"), ordering="status")
    def status_and_review(self, signature: Signature) -> str:
        """The status, and under it why the form looked automated and why
        email no longer reaches the address, if so: one column, where three
        would not fit the list on a laptop screen."""
        marks = []
        if signature.review_reason:
            marks.append(
                _("Marked for review: %(reason)s")
                % {"reason": signature.get_review_reason_display()}
            )
        if signature.email_undeliverable_reason:
            marks.append(
                _("Email undeliverable: %(reason)s")
                % {"reason": signature.get_email_undeliverable_reason_display()}
            )
        return format_html(
            "{}{}",
            signature.get_status_display(),
            format_html_join(
                "", '<br><span class="review-mark">{}</span>', ((m,) for m in marks)
            ),
        )

    @admin.display(description=_("where"), ordering="postal_code")
    def place(self, signature: Signature) -> str:
        """Postal code and province, or the country outside Canada, in one
        column: three would not fit the list on a laptop screen."""
        where = (
            signature.province
            if signature.country == "CA"
            else _country_names(get_language()).get(
                signature.country, signature.country
            )
        )
        return " · ".join(part for part in (signature.postal_code, where) if part)

    def get_search_results(self, request, queryset, search_term):
        """Each kind of term through an index: a full scan per keystroke would
        not survive a million rows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if len(term) > _LONGEST_VALUE:
            # Contained in no stored value; and SQLite refuses a LIKE pattern
            # over 50,000 bytes with an error.
            return queryset.none(), False
        if "@" in term:
            return queryset.filter(email_canonical=canonical_email(term)), False
        if postal_code := canadian_postal_code(term):
            return queryset.filter(postal_code=postal_code), False
        if _FORWARD_SORTATION_AREA.fullmatch(term):
            # Every code in the area sorts between "K1A" and "K1B": a range the
            # postal code index answers, where LIKE 'K1A%' would scan.
            area = term.upper()
            following = area[:2] + chr(ord(area[2]) + 1)
            return queryset.filter(
                postal_code__gte=area, postal_code__lt=following
            ), False
        # A name, or a postal code from elsewhere ("75001", "SW1A 1AA").
        return (
            queryset.filter(Q(full_name__icontains=term) | Q(postal_code=term.upper())),
            False,
        )

    # --- Actions --------------------------------------------------------------

    @admin.action(
        description=_("Invalidate selected signatures"), permissions=["change"]
    )
    def invalidate(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            count = signatures_invalidate(
                signatures=queryset,
                reason=form.cleaned_data["reason"],
                user=request.user,
                criteria={"selected": _selection(request, queryset)},
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
        return _intermediate(
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
    def restore(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if "apply" not in request.POST:
            return _intermediate(
                request,
                queryset.filter(status=Signature.Status.INVALIDATED),
                action="restore",
                title=_("Restore invalidated signatures"),
                form=forms.Form(),
                button=_("Restore"),
            )
        count = signatures_restore(signatures=queryset, user=request.user)
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
        self, request: HttpRequest, queryset: QuerySet
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
            return _intermediate(
                request,
                pending,
                action="resend_confirmation",
                title=_("Resend the confirmation email"),
                form=forms.Form(),
                button=_("Resend"),
                warning=" ".join(warning for warning in warnings if warning),
            )
        outcome = signatures_resend_confirmation(signatures=queryset, user=request.user)
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

    @admin.action(
        description=_("Export confirmed signatures as CSV"), permissions=["export"]
    )
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet
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
    def erase(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            count = signatures_erase(
                signatures=queryset,
                user=request.user,
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
        return _intermediate(
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
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse:
        emails = list(
            queryset.order_by()
            .values_list("email_canonical", flat=True)
            .distinct()[: _MAX_PEOPLE + 1]
        )
        if len(emails) > _MAX_PEOPLE:
            self.message_user(
                request,
                _("Select the signatures of at most %(n)d people.")
                % {"n": _MAX_PEOPLE},
                messages.ERROR,
            )
            return None
        return _signer_data_download(emails, user=request.user)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("signatures.export_signature")

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("signatures.delete_signature")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # "Change" lets organizers moderate from the list; one signature's own
        # page is for viewing only (every field is read-only), so Django shows
        # it without Save buttons and refuses a POST to it.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Deleting goes through "erase", which asks for a reason and is recorded.
        return False

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- Views ----------------------------------------------------------------

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

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The changelist's filters, as a CSV of their confirmed signatures."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(_("These filters are not valid."))
        signatures = changelist.get_queryset(request)
        form = ExportForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            columns = form.cleaned_data["columns"]
            criteria = {"filters": _filters(request), "columns": columns}

            # Recorded before the first byte: a download cut short is on record.
            record = record_export(user=request.user, criteria=criteria)

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
            return _signer_data_download(
                [form.cleaned_data["email"]], user=request.user
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
                    user=request.user,
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


def _signer_data_download(emails: list[str], *, user) -> HttpResponse:
    people = [signer_data(email=email, user=user) for email in emails]
    response = JsonResponse(
        people[0] if len(people) == 1 else {"people": people},
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="data-held-{stamp}.json"'
    return response


@lru_cache(maxsize=8)
def _country_names(language: str) -> dict[str, str]:
    # One table per language, not a translation per row of the list.
    return country_names()


def _filters(request: HttpRequest) -> dict:
    """The changelist filters, for the record; never the search term, which
    may be a signer's name or email."""
    return {key: value for key, value in request.GET.items() if key != "q"}


def _selection(request: HttpRequest, queryset: QuerySet) -> dict | list:
    if request.POST.get("select_across") == "1":
        return {"filters": _filters(request)}
    return list(queryset.values_list("pk", flat=True)[:1000])


def _criteria(data: dict) -> dict:
    return {
        "petition": data["petition"].pk if data["petition"] else None,
        "email_domain": data["email_domain"],
        "ip_hash": data["ip_hash"],
        "since": data["since"].isoformat() if data["since"] else None,
        "until": data["until"].isoformat() if data["until"] else None,
    }


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
