"""The worker's loop in process: it survives a failing step and stops on a signal."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest
from django.db import OperationalError

from motcua.exchange.worker import Worker


def test_a_database_outage_is_waited_out(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = Worker(worker_id="w-test", interval=0.01, once=True)
    outcomes: list[Any] = [OperationalError("server closed the connection"), True, False]
    waits: list[float] = []

    def step() -> bool:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return bool(outcome)

    monkeypatch.setattr(worker, "step", step)
    monkeypatch.setattr(worker.stopping, "wait", lambda seconds: waits.append(seconds))

    worker.run()

    assert outcomes == []
    assert waits == [0.02]


def test_sigterm_ends_the_loop_after_the_current_step(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = Worker(worker_id="w-test", interval=5)
    steps: list[int] = []

    def step() -> bool:
        steps.append(len(steps))
        if len(steps) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return True

    monkeypatch.setattr(worker, "step", step)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        worker.install_signals()
        worker.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    assert steps == [0, 1]
    assert worker.stopping.is_set()
