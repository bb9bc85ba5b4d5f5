"""A task for the worker tests: the queue's machinery is what they check, not the work."""

from __future__ import annotations

import time
from pathlib import Path

from django_tasks import task

from motcua.core import audit
from motcua.exchange.models import Peer


@task()
def note_peer(code: str) -> str:
    """Record that the task ran for a peer (an audit row) and return the peer's name."""
    peer = Peer.objects.get(code=code)
    audit.record("test.task_ran", peer, actor="worker")
    return peer.name


@task()
def wait_for_file(path: str) -> str:
    """Leave a mark that it started, then wait (at most a minute) until ``path`` exists."""
    Path(path + ".started").write_text("started")
    deadline = time.monotonic() + 60
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return Path(path).read_text()
