"""The officer sign-in pages: password, then (when enrolled or required) the second factor.

After a correct password an officer who must use a second factor is not signed in yet: the
session only remembers who passed the first step (``PENDING``) until the code is checked on
the verification page, or the authenticator is enrolled on the enrolment page.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from motcua.accounts import services
from motcua.core import audit
from motcua.core.errors import MotcuaError
from motcua.org.models import User

logger = logging.getLogger(__name__)

PENDING = "motcua_pending_user"
PENDING_BACKEND = "motcua_pending_backend"
PENDING_DEVICE = "motcua_pending_device"
NEXT = "motcua_next"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Mã xác thực"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def _client_ip(request: HttpRequest) -> str | None:
    ip = request.META.get("REMOTE_ADDR")
    return str(ip) if ip else None


def _next_url(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING)
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def _finish(request: HttpRequest, user: User, device: Any = None) -> HttpResponse:
    backend = request.session.get(PENDING_BACKEND) or getattr(user, "backend", None)
    target = _next_url(request, request.session.get(NEXT))
    for key in (PENDING, PENDING_BACKEND, PENDING_DEVICE, NEXT):
        request.session.pop(key, None)
    auth_login(request, user, backend=backend)
    if device is not None:
        otp_login(request, device)
    audit.record("accounts.login", user, actor=user, data={"second_factor": device is not None})
    logger.info("accounts.login user=%s second_factor=%s", user.pk, device is not None)
    return HttpResponseRedirect(target)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    """Step one: username and password, throttled per (username, address)."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated:
        return HttpResponseRedirect(_next_url(request, next_url))
    form = AuthenticationForm(request, data=request.POST or None)
    status = 200
    if request.method == "POST":
        username = str(request.POST.get("username", ""))
        ip = _client_ip(request)
        try:
            services.check_not_locked(username, ip)
            user = _authenticate(request, form, username, ip)
        except MotcuaError as error:
            form.errors.clear()
            form.add_error(None, error.message)
            status = error.status
            user = None
        if user is not None:
            return _after_password(request, user, next_url)
    context = {"form": form, "next": next_url, "demo_mode": settings.MOTCUA_DEMO}
    return render(request, "backoffice/login.html", context, status=status)


def _authenticate(
    request: HttpRequest, form: AuthenticationForm, username: str, ip: str | None
) -> User | None:
    if form.is_valid():
        services.clear_failures(username, ip)
        user: User = form.get_user()
        return user
    if username:
        failures = services.record_failure(username, ip)
        logger.info("accounts.login_failed failures=%s", failures)
        services.check_not_locked(username, ip)
    return None


def _after_password(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    enrolled = services.has_second_factor(user)
    if not enrolled and not services.second_factor_required(user):
        return _finish(request, user)
    request.session.cycle_key()
    request.session[PENDING] = user.pk
    request.session[PENDING_BACKEND] = getattr(user, "backend", None)
    request.session[NEXT] = next_url
    return redirect("backoffice:totp_verify" if enrolled else "backoffice:totp_enrol")


@csrf_protect
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """Step two: the authenticator's code or a recovery code."""
    user = _pending_user(request)
    if user is None:
        return redirect("backoffice:login")
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        ip = _client_ip(request)
        try:
            services.check_not_locked(user.username, ip)
            device = services.verify_second_factor(user, form.cleaned_data["token"])
        except MotcuaError as error:
            if error.code == "token_invalid":
                services.record_failure(user.username, ip)
                error = _locked_or(error, user.username, ip)
            form.add_error("token" if error.field else None, error.message)
            status = error.status
        else:
            services.clear_failures(user.username, ip)
            return _finish(request, user, device)
    return render(request, "accounts/verify.html", {"form": form}, status=status)


def _locked_or(error: MotcuaError, username: str, ip: str | None) -> MotcuaError:
    try:
        services.check_not_locked(username, ip)
    except MotcuaError as locked:
        return locked
    return error


@csrf_protect
@never_cache
def enrol(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator: scan the QR code, confirm with one code, keep the recovery
    codes. Reached after the password when the factor is required, or by a signed-in officer."""
    user = _pending_user(request)
    if user is None:
        if not request.user.is_authenticated:
            query = urlencode({"next": request.path})
            return HttpResponseRedirect(f"{reverse('backoffice:login')}?{query}")
        user = User.objects.get(pk=request.user.pk)
    form = TokenForm(request.POST or None)
    device = None
    if request.method == "POST":
        device = services.pending_device(user, int(request.session.get(PENDING_DEVICE) or 0))
        if form.is_valid() and device is not None:
            try:
                codes = services.confirm_enrolment(
                    device.pk, form.cleaned_data["token"], actor=user
                )
            except MotcuaError as error:
                form.add_error("token", error.message)
            else:
                return _enrolled(request, user, device, codes)
    if device is None:
        device = services.start_enrolment(user)
        request.session[PENDING_DEVICE] = device.pk
    context = {
        "form": form,
        "qr": services.qr_svg_data_uri(device),
        "secret": services.secret_base32(device),
        "required": services.second_factor_required(user),
    }
    return render(request, "accounts/enrol.html", context)


def _enrolled(request: HttpRequest, user: User, device: Any, codes: list[str]) -> HttpResponse:
    request.session.pop(PENDING_DEVICE, None)
    target = _next_url(request, request.session.get(NEXT))
    if request.session.get(PENDING) == user.pk:
        _finish(request, user, device)
    else:
        otp_login(request, device)
    return render(request, "accounts/codes.html", {"codes": codes, "next": target})


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin site signs in through the officers' page (throttle and second factor)."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("admin:index")
    query = urlencode({"next": request.GET.get("next") or reverse("admin:index")})
    return HttpResponseRedirect(f"{reverse('backoffice:login')}?{query}")
