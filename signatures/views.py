import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from petition.models import Petition
from signatures.forms import ResendForm, SignatureForm
from signatures.net import client_ip
from signatures.normalize import canonical_email
from signatures.services import (
    confirmation_resend,
    petition_stats,
    signature_confirm,
    signature_create,
)
from signatures.sharing import share_links
from signatures.tokens import ExpiredToken, InvalidToken, signature_from_token

logger = logging.getLogger(__name__)


def _setting_rate(name: str):
    # Read at request time, so tests and the benchmark can change limits.
    return lambda group, request: getattr(settings, name)


def _resend_key(group: str, request: HttpRequest) -> str:
    return canonical_email(request.POST.get("email", ""))


def _published(slug: str) -> Petition:
    return get_object_or_404(Petition.objects.published(), slug=slug)


def _share_context(request: HttpRequest, petition: Petition) -> dict:
    url = request.build_absolute_uri(petition.get_absolute_url())
    return {
        "share_url": url,
        "share_links": share_links(url=url, title=petition.text().title),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@ratelimit(
    key="ip",
    rate=_setting_rate("SIGN_RATE_PER_MINUTE"),
    method="POST",
    group="sign-minute",
)
@ratelimit(
    key="ip", rate=_setting_rate("SIGN_RATE_PER_HOUR"), method="POST", group="sign-hour"
)
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _published(slug)
    form = SignatureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and petition.is_open and form.is_valid():
        if form.is_bot:
            logger.info(
                "Signing form discarded as automated (petition %s)", petition.pk
            )
        else:
            data = form.cleaned_data
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
            )
        # Bots see what people see, so they learn nothing from the answer.
        return redirect("signatures:thanks", slug=petition.slug)
    return render(
        request,
        "signatures/sign.html",
        {
            "petition": petition,
            "text": petition.text(),
            "form": form,
            "stats": petition_stats(petition),
        },
    )


@require_safe
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _published(slug)
    return render(
        request,
        "signatures/thanks.html",
        {
            "petition": petition,
            "text": petition.text(),
            **_share_context(request, petition),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, so link scanners that
    fetch every URL in an email confirm nothing."""
    try:
        signature = signature_from_token(token)
    except InvalidToken as problem:
        expired = isinstance(problem, ExpiredToken)
        petition = (
            problem.signature.petition
            if expired and problem.signature
            else Petition.objects.featured()
        )
        return render(
            request,
            "signatures/confirm_invalid.html",
            {
                "expired": expired,
                "petition": petition,
                "text": petition.text() if petition else None,
                "form": ResendForm(),
            },
            status=410 if expired else 400,
        )
    if not signature.petition.is_published:
        raise Http404(_("This petition is no longer available."))
    if request.method == "POST":
        signature_confirm(signature=signature)
        return redirect("signatures:confirmed", slug=signature.petition.slug)
    return render(
        request,
        "signatures/confirm.html",
        {
            "signature": signature,
            "petition": signature.petition,
            "text": signature.petition.text(),
        },
    )


@require_safe
def confirmed(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _published(slug)
    return render(
        request,
        "signatures/confirmed.html",
        {
            "petition": petition,
            "text": petition.text(),
            "stats": petition_stats(petition),
            **_share_context(request, petition),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@ratelimit(
    key="ip",
    rate=_setting_rate("SIGN_RATE_PER_MINUTE"),
    method="POST",
    group="resend-ip",
)
@ratelimit(
    key="ip",
    rate=_setting_rate("SIGN_RATE_PER_HOUR"),
    method="POST",
    group="resend-ip-hour",
)
@ratelimit(
    key=_resend_key,
    rate=_setting_rate("RESEND_RATE_PER_HOUR"),
    method="POST",
    group="resend-email",
)
def resend(request: HttpRequest, slug: str) -> HttpResponse:
    petition = _published(slug)
    form = ResendForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        confirmation_resend(petition=petition, email=form.cleaned_data["email"])
        # The same answer whether or not the address has signed.
        return render(
            request,
            "signatures/resend_sent.html",
            {"petition": petition, "text": petition.text()},
        )
    return render(
        request,
        "signatures/resend.html",
        {"petition": petition, "text": petition.text(), "form": form},
    )


def rate_limited(request: HttpRequest, exception: Ratelimited) -> HttpResponse:
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response
