"""How a message reaches a peer: a ``Transport`` posts a JSON body to a path of the peer.

On the wire every request carries three headers: ``X-Motcua-Peer`` (the sender's code),
``X-Motcua-Message-Id`` (stable across retries, so the receiver can de-duplicate) and
``X-Motcua-Signature`` = ``sha256=<hex HMAC-SHA256 of message id, a newline, the raw body>``
under the secret both sides share (``Peer.secret``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

import httpx
from django.conf import settings

from motcua.exchange.models import Peer

logger = logging.getLogger(__name__)

PEER_HEADER = "X-Motcua-Peer"
MESSAGE_ID_HEADER = "X-Motcua-Message-Id"
SIGNATURE_HEADER = "X-Motcua-Signature"
SIGNATURE_PREFIX = "sha256="


class DeliveryError(Exception):
    """A message could not be delivered. ``permanent`` failures (the peer refused the message
    itself: a 4xx answer) are not retried; the others are, with backoff. ``reason`` is short
    and carries no personal data: it is shown to operators."""

    def __init__(self, reason: str, *, permanent: bool = False, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent
        # No answer at all (refused, reset, timed out): the peer's other messages would fare
        # the same just now.
        self.unreachable = unreachable


def encode_body(body: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def sign(secret: str, message_id: str, raw_body: bytes) -> str:
    """The ``X-Motcua-Signature`` value for ``raw_body`` sent as ``message_id``."""
    mac = hmac.new(secret.encode(), message_id.encode() + b"\n" + raw_body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def signature_matches(secret: str, message_id: str, raw_body: bytes, given: str) -> bool:
    return hmac.compare_digest(sign(secret, message_id, raw_body), given.strip())


def signed_headers(
    *, sender_code: str, secret: str, message_id: str, raw_body: bytes
) -> dict[str, str]:
    """The headers of a signed request from ``sender_code`` (also for stand-ins and tests)."""
    return {
        "Content-Type": "application/json",
        PEER_HEADER: sender_code,
        MESSAGE_ID_HEADER: message_id,
        SIGNATURE_HEADER: sign(secret, message_id, raw_body),
    }


class Transport(Protocol):
    def post(
        self, peer: Peer, path: str, body: dict[str, Any], *, message_id: str
    ) -> dict[str, Any]:
        """Deliver ``body`` to ``path`` of ``peer``; the peer's JSON reply, or DeliveryError."""
        ...


class HttpTransport:
    """Real HTTP(S) with httpx: connect/read timeouts, signed headers, 2xx JSON replies only.

    Without a ``client`` of the caller's, the transport makes one on its first request and
    keeps it (and its connections) until ``close()``: a new httpx client costs tens of
    milliseconds (its TLS context), more than a delivery to a peer nearby."""

    def __init__(self, *, timeout: float | None = None, client: httpx.Client | None = None):
        self.timeout = timeout if timeout is not None else settings.MOTCUA_PEER_TIMEOUT_SECONDS
        self.client = client
        self._own: httpx.Client | None = None

    def _client(self) -> httpx.Client:
        if self.client is not None:
            return self.client
        if self._own is None:
            self._own = httpx.Client(timeout=self.timeout)
        return self._own

    def close(self) -> None:
        """Close the client the transport made (not one the caller gave)."""
        own, self._own = self._own, None
        if own is not None:
            own.close()

    def post(
        self, peer: Peer, path: str, body: dict[str, Any], *, message_id: str
    ) -> dict[str, Any]:
        raw = encode_body(body)
        headers = signed_headers(
            sender_code=settings.MOTCUA_EXCHANGE_CODE,
            secret=peer.secret,
            message_id=message_id,
            raw_body=raw,
        )
        url = peer.base_url.rstrip("/") + "/" + path.lstrip("/")
        try:
            response = self._client().post(url, content=raw, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"timeout ({type(exc).__name__})", unreachable=True) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"network ({type(exc).__name__})", unreachable=True) from exc
        return _reply_of(response)


def _reply_of(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    try:
        reply = response.json()
    except ValueError:
        reply = None
    if 200 <= status < 300:
        if not isinstance(reply, dict):
            raise DeliveryError(f"HTTP {status}: reply is not a JSON object")
        return reply
    code = reply.get("code") if isinstance(reply, dict) else None
    reason = f"HTTP {status}" + (f" {str(code)[:60]}" if code else "")
    # 408 (timeout), 409 (busy with the same id), 425 and 429 (slow down) are worth retrying.
    permanent = 400 <= status < 500 and status not in (408, 409, 425, 429)
    raise DeliveryError(reason, permanent=permanent)


Handler = Callable[[str, dict[str, Any], str], dict[str, Any]]


class InProcessTransport:
    """Delivers to functions of this process, keyed by (peer code, path): for tests and for
    peers that live inside this installation. A handler gets (path, body, message id) and may
    raise DeliveryError like a remote peer would answer an error."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.sent: list[tuple[str, str, str, dict[str, Any]]] = []

    def route(self, peer_code: str, path: str, handler: Handler) -> None:
        self.routes[(peer_code, path)] = handler

    def post(
        self, peer: Peer, path: str, body: dict[str, Any], *, message_id: str
    ) -> dict[str, Any]:
        handler = self.routes.get((peer.code, path))
        if handler is None:
            raise DeliveryError(f"no route {path}")
        # A round trip through JSON, as over the wire.
        copy = json.loads(encode_body(body))
        self.sent.append((peer.code, path, message_id, copy))
        return handler(path, copy, message_id)


def default_transport() -> Transport:
    return HttpTransport()
