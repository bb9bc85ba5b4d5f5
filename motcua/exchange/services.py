"""Registering peers and pinging them: one function per verb, audited."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import audit, clock
from motcua.core.errors import InvalidInput, InvalidInputs, NotFound
from motcua.exchange import outbox
from motcua.exchange.models import OutboxMessage, Peer, PeerKind

logger = logging.getLogger(__name__)

CODE_RULE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
MIN_SECRET_LENGTH = 16


def _check_peer(
    code: str, name: str, kind: str, base_url: str, secret: str, agency_codes: list[str]
) -> None:
    errors = []
    if not CODE_RULE.match(code):
        errors.append(
            InvalidInput(
                _("Mã hệ thống gồm 2–64 ký tự: chữ thường không dấu, chữ số, dấu gạch ngang."),
                field="code",
            )
        )
    if not name.strip():
        errors.append(InvalidInput(_("Tên hệ thống là bắt buộc."), field="name", code="required"))
    if kind not in PeerKind.values:
        errors.append(
            InvalidInput(
                _("Loại hệ thống phải là một trong: %(expected)s."),
                field="kind",
                code="choice",
                expected=", ".join(PeerKind.values),
            )
        )
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors.append(
            InvalidInput(
                _("Địa chỉ gốc phải là một địa chỉ http:// hoặc https:// đầy đủ."), field="base_url"
            )
        )
    if len(secret) < MIN_SECRET_LENGTH:
        errors.append(
            InvalidInput(
                _("Khóa bí mật dùng chung phải dài ít nhất %(limit)s ký tự."),
                field="secret",
                limit=MIN_SECRET_LENGTH,
            )
        )
    if not all(isinstance(item, str) and item.strip() for item in agency_codes):
        errors.append(
            InvalidInput(_("Mã định danh cơ quan không được để trống."), field="agency_codes")
        )
    if errors:
        raise InvalidInputs(errors)


def register_peer(
    *,
    code: str,
    name: str,
    kind: str,
    base_url: str,
    secret: str,
    agency_codes: list[str] | None = None,
    actor: Any,
) -> Peer:
    """Add a peer, or update the one with this ``code`` (and make it active). Audited."""
    codes = list(agency_codes or [])
    _check_peer(code, name, kind, base_url, secret, codes)
    with transaction.atomic():
        peer, created = Peer.objects.update_or_create(
            code=code,
            defaults={
                "name": name.strip(),
                "kind": kind,
                "base_url": base_url.rstrip("/"),
                "secret": secret,
                "agency_codes": codes,
                "active": True,
            },
        )
        audit.record(
            "exchange.peer_registered" if created else "exchange.peer_updated",
            peer,
            actor=actor,
            data={"code": code, "kind": kind, "base_url": peer.base_url, "agencies": codes},
        )
    logger.info("exchange.peer_registered peer=%s created=%s", code, created)
    return peer


def set_peer_active(code: str, active: bool, *, actor: Any) -> Peer:
    """Pause (or resume) exchanges with a peer; its messages wait meanwhile. Audited."""
    with transaction.atomic():
        peer = Peer.objects.select_for_update().filter(code=code).first()
        if peer is None:
            raise NotFound(
                _("Không có hệ thống liên thông mã “%(peer)s”."), field="code", peer=code
            )
        peer.active = active
        peer.save(update_fields=["active"])
        audit.record("exchange.peer_active", peer, actor=actor, data={"active": active})
    logger.info("exchange.peer_active peer=%s active=%s", code, active)
    return peer


def ping_peer(code: str, *, actor: Any) -> OutboxMessage:
    """Queue a connectivity check to a peer (``exchange.ping``); the worker delivers it."""
    now = clock.now()
    with transaction.atomic():
        message = outbox.post(
            peer=code,
            kind="exchange.ping",
            payload={"seq": int(now.timestamp())},
            stream=f"ping:{code}",
            dedupe_key=f"ping:{code}:{now.isoformat()}",
        )
        audit.record("exchange.peer_ping", message, actor=actor, data={"peer": code})
    return message
