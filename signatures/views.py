import logging
from collections.abc import Callable
from typing import TypedDict
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from core.http_cache import shared_cache
from core.net import client_ip
from core.ratelimits import rate_setting
from core.views import same_origin_referrer
from petition.models import Petition
from petition.public import (
    featured_petition,
    public_petition,
    public_stats,
    public_url,
    published_or_404,
)
from petition.services import petition_takes_signatures
from signatures.consent import Withdrawal
from signatures.crossorigin import cross_site_refused
from signatures.forms import (
    ResendForm,
    SignatureForm,
    clean_referral_code,
    landing_marks,
    posted_with_landing_marks,
)
from signatures.models import Signature
from signatures.normalize import canonical_email, mask_email
from signatures.services.self_service import (
    signature_erase_by_signer,
    signature_stop_updates,
    signature_withdraw,
)
from signatures.services.signing import (
    confirmation_resend,
    link_can_confirm,
    signature_confirm,
    signature_create,
    signature_referral_code,
)
from signatures.sharing import share_step
from signatures.tokens import (
    ExpiredToken,
    InvalidToken,
    confirmation_from_token,
    signature_from_manage_token,
)

logger = logging.getLogger(__name__)


def _resend_key(group: str, request: HttpRequest) -> str:
    return canonical_email(request.POST.get("email", ""))


def _petition_page(
    request: HttpRequest,
    template: str,
    petition: Petition | None,
    *,
    share: bool = False,
    ref: str = "",
    status: int = 200,
    **context,
) -> HttpResponse:
    """A page about one petition, with its text in the visitor's language
    (and, for the pages after signing, the links to share it: with `ref`,
    a signer's own, carrying their referral code)."""
    text = petition.text() if petition else None
    if share and petition is not None and text is not None:
        context |= share_step(
            url=public_url(petition.get_absolute_url()), title=text.title, ref=ref
        )
    return render(
        request,
        template,
        {"petition": petition, "text": text, **context},
        status=status,
    )


# No CSRF token: the form is on the shared campaign page (signatures/crossorigin.py).
# Its own pages are the visitor's (a form with errors shows their name and
# address): no cache keeps them.
@never_cache
@cross_site_refused
@require_http_methods(["GET", "HEAD", "POST"])
@ratelimit(
    key="ip",
    rate=rate_setting("SIGN_RATE_PER_MINUTE"),
    method="POST",
    group="sign-minute",
)
@ratelimit(
    key="ip", rate=rate_setting("SIGN_RATE_PER_HOUR"), method="POST", group="sign-hour"
)
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    petition = published_or_404(slug)
    signing = request.method == "POST"
    # This page is the visitor's own (never cached): it can take the landing
    # link's source and referral from the query string, for browsers
    # without scripts; a form sent back with errors keeps its own.
    form = (
        SignatureForm(posted_with_landing_marks(request))
        if signing
        else SignatureForm(initial=landing_marks(request.GET))
    )
    if signing and petition.is_open and not petition_takes_signatures(petition):
        # Closed or withdrawn a moment ago, perhaps on another host: the
        # public copy is out of date. Show the petition as it is now.
        petition = published_or_404(slug, fresh=True)
    if signing and petition.is_open and form.is_valid():
        data = form.cleaned_data
        # Looking automated drops no one: the signature waits, pending, for
        # its emailed link, and organizers see why it was marked.
        review_reason = form.review_reason()
        if review_reason:
            logger.info(
                "Signature marked for review: %s (petition %s)",
                review_reason,
                petition.pk,
            )
        signature_create(
            petition=petition,
            full_name=data["full_name"],
            email=data["email"],
            country=data["country"],
            postal_code=data["postal_code"],
            wants_updates=data["wants_updates"],
            show_name_publicly=data["show_name_publicly"],
            language=get_language(),
            ip_address=client_ip(request),
            needs_review=review_reason,
            source=data["source"],
            referral_code=data["ref"],
        )
        # Bots see what people see, so they learn nothing from the answer.
        return redirect("signatures:thanks", slug=petition.slug)
    return _petition_page(
        request,
        "signatures/sign.html",
        petition,
        form=form,
        stats=public_stats(petition),
    )


@require_safe
# The same for everyone who signed: a CDN may keep it through a surge.
@shared_cache(browser=60, stale=600)
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    return _petition_page(
        request, "signatures/thanks.html", published_or_404(slug), share=True
    )


