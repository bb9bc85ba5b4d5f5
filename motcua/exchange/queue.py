"""Tasks a worker was running when it died go back to the queue.

django-tasks-db marks a task RUNNING when a worker claims it and never looks at it again: if
that worker is killed (SIGKILL, power loss), the task would stay RUNNING for ever. A task
running for longer than ``MOTCUA_TASK_LEASE_SECONDS`` is taken as abandoned and made READY
again, so another worker runs it: tasks are idempotent (they take ids and are safe to
repeat), and a task that legitimately runs longer than the lease must say so in the setting.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


def requeue_stale_tasks() -> dict[str, int]:
    """Make READY again the tasks RUNNING for longer than the lease; how many."""
    # django-tasks-db stamps started_at with the real time, whatever clock a drill uses.
    cutoff = timezone.now() - timedelta(seconds=settings.MOTCUA_TASK_LEASE_SECONDS)
    stale = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    ids = list(stale.values_list("id", flat=True)[:500])
    requeued = DBTaskResult.objects.filter(
        id__in=ids, status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).update(status=TaskResultStatus.READY, started_at=None)
    for task_id in ids:
        logger.warning("tasks.requeued task=%s", task_id)
    return {"requeued": requeued}
