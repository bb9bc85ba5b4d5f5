"""System checks on the web-facing security settings."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security)
def https_public_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Outside demo and debug mode the public address must be https: secure cookies and HSTS
    follow it (settings.py), and a plain-http address leaves both off."""
    if settings.MOTCUA_DEMO or settings.DEBUG:
        return []
    if settings.MOTCUA_PUBLIC_URL.startswith("https://"):
        return []
    return [
        Warning(
            "MOTCUA_PUBLIC_URL is not an https address: session and CSRF cookies are sent "
            "without the Secure flag and HSTS is off.",
            hint="Serve motcua behind TLS and set MOTCUA_PUBLIC_URL=https://…",
            id="motcua.W010",
        )
    ]
