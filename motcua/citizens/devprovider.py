"""A local OpenID Connect provider for the demo (``MOTCUA_DEMO=1``), mounted at /oidc-dev/.

It stands in for VNeID on a developer's machine: a consent page where one types the name and
personal ID number to sign in as, then the code, PKCE and ID-token exchange of the real thing.
Keys live in the process and codes in the cache, so it serves one web process only; it is never
mounted outside demo mode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from functools import cache
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache as django_cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from joserfc import jwt
from joserfc.jwk import RSAKey

KEY_ID = "motcua-dev"
CODE_SECONDS = 300
_PARAMS = ("client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge")


@cache
def _key() -> RSAKey:
    return RSAKey.generate_key(2048, private=True, parameters={"kid": KEY_ID})


def _issuer(request: HttpRequest) -> str:
    return request.build_absolute_uri("/oidc-dev").rstrip("/")


@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    issuer = _issuer(request)
    return JsonResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"keys": [_key().as_dict(private=False)]})


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """The consent page; approving it sends the browser back with a one-time code."""
    source = request.POST if request.method == "POST" else request.GET
    params = {name: source.get(name, "") for name in _PARAMS}
    if (
        params["client_id"] != settings.MOTCUA_OIDC_CLIENT_ID
        or source.get("code_challenge_method") != "S256"
        or source.get("response_type", "code") != "code"
        or not params["redirect_uri"]
        or not params["code_challenge"]
    ):
        return HttpResponse("invalid_request", status=400, content_type="text/plain")
    if request.method == "GET":
        return render(
            request,
            "citizens/devprovider_consent.html",
            {"params": params, "name": "Nguyễn Văn An", "id_number": "064090001234"},
        )
    code = secrets.token_urlsafe(24)
    identity = {
        "name": request.POST.get("name", "").strip(),
        settings.MOTCUA_OIDC_ID_CLAIM: request.POST.get("id_number", "").strip(),
    }
    django_cache.set(f"oidc-dev:{code}", {**params, "identity": identity}, CODE_SECONDS)
    query = urlencode({"code": code, "state": params["state"]})
    return redirect(f"{params['redirect_uri']}?{query}")


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    """Code + PKCE verifier + client secret in, signed ID token out."""
    expected = base64.b64encode(
        f"{settings.MOTCUA_OIDC_CLIENT_ID}:{settings.MOTCUA_OIDC_CLIENT_SECRET}".encode()
    ).decode()
    given = request.headers.get("Authorization", "")
    grant: dict[str, Any] | None = django_cache.get(f"oidc-dev:{request.POST.get('code', '')}")
    if grant is not None:
        django_cache.delete(f"oidc-dev:{request.POST.get('code', '')}")
    if not hmac.compare_digest(given, f"Basic {expected}") or grant is None:
        return JsonResponse({"error": "invalid_grant"}, status=400)
    digest = hashlib.sha256(request.POST.get("code_verifier", "").encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    if (
        challenge != grant["code_challenge"]
        or request.POST.get("redirect_uri") != grant["redirect_uri"]
    ):
        return JsonResponse({"error": "invalid_grant"}, status=400)
    identity = grant["identity"]
    now = int(time.time())
    claims = {
        "iss": _issuer(request),
        "sub": "dev-" + hashlib.sha256(str(identity).encode()).hexdigest()[:16],
        "aud": grant["client_id"],
        "iat": now,
        "exp": now + CODE_SECONDS,
        "nonce": grant["nonce"],
        **identity,
    }
    id_token = jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, _key())
    return JsonResponse(
        {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": CODE_SECONDS,
            "id_token": id_token,
        }
    )
