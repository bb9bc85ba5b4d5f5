"""The audit trail: data, not logs. Services call ``record`` inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from motcua.core.context import current_origin
from motcua.core.models import AuditEntry


def actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"user:{actor.pk}"


def record(
    action: str, obj: models.Model, *, actor: Any, data: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one audit entry for ``action`` on ``obj``; ``actor`` is a user, a label or None."""
    origin = current_origin()
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=actor_label(actor),
        source_ip=origin.ip,
        channel=origin.channel,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
    )
