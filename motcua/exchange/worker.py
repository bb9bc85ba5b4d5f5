"""``motcua worker``: one long-running process for all background work.

Each turn of its loop it (a) runs one queued task of the database task queue (django-tasks-db
claims and runs it), (b) runs the periodic jobs that are due (the outbox sweep among them, see
``schedule``), and sleeps ``interval`` seconds only when there was nothing to do. SIGTERM or
SIGINT lets the current step finish, then the loop ends; a second signal stops at once. Several
workers may run side by side: tasks, outbox messages and exclusive jobs are each claimed by one.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from django.db import OperationalError, close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as TaskWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from motcua.exchange import schedule

logger = logging.getLogger(__name__)


def new_worker_id() -> str:
    return f"{os.uname().nodename[:30]}-{os.getpid()}-{get_random_string(6)}"


class Worker:
    def __init__(
        self,
        *,
        worker_id: str | None = None,
        interval: float = 1.0,
        backend_name: str = "default",
        once: bool = False,
    ) -> None:
        self.worker_id = (worker_id or new_worker_id())[:64]
        self.interval = interval
        self.backend_name = backend_name
        self.once = once
        self.stopping = threading.Event()
        self.tasks = TaskWorker(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )

    # --- signals --------------------------------------------------------------------------------

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping.is_set():
            logger.warning("worker.forced_stop worker=%s signal=%s", self.worker_id, signum)
            sys.exit(1)
        logger.info("worker.stopping worker=%s signal=%s", self.worker_id, signum)
        self.stopping.set()

    # --- the loop -------------------------------------------------------------------------------

    def run(self) -> None:
        logger.info("worker.started worker=%s pid=%s", self.worker_id, os.getpid())
        failures = 0
        while not self.stopping.is_set():
            try:
                busy = self.step()
            except Exception:
                # The database restarting, a network share gone: log, wait longer each time
                # (at most a minute), and carry on; nothing is lost, claims have leases.
                failures += 1
                logger.exception(
                    "worker.step_failed worker=%s failures=%s", self.worker_id, failures
                )
                connections.close_all()
                self.stopping.wait(min(60.0, self.interval * 2**failures))
                continue
            failures = 0
            if self.once and not busy:
                break
            if not busy:
                self.stopping.wait(self.interval)
        close_old_connections()
        logger.info("worker.stopped worker=%s", self.worker_id)

    def step(self) -> bool:
        """One turn: a task, then the due jobs. True when something was done."""
        close_old_connections()
        busy = self.run_one_task()
        if self.stopping.is_set():
            return busy
        for result in schedule.run_due(worker_id=self.worker_id):
            busy = busy or _worked(result.summary)
        return busy

    def run_one_task(self) -> bool:
        """Claim and run one ready task of the database queue, if any (django-tasks-db)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        task_result = None
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            return False
        if task_result is None:
            return False
        logger.info("worker.task task=%s path=%s", task_result.id, task_result.task_path)
        self.tasks.run_task(task_result)
        return True


def _worked(summary: dict[str, Any]) -> bool:
    """An outbox sweep that delivered or failed something may have more to do at once."""
    return any(value for value in summary.values() if isinstance(value, int))
