"""Envelope kinds this installation answers (see ``inbox.handler``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from motcua.exchange.inbox import handler
from motcua.exchange.models import InboxMessage


@handler("exchange.ping")
def answer_ping(message: InboxMessage) -> dict[str, Any]:
    """A connectivity check between installations (``motcua peer ping``)."""
    return {"pong": True, "by": settings.MOTCUA_EXCHANGE_CODE, "seq": message.payload.get("seq")}
