"""The signature list: what organizers see of each signature, and how they
find one."""

import re
from functools import lru_cache

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from signatures.admin.actions import SignatureActions
from signatures.admin.consent import ConsentActions
from signatures.admin.listing import (
    CalendarQuerySet,
    CappedCountPaginator,
    ReviewFilter,
    UndeliverableFilter,
)
from signatures.admin.paper import PaperFilter
from signatures.admin.tools import SignatureTools
from signatures.export import country_names
from signatures.models import Signature, SignatureQuerySet
from signatures.normalize import canadian_postal_code, canonical_email

_FORWARD_SORTATION_AREA = re.compile(r"[A-Za-z]\d[A-Za-z]")
# The longest value searched: an email address.
_LONGEST_VALUE = Signature._meta.get_field("email").max_length


@admin.register(Signature)
class SignatureAdmin(SignatureActions, ConsentActions, SignatureTools):
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
        PaperFilter,
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
    list_select_related = ["petition", "paper_batch"]
    list_per_page = 100
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ["-created_at"]
    actions = [
        "invalidate",
        "restore",
        "resend_confirmation",
        "stop_updates",
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

    def get_queryset(self, request: HttpRequest) -> SignatureQuerySet:
        return CalendarQuerySet(self.model, using=self.model.objects.db).order_by(
            *self.get_ordering(request)
        )

    @admin.display(description=_("status"), ordering="status")
    def status_and_review(self, signature: Signature) -> str:
        """The status, and under it why the form looked automated, the paper
        batch it came from and why email no longer reaches the address, if
        so: one column, where four would not fit the list on a laptop screen."""
        marks = []
        if signature.review_reason:
            marks.append(
                _("Marked for review: %(reason)s")
                % {"reason": signature.get_review_reason_display()}
            )
        if signature.paper_batch:
            marks.append(_("On paper: %(batch)s") % {"batch": signature.paper_batch})
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
        if _LONGEST_VALUE is not None and len(term) > _LONGEST_VALUE:
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


@lru_cache(maxsize=8)
def _country_names(language: str) -> dict[str, str]:
    # One table per language, not a translation per row of the list.
    return country_names()
