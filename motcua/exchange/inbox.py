"""The inbox: every inbound message is stored before it is acknowledged, and handled once.

``authenticate_peer(request) -> Peer``
    Checks the three headers of ``transport.py`` against the active peer's shared secret;
    raises ``PeerUnauthenticated`` (401, code ``peer_unauthenticated``, ``field`` = the header
    that is missing or wrong).

``receive(*, peer, message_id, kind, payload, handle) -> tuple[dict, bool]``
    Stores the message (its own transaction) unless ``(peer, message_id)`` is known, then runs
    ``handle(inbox_message) -> dict`` in a transaction and stores its reply. Returns ``(reply,
    duplicate)``: a duplicate gets the stored reply and ``handle`` does not run again. A
    ``MotcuaError`` from ``handle`` is a rejection: stored, raised, and raised again (same
    code, status and message) for any duplicate. Any other exception leaves the message
    ``failed`` and propagates (the peer sees a 5xx and retries; the retry runs ``handle``).

``@handler(kind)`` registers the ``handle`` for the generic envelope endpoint
    ``POST /api/lien-thong/tin-nhan`` (``{kind, stream, payload}``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import MotcuaError
from motcua.exchange.models import InboxMessage, InboxState, Peer
from motcua.exchange.transport import (
    MESSAGE_ID_HEADER,
    PEER_HEADER,
    SIGNATURE_HEADER,
    signature_matches,
)

logger = logging.getLogger(__name__)

Handle = Callable[[InboxMessage], dict[str, Any]]
HANDLERS: dict[str, Handle] = {}


def handler(kind: str) -> Callable[[Handle], Handle]:
    """Register the function that handles envelopes of ``kind``."""

    def register(function: Handle) -> Handle:
        HANDLERS[kind] = function
        return function

    return register


class PeerUnauthenticated(MotcuaError):
    code = "peer_unauthenticated"
    status = 401
    default_message = _("Hệ thống gửi tin chưa được xác thực.")


class StoredRejection(MotcuaError):
    """A duplicate of a message we rejected: the same error again."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(str(error.get("message", "")), field=error.get("field"))
        self.code = str(error.get("code", "error"))
        self.status = int(error.get("status", 400))
        self.stored = error

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.stored.items() if key != "status"}


def _missing(header: str) -> PeerUnauthenticated:
    return PeerUnauthenticated(
        _("Thiếu tiêu đề %(header)s."), field=header, code="peer_unauthenticated", header=header
    )


def authenticate_peer(request: HttpRequest) -> Peer:
    """The active peer that signed this request (see the module's contract)."""
    code = request.headers.get(PEER_HEADER, "").strip()
    message_id = request.headers.get(MESSAGE_ID_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    for header, value in ((PEER_HEADER, code), (MESSAGE_ID_HEADER, message_id)):
        if not value:
            raise _missing(header)
    if not signature:
        raise _missing(SIGNATURE_HEADER)

    peer = Peer.objects.filter(code=code, active=True).first()
    if peer is None:
        logger.warning("inbox.unknown_peer")
        raise PeerUnauthenticated(
            _("Tiêu đề %(header)s không phải mã của hệ thống liên thông đang kết nối."),
            field=PEER_HEADER,
            header=PEER_HEADER,
        )
    if len(message_id) > 100:
        raise PeerUnauthenticated(
            _("Tiêu đề %(header)s dài quá %(limit)s ký tự."),
            field=MESSAGE_ID_HEADER,
            header=MESSAGE_ID_HEADER,
            limit=100,
        )
    if not signature_matches(peer.secret, message_id, signed_content(request), signature):
        logger.warning("inbox.bad_signature peer=%s", peer.code)
        raise PeerUnauthenticated(
            _("Chữ ký trong tiêu đề %(header)s không khớp với nội dung yêu cầu."),
            field=SIGNATURE_HEADER,
            header=SIGNATURE_HEADER,
        )
    return peer


def signed_content(request: HttpRequest) -> bytes:
    """What the signature covers after the message id: the raw body of a request that has one;
    for a GET or HEAD, the path with its query string, so that the headers of one download
    cannot fetch another document."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path().encode()
    return request.body


def message_id_of(request: HttpRequest) -> str:
    return request.headers.get(MESSAGE_ID_HEADER, "").strip()


def receive(
    *, peer: Peer, message_id: str, kind: str, payload: dict[str, Any], handle: Handle
) -> tuple[dict[str, Any], bool]:
    """Store, de-duplicate, handle once (see the module's contract)."""
    message, created = _store(peer, message_id, kind, payload)
    if not created and message.state in (InboxState.PROCESSED, InboxState.REJECTED):
        return _repeat(message), True
    try:
        return _handle_once(message.pk, peer, handle)
    except MotcuaError:
        raise
    except Exception as exc:
        mark_failed(peer, message_id, f"internal {type(exc).__name__}")
        raise


def _handle_once(pk: int, peer: Peer, handle: Handle) -> tuple[dict[str, Any], bool]:
    rejection: MotcuaError | None = None
    with transaction.atomic():
        locked = InboxMessage.objects.select_for_update().get(pk=pk)
        if locked.state in (InboxState.PROCESSED, InboxState.REJECTED):
            return _repeat(locked), True
        try:
            with transaction.atomic():
                reply = handle(locked)
        except MotcuaError as error:
            rejection = error
            _finish(locked, InboxState.REJECTED, {**error.as_dict(), "status": error.status})
        else:
            _finish(locked, InboxState.PROCESSED, reply)
    if rejection is not None:
        logger.info("inbox.rejected message=%s peer=%s code=%s", pk, peer.code, rejection.code)
        raise rejection
    logger.info("inbox.processed message=%s peer=%s kind=%s", pk, peer.code, locked.kind)
    return reply, False


def _store(
    peer: Peer, message_id: str, kind: str, payload: dict[str, Any]
) -> tuple[InboxMessage, bool]:
    try:
        with transaction.atomic():
            message, created = InboxMessage.objects.get_or_create(
                peer=peer,
                message_id=message_id,
                defaults={"kind": kind, "payload": payload, "received_at": clock.now()},
            )
    except IntegrityError:
        # The same message arrived twice at once: the other request stored it.
        message, created = InboxMessage.objects.get(peer=peer, message_id=message_id), False
    if created:
        logger.info("inbox.stored message=%s peer=%s kind=%s", message.pk, peer.code, kind)
    else:
        InboxMessage.objects.filter(pk=message.pk).update(duplicates=F("duplicates") + 1)
        logger.info("inbox.duplicate message=%s peer=%s", message.pk, peer.code)
    return message, created


def _finish(message: InboxMessage, state: str, result: dict[str, Any]) -> None:
    message.state = state
    message.result = result
    message.processed_at = clock.now()
    message.last_error = ""
    message.save(update_fields=["state", "result", "processed_at", "last_error"])


def _repeat(message: InboxMessage) -> dict[str, Any]:
    result = message.result or {}
    if message.state == InboxState.REJECTED:
        raise StoredRejection(result)
    return result


def mark_failed(peer: Peer, message_id: str, reason: str) -> None:
    """Record that handling crashed (the peer will retry)."""
    InboxMessage.objects.filter(peer=peer, message_id=message_id).exclude(
        state__in=(InboxState.PROCESSED, InboxState.REJECTED)
    ).update(state=InboxState.FAILED, last_error=reason[:200])