@never_cache
@same_origin_referrer
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, so link scanners that
    fetch every URL in an email confirm nothing."""
    try:
        found = confirmation_from_token(token)
    except InvalidToken as problem:
        expired = isinstance(problem, ExpiredToken)
        petition = (
            problem.signature.petition
            if isinstance(problem, ExpiredToken) and problem.signature
            else featured_petition()
        )
        return _petition_page(
            request,
            "signatures/confirm_invalid.html",
            petition if petition and petition.is_published else featured_petition(),
            status=410 if expired else 400,
            expired=expired,
            # A new link for a petition that no longer takes one would not work.
            can_resend=bool(petition and petition.is_taking_signatures),
            form=ResendForm(),
        )
    signature, submission = found.signature, found.submission
    petition = signature.petition
    if not petition.is_taking_signatures:
        # Nothing changes; the page says why. A petition no longer published
        # is not shown, only named by the link its signer holds.
        return _petition_page(
            request,
            "signatures/confirm_closed.html",
            petition if petition.is_published else None,
            status=200 if petition.is_published else 410,
            unpublished=not petition.is_published,
        )
    if request.method == "POST":
        signature_confirm(signature=signature, submission=submission)
        # The signer's own share links carry their public referral code;
        # the page it names is theirs, never a shared copy (confirmed).
        return redirect(
            reverse("signatures:confirmed", kwargs={"slug": petition.slug})
            + "?"
            + urlencode({"ref": signature_referral_code(signature=signature)})
        )
    shown = submission or signature
    return _petition_page(
        request,
        "signatures/confirm.html",
        petition,
        signature=signature,
        can_confirm=link_can_confirm(
            status=signature.status, from_submission=submission is not None
        ),
        name=shown.full_name,
    )


# Its share links carry the signer's referral code (?ref=): no cache may
# hand them to the next visitor.
@never_cache
@require_safe
def confirmed(request: HttpRequest, slug: str) -> HttpResponse:
    petition = published_or_404(slug)
    return _petition_page(
        request,
        "signatures/confirmed.html",
        petition,
        share=True,
        ref=clean_referral_code(request.GET.get("ref")),
        stats=public_stats(petition),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@ratelimit(
    key="ip",
    rate=rate_setting("SIGN_RATE_PER_MINUTE"),
    method="POST",
    group="resend-ip",
)
@ratelimit(
    key="ip",
    rate=rate_setting("SIGN_RATE_PER_HOUR"),
    method="POST",
    group="resend-ip-hour",
)
@ratelimit(
    key=_resend_key,
    rate=rate_setting("RESEND_RATE_PER_HOUR"),
    method="POST",
    group="resend-email",
)
def resend(request: HttpRequest, slug: str) -> HttpResponse:
    petition = public_petition(slug)
    if (
        petition is not None
        and petition.is_open
        and not petition_takes_signatures(petition)
    ):
        # Closed or unpublished a moment ago, perhaps by another process: the
        # public copy is out of date. As `sign` does, the database is asked
        # only when that copy says open, so a closed petition's page costs
        # nothing however often it is asked for.
        petition = public_petition(slug, fresh=True)
    if petition is None or not petition.is_open:
        # A link would confirm nothing, so none is sent, and the page says so.
        # The same page for an address where nothing was ever published, so
        # it tells no one which drafts exist.
        return _petition_page(
            request,
            "signatures/confirm_closed.html",
            petition,
            status=200 if petition else 404,
            unpublished=petition is None,
            from_resend=True,
        )
    form = ResendForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        confirmation_resend(petition=petition, email=form.cleaned_data["email"])
        # The same answer whether or not the address has signed.
        return _petition_page(request, "signatures/resend_sent.html", petition)
    return _petition_page(request, "signatures/resend.html", petition, form=form)


def _link_not_valid(request: HttpRequest) -> HttpResponse:
    return _petition_page(
        request,
        "signatures/manage_invalid.html",
        featured_petition(),
        status=404,
    )


class _Masked(TypedDict):
    masked_email: str
    masked_postal_code: str


def _masked(signature: Signature) -> _Masked:
    """An emailed link gets forwarded: the page confirms whose signature it
    is without handing the address and postal code to whoever has it."""
    return {
        "masked_email": mask_email(signature.email),
        "masked_postal_code": signature.postal_code[:3] + "•••"
        if signature.postal_code
        else "",
    }


_MANAGE_ACTIONS: dict[str, Callable[..., bool]] = {
    "withdraw": signature_withdraw,
    "erase": signature_erase_by_signer,
    "stop_updates": signature_stop_updates,
}


@never_cache
@same_origin_referrer
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The page every email links to: the signer sees what we hold and can
    withdraw, erase or stop updates, each only by pressing a button (a POST),
    so link scanners change nothing."""
    try:
        signature = signature_from_manage_token(token)
    except InvalidToken:
        return _link_not_valid(request)
    action = request.POST.get("action", "") if request.method == "POST" else None
    if action in _MANAGE_ACTIONS:
        _MANAGE_ACTIONS[action](signature=signature)
        return _petition_page(
            request, "signatures/manage_done.html", signature.petition, action=action
        )
    return _petition_page(
        request,
        "signatures/manage.html",
        signature.petition,
        signature=signature,
        unknown_action=action is not None,
        status=400 if action is not None else 200,
        **_masked(signature),
    )


@never_cache
@csrf_exempt  # RFC 8058: mail providers POST here without a form of ours
@same_origin_referrer
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe (List-Unsubscribe-Post). The signed token is the
    proof; a GET only shows a button, so prefetching unsubscribes nobody."""
    try:
        signature = signature_from_manage_token(token)
    except InvalidToken:
        return _link_not_valid(request)
    if request.method == "POST":
        # RFC 8058's body: the mail program's button, not our page's.
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        signature_stop_updates(
            signature=signature,
            via=Withdrawal.ONE_CLICK if one_click else Withdrawal.UNSUBSCRIBE_LINK,
        )
        return _petition_page(
            request,
            "signatures/manage_done.html",
            signature.petition,
            action="stop_updates",
        )
    return _petition_page(request, "signatures/unsubscribe.html", signature.petition)


@require_safe
@shared_cache(browser=300, stale=3600)
def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "signatures/privacy.html",
        {
            "unconfirmed_days": settings.RETENTION_UNCONFIRMED_DAYS,
            "after_close_months": round(settings.RETENTION_AFTER_CLOSE_DAYS / 30.4),
            "contact_email": settings.PRIVACY_CONTACT_EMAIL,
        },
    )


def rate_limited(request: HttpRequest, exception: Ratelimited) -> HttpResponse:
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response
