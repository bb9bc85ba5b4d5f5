"""Web security headers that Django 5.2 does not set itself.

Content-Security-Policy: scripts, styles, images, fonts and connections from this site only;
no inline script (templates carry none: a test reads them all), no plug-ins, no framing, forms
post to this site or to the payment gateway. Inline ``style`` attributes remain allowed
(``'unsafe-inline'`` for styles only): several templates position elements with them, and a
style cannot run code. Permissions-Policy switches off the browser features motcua never uses.

A small middleware of our own rather than django-csp: one fixed policy, no nonces (the 404
page must not vary with the request, see ``templates/404.html``), and nothing to configure.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def content_security_policy() -> str:
    """The policy, with the payment gateway's origin among the places forms may go (the
    "pay online" form is answered with a redirect to it)."""
    form_action = ["'self'"]
    gateway = _origin(settings.MOTCUA_PAYMENT_GATEWAY_URL)
    if gateway and gateway != _origin(settings.MOTCUA_PUBLIC_URL):
        form_action.append(gateway)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "frame-ancestors": "'none'",
        "form-action": " ".join(form_action),
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every answer that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy()
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response
