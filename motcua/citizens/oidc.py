"""The OpenID Connect client: authorization code with PKCE, state and nonce.

Authlib does the protocol: it reads the provider's discovery document, keeps state, nonce and
the PKCE verifier in the session, exchanges the code and validates the ID token (signature
against the provider's JWKS, issuer, audience, expiry, nonce). This module only configures it
from settings and turns its failures into ``CitizenSignInError``.
"""

from __future__ import annotations

import logging
from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from joserfc.errors import JoseError

from motcua.core.errors import MotcuaError

logger = logging.getLogger(__name__)
CLIENT_NAME = "vneid"


class CitizenSignInError(MotcuaError):
    """The identity provider's answer cannot be trusted or is incomplete."""

    code = "oidc_failed"
    status = 400
    default_message = _("Không đăng nhập được qua VNeID. Vui lòng thử lại.")


def _client() -> Any:
    """A client built from the current settings (so that tests may override them)."""
    issuer = settings.MOTCUA_OIDC_ISSUER.rstrip("/")
    if not issuer or not settings.MOTCUA_OIDC_CLIENT_ID:
        raise CitizenSignInError(
            _("Chưa cấu hình đăng nhập VNeID (MOTCUA_OIDC_ISSUER, MOTCUA_OIDC_CLIENT_ID)."),
            code="oidc_not_configured",
        )
    if "openid" not in settings.MOTCUA_OIDC_SCOPES.split():
        # Without it no ID token (and no nonce) is asked for, and nothing would be verified.
        raise CitizenSignInError(
            _("MOTCUA_OIDC_SCOPES phải có “openid”."), code="oidc_not_configured"
        )
    registry = OAuth()
    return registry.register(
        name=CLIENT_NAME,
        client_id=settings.MOTCUA_OIDC_CLIENT_ID,
        client_secret=settings.MOTCUA_OIDC_CLIENT_SECRET,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": settings.MOTCUA_OIDC_SCOPES,
            "code_challenge_method": "S256",
            "timeout": settings.MOTCUA_OIDC_TIMEOUT,
        },
    )


def start(request: HttpRequest, redirect_uri: str) -> HttpResponse:
    """Redirect the browser to the provider's authorization endpoint."""
    try:
        response: HttpResponse = _client().authorize_redirect(request, redirect_uri)
    except (AuthlibBaseError, OSError, ValueError) as error:
        logger.warning("oidc discovery failed: %s", type(error).__name__)
        raise CitizenSignInError(code="oidc_unreachable") from error
    return response


def finish(request: HttpRequest) -> dict[str, Any]:
    """Exchange the code from the callback and return the validated ID token's claims."""
    if request.GET.get("error"):
        logger.info("oidc provider refused: %s", request.GET.get("error", "")[:40])
        raise CitizenSignInError(
            _("Nhà cung cấp định danh đã từ chối đăng nhập."), code="oidc_denied"
        )
    client = _client()
    try:
        metadata = client.load_server_metadata()
        issuer = metadata.get("issuer", "")
        if issuer.rstrip("/") != settings.MOTCUA_OIDC_ISSUER.rstrip("/"):
            raise CitizenSignInError(
                _("Mã thông báo định danh (ID token) không hợp lệ: %(reason)s."),
                code="oidc_id_token",
                reason="issuer",
            )
        # Authlib checks the issuer only when told and the audience only through these options.
        token = client.authorize_access_token(
            request,
            claims_options={
                "iss": {"essential": True, "values": [issuer]},
                "aud": {"essential": True, "values": [settings.MOTCUA_OIDC_CLIENT_ID]},
            },
        )
    except AuthlibBaseError as error:
        name = getattr(error, "error", "")
        logger.warning("oidc callback refused: %s", name or type(error).__name__)
        if name == "mismatching_state":
            raise CitizenSignInError(
                _("Phiên đăng nhập không khớp (tham số state). Vui lòng đăng nhập lại."),
                code="oidc_state",
            ) from error
        raise CitizenSignInError(
            _("Mã thông báo định danh (ID token) không hợp lệ: %(reason)s."),
            code="oidc_id_token",
            reason=getattr(error, "description", None) or name or type(error).__name__,
        ) from error
    except JoseError as error:
        logger.warning("oidc id token invalid: %s", getattr(error, "description", type(error)))
        raise CitizenSignInError(
            _("Mã thông báo định danh (ID token) không hợp lệ: %(reason)s."),
            code="oidc_id_token",
            reason=getattr(error, "description", None) or type(error).__name__,
        ) from error
    except (OSError, ValueError) as error:
        logger.warning("oidc token exchange failed: %s", type(error).__name__)
        raise CitizenSignInError(code="oidc_unreachable") from error
    claims = token.get("userinfo")
    if not isinstance(claims, dict):
        raise CitizenSignInError(
            _("Nhà cung cấp không trả về mã thông báo định danh (ID token)."),
            code="oidc_id_token",
            reason="",
        )
    return dict(claims)
