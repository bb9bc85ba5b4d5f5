"""Retention: finished records older than MOTCUA_EXCHANGE_RETENTION_DAYS go, the rest stays."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django_tasks_db.models import DBTaskResult

from motcua.exchange import inbox, outbox, schedule
from motcua.exchange.models import InboxMessage, OutboxMessage, OutboxState, Peer
from motcua.exchange.tests.tasks import note_peer

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=VN)


def _message(peer: Peer, key: str, state: str, delivered_at: datetime | None) -> OutboxMessage:
    with transaction.atomic():
        message = outbox.post(peer=peer, kind="k", payload={}, stream=key, dedupe_key=key)
    OutboxMessage.objects.filter(pk=message.pk).update(state=state, delivered_at=delivered_at)
    return message


def test_prune_keeps_what_is_recent_or_unfinished(peer: Peer, settings: Any, set_now: Any) -> None:
    settings.MOTCUA_EXCHANGE_RETENTION_DAYS = 30
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    gone = _message(peer, "old-delivered", OutboxState.DELIVERED, old)
    kept = [
        _message(peer, "recent-delivered", OutboxState.DELIVERED, recent),
        _message(peer, "old-dead", OutboxState.DEAD, None),
        _message(peer, "old-pending", OutboxState.PENDING, None),
    ]
    for message_id, moment in (("in-old", old), ("in-recent", recent)):
        set_now(moment)
        inbox.receive(peer=peer, message_id=message_id, kind="k", payload={}, handle=lambda m: {})
    tasks = [note_peer.enqueue(peer.code) for _ in range(3)]
    DBTaskResult.objects.filter(id=tasks[0].id).update(status="SUCCESSFUL", finished_at=old)
    DBTaskResult.objects.filter(id=tasks[1].id).update(status="FAILED", finished_at=recent)
    set_now(NOW)

    counts = schedule.JOBS["exchange.prune"].run("w1")

    assert counts == {"outbox": 1, "inbox": 1, "tasks": 1}
    assert not OutboxMessage.objects.filter(pk=gone.pk).exists()
    assert sorted(OutboxMessage.objects.values_list("pk", flat=True)) == [m.pk for m in kept]
    assert list(InboxMessage.objects.values_list("message_id", flat=True)) == ["in-recent"]
    assert sorted(DBTaskResult.objects.values_list("id", flat=True)) == sorted(
        [tasks[1].db_result.id, tasks[2].db_result.id]
    )
