"""Citizen pages: sign in through VNeID (OpenID Connect), "my dossiers", sign out."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from motcua.citizens import oidc, policy, services
from motcua.citizens.oidc import CitizenSignInError
from motcua.citizens.session import close_session, current_citizen, open_session
from motcua.core.audit import record_personal_data_view

logger = logging.getLogger(__name__)


def _refused(request: HttpRequest, error: CitizenSignInError) -> HttpResponse:
    return render(
        request,
        "citizens/signin_error.html",
        {"error": error, "nav": "citizen"},
        status=error.status,
    )


def _officer_signed_in() -> CitizenSignInError:
    return CitizenSignInError(
        _("Bạn đang đăng nhập với tư cách cán bộ. Hãy đăng xuất trước khi đăng nhập VNeID."),
        code="oidc_officer_session",
    )


@never_cache
@require_GET
def sign_in(request: HttpRequest) -> HttpResponse:
    """Send the browser to the identity provider."""
    if request.user.is_authenticated:
        return _refused(request, _officer_signed_in())
    try:
        return oidc.start(request, request.build_absolute_uri(reverse("citizens:callback")))
    except CitizenSignInError as error:
        return _refused(request, error)


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """The provider's answer: validate it, open the citizen's session."""
    if request.user.is_authenticated:
        return _refused(request, _officer_signed_in())
    try:
        claims = oidc.finish(request)
        citizen = services.sign_in(claims=claims)
    except CitizenSignInError as error:
        return _refused(request, error)
    open_session(request, citizen)
    return redirect("citizens:my_dossiers")


@never_cache
@require_GET
def my_dossiers(request: HttpRequest) -> HttpResponse:
    """The signed-in citizen's dossiers; each links to the dossier's own page."""
    citizen = current_citizen(request)
    if citizen is None:
        return redirect("citizens:sign_in")
    dossiers = list(policy.my_dossiers(citizen))
    record_personal_data_view(citizen, actor=f"citizen:{citizen.pk}", purpose="citizen.my_dossiers")
    return render(
        request,
        "citizens/my_dossiers.html",
        {"citizen": citizen, "dossiers": dossiers, "nav": "citizen"},
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    citizen = current_citizen(request)
    if citizen is not None:
        logger.info("citizen signed out: citizen=%s", citizen.pk)
        close_session(request)
    return redirect("portal:home")
