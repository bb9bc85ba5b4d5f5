"""What a drill instance holds at the end, for the drill's reconciliation (read only).

The runner asks for it over HTTP (``GET /api/drill/ledger``) and compares it with what it was
told while it ran and with what the national-portal stand-in received: the outbox messages to
the peers with their times (queued, delivered), and per dossier its newest event, state and
invoice status. Ids, codes, states and times only: no names, no forms.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db.models import Max

from motcua.core import clock
from motcua.dossiers.models import Dossier
from motcua.exchange.dvcqg.outbound import STATUS_KIND
from motcua.exchange.models import OutboxMessage, OutboxState

logger = logging.getLogger(__name__)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def drill_ledger(*, since: datetime) -> dict[str, Any]:
    """Outbox messages queued and dossiers submitted since ``since`` (scenario time).

    ``messages`` rows: [id, peer, kind, dossier code, sequence, status, state, created_at,
    delivered_at, attempts] (code, sequence and status for portal status messages only);
    ``dossiers`` rows: [code, newest event id, state, invoice status or None]."""
    messages = []
    rows = (
        OutboxMessage.objects.filter(created_at__gte=since)
        .order_by("id")
        .values_list(
            "id", "peer__code", "kind", "payload", "state", "created_at", "delivered_at", "attempts"
        )
    )
    for pk, peer, kind, payload, state, created, delivered, attempts in rows.iterator(2000):
        code, sequence, status = "", 0, 0
        if kind == STATUS_KIND:
            record = (payload.get("data") or [{}])[0]
            code = str(record.get("MaHoSo", ""))
            sequence = int(record.get("SoThuTuCapNhat") or 0)
            status = int(record.get("TrangThaiHoSo") or 0)
        messages.append(
            [pk, peer, kind, code, sequence, status, state, _iso(created), _iso(delivered),
             attempts]
        )  # fmt: skip
    dossiers = [
        [code, newest, state, invoice]
        for code, newest, state, invoice in Dossier.objects.filter(submitted_at__gte=since)
        .annotate(newest=Max("events__id"))
        .order_by("id")
        .values_list("code", "newest", "state", "invoice__status")
        .iterator(2000)
    ]
    undelivered = sum(1 for row in messages if row[6] != OutboxState.DELIVERED)
    logger.info(
        "drill.ledger messages=%s dossiers=%s undelivered=%s",
        len(messages),
        len(dossiers),
        undelivered,
    )
    return {
        "now": clock.now().isoformat(),
        "messages": messages,
        "dossiers": dossiers,
        "undelivered": undelivered,
    }


def outbox_backlog(*, since: datetime) -> int:
    """Messages queued since ``since`` that are not delivered yet."""
    return (
        OutboxMessage.objects.filter(created_at__gte=since)
        .exclude(state=OutboxState.DELIVERED)
        .count()
    )
