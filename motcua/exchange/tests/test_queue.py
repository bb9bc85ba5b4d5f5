"""Tasks left RUNNING by a dead worker go back to the queue after the lease."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from motcua.exchange.queue import requeue_stale_tasks
from motcua.exchange.tests.tasks import note_peer


@pytest.mark.django_db
def test_only_tasks_running_past_the_lease_are_requeued(settings: Any) -> None:
    settings.MOTCUA_TASK_LEASE_SECONDS = 600
    now = timezone.now()
    stale, fresh, done = (note_peer.enqueue("tinh-binh-dinh") for _ in range(3))
    DBTaskResult.objects.filter(id=stale.id).update(
        status="RUNNING", started_at=now - timedelta(seconds=601)
    )
    DBTaskResult.objects.filter(id=fresh.id).update(
        status="RUNNING", started_at=now - timedelta(seconds=599)
    )
    DBTaskResult.objects.filter(id=done.id).update(
        status="SUCCESSFUL", started_at=now - timedelta(hours=2), finished_at=now
    )

    assert requeue_stale_tasks() == {"requeued": 1}
    states = dict(DBTaskResult.objects.values_list("id", "status"))
    assert [states[r.db_result.id] for r in (stale, fresh, done)] == [
        "READY",
        "RUNNING",
        "SUCCESSFUL",
    ]
    assert DBTaskResult.objects.get(id=stale.id).started_at is None
