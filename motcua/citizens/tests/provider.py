"""A small, real OpenID Connect provider for tests, served over HTTP on 127.0.0.1.

It publishes a discovery document and a JWKS, shows a consent page at the authorization
endpoint, checks PKCE (S256) and the client's secret at the token endpoint, and signs ID
tokens with RS256. ``tamper`` makes it misbehave on purpose (a wrong nonce or audience).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "motcua-test"
CLIENT_SECRET = "s3cret-for-tests"


@dataclass
class Provider:
    """The provider's state; ``identity`` is the person who consents next."""

    identity: dict[str, Any] = field(default_factory=dict)
    tamper: dict[str, Any] = field(default_factory=dict)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, private=True))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    issuer: str = ""
    server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                provider.get(self)

            def do_POST(self) -> None:
                provider.post(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.key = RSAKey.generate_key(2048, private=True, parameters={"kid": "k1"})
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- HTTP -------------------------------------------------------------------------------

    def get(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        if url.path == "/.well-known/openid-configuration":
            self._json(request, 200, self.metadata())
        elif url.path == "/jwks":
            self._json(request, 200, {"keys": [self.key.as_dict(private=False)]})
        elif url.path == "/authorize":
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in params.items()
            )
            page = f'<form method="post" action="/authorize">{hidden}<button>Allow</button></form>'
            self._send(request, 200, "text/html", page.encode())
        else:
            self._send(request, 404, "text/plain", b"not found")

    def post(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(request.rfile.read(length).decode()).items()}
        if request.path == "/authorize":
            self._authorize(request, form)
        elif request.path == "/token":
            self._token(request, form)
        else:
            self._send(request, 404, "text/plain", b"not found")

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def _authorize(self, request: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        if form.get("client_id") != CLIENT_ID or form.get("code_challenge_method") != "S256":
            self._send(request, 400, "text/plain", b"bad request")
            return
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**form, "identity": dict(self.identity)}
        query = urlencode({"code": code, "state": form.get("state", "")})
        request.send_response(302)
        request.send_header("Location", f"{form['redirect_uri']}?{query}")
        request.end_headers()

    def _token(self, request: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        auth = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        grant = self.codes.pop(form.get("code", ""), None)
        if auth != f"Basic {expected}" or grant is None:
            self._json(request, 400, {"error": "invalid_grant"})
            return
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if (
            challenge != grant["code_challenge"]
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            self._json(request, 400, {"error": "invalid_grant"})
            return
        now = int(time.time())
        claims = {
            "iss": self.tamper.get("iss", self.issuer),
            "sub": grant["identity"]["sub"],
            "aud": self.tamper.get("aud", CLIENT_ID),
            "iat": now,
            "exp": now + self.tamper.get("expires_in", 300),
            "nonce": self.tamper.get("nonce", grant.get("nonce", "")),
            **{k: v for k, v in grant["identity"].items() if k != "sub"},
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        self._json(
            request,
            200,
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
        )

    def _json(self, request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        self._send(request, status, "application/json", json.dumps(body).encode())

    def _send(self, request: BaseHTTPRequestHandler, status: int, kind: str, body: bytes) -> None:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
