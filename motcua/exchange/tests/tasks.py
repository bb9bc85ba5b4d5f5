"""A task for the worker tests: the queue's machinery is what they check, not the work."""

from __future__ import annotations

from django_tasks import task

from motcua.core import audit
from motcua.exchange.models import Peer


@task()
def note_peer(code: str) -> str:
    """Record that the task ran for a peer (an audit row) and return the peer's name."""
    peer = Peer.objects.get(code=code)
    audit.record("test.task_ran", peer, actor="worker")
    return peer.name
