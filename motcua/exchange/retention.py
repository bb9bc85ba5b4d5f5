"""How long finished interconnection records are kept (``MOTCUA_EXCHANGE_RETENTION_DAYS``).

Delivered outbox messages, answered inbox messages and finished queue tasks older than the
retention period are deleted by the periodic job ``exchange.prune``. Undelivered, failed and
dead messages are never deleted: they wait for delivery or for an operator. An inbox message
is its sender's de-duplication record, so a peer replaying a message older than the period
would have it handled again; keep the period longer than any peer retries.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from motcua.core import clock
from motcua.exchange.models import InboxMessage, InboxState, OutboxMessage, OutboxState

logger = logging.getLogger(__name__)


def prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what is finished and older than the retention period; the counts deleted."""
    cutoff = (now or clock.now()) - timedelta(days=settings.MOTCUA_EXCHANGE_RETENTION_DAYS)
    with transaction.atomic():
        outbox, _kinds = OutboxMessage.objects.filter(
            state=OutboxState.DELIVERED, delivered_at__lt=cutoff
        ).delete()
        inbox, _kinds = InboxMessage.objects.filter(
            state__in=(InboxState.PROCESSED, InboxState.REJECTED), processed_at__lt=cutoff
        ).delete()
        tasks, _kinds = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    counts = {"outbox": outbox, "inbox": inbox, "tasks": tasks}
    logger.info("exchange.pruned outbox=%s inbox=%s tasks=%s", outbox, inbox, tasks)
    return counts
