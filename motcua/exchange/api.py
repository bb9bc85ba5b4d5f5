"""API for peer systems: the generic signed envelope endpoint, and ``peer_auth`` for others.

Peers sign every request (see ``motcua.exchange.transport``); endpoints that take messages
from peers declare ``auth=peer_auth`` and read the peer with ``peer_of(request)``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema
from ninja.security import APIKeyHeader

from motcua.core.errors import InvalidInput
from motcua.exchange import inbox
from motcua.exchange.dvcqg.api import router as dvcqg_router
from motcua.exchange.models import Peer
from motcua.exchange.transport import SIGNATURE_HEADER

router = Router(tags=["Liên thông"])


class PeerSignature(APIKeyHeader):
    """``X-Motcua-Peer``, ``X-Motcua-Message-Id`` and ``X-Motcua-Signature`` (HMAC-SHA256)."""

    param_name = SIGNATURE_HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> Peer:
        return inbox.authenticate_peer(request)


peer_auth = PeerSignature()


def peer_of(request: HttpRequest) -> Peer:
    """The peer on whose behalf a ``peer_auth`` endpoint runs."""
    peer: Peer = request.auth  # type: ignore[attr-defined]  # set by django-ninja's auth
    return peer


class EnvelopeIn(Schema):
    kind: str = Field(max_length=64, description="loại tin, ví dụ exchange.ping")
    stream: str = Field("", max_length=120, description="khóa thứ tự của bên gửi")
    payload: dict[str, Any] = Field(default_factory=dict)


class EnvelopeOut(Schema):
    message_id: str
    duplicate: bool
    reply: dict[str, Any]


@router.post(
    "/lien-thong/tin-nhan",
    response=EnvelopeOut,
    auth=peer_auth,
    url_name="exchange_envelope",
    summary="Nhận một tin liên thông (có chữ ký HMAC)",
)
def receive_envelope(request: HttpRequest, payload: EnvelopeIn) -> dict[str, Any]:
    """Stored before it is answered; a repeated ``X-Motcua-Message-Id`` gets the same reply."""
    handle = inbox.HANDLERS.get(payload.kind)
    if handle is None:
        raise InvalidInput(
            _("Loại tin “%(kind)s” không được hỗ trợ."),
            field="kind",
            code="unknown_kind",
            kind=payload.kind[:64],
        )
    message_id = inbox.message_id_of(request)
    reply, duplicate = inbox.receive(
        peer=peer_of(request),
        message_id=message_id,
        kind=payload.kind,
        payload=payload.payload,
        handle=handle,
    )
    return {"message_id": message_id, "duplicate": duplicate, "reply": reply}


router.add_router("", dvcqg_router)  # the national portal's endpoints (motcua/exchange/dvcqg)
