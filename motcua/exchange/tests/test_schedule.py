"""Periodic jobs: registered once, run when due, one worker at a time, outcome recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from motcua.dossiers.models import Notice
from motcua.exchange import schedule
from motcua.exchange.models import JobOutcome, PeriodicJobRun

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=VN)


@pytest.fixture
def only(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Replace the registry by the given jobs for one test."""

    def use(*jobs: schedule.Job) -> None:
        monkeypatch.setattr(schedule, "JOBS", {job.name: job for job in jobs})

    return use


def test_the_registry_holds_the_province_jobs() -> None:
    every = {name: job.every for name, job in schedule.JOBS.items()}

    assert every["exchange.outbox"] == timedelta(seconds=1)
    assert every["dossiers.escalate"] == timedelta(minutes=15)
    assert every["payments.refresh"] == timedelta(minutes=5)
    assert every["dvcqg.resync"] == timedelta(minutes=5)
    assert every["tasks.requeue"] == timedelta(minutes=5)
    assert every["exchange.prune"] == timedelta(days=1)
    assert every["audit.seal"] == timedelta(seconds=10)
    assert [name for name, job in schedule.JOBS.items() if not job.exclusive] == ["exchange.outbox"]


@pytest.mark.django_db
def test_a_job_runs_when_due_and_records_its_outcome(only: Any, set_now: Any) -> None:
    runs: list[str] = []
    job = schedule.Job("test.count", "Đếm", timedelta(minutes=5), lambda w: {"n": len(runs)})
    only(schedule.Job(job.name, job.title, job.every, lambda w: runs.append(w) or {"n": 1}))

    set_now(T0)
    first = schedule.run_due(worker_id="w1")
    set_now(T0 + timedelta(minutes=4))
    early = schedule.run_due(worker_id="w1")
    set_now(T0 + timedelta(minutes=5))
    due = schedule.run_due(worker_id="w2")

    assert [r.name for r in first] == ["test.count"]
    assert early == []
    assert [r.outcome for r in due] == ["ok"]
    assert runs == ["w1", "w2"]
    row = PeriodicJobRun.objects.get(name="test.count")
    assert (row.runs, row.failures, row.last_outcome) == (2, 0, JobOutcome.OK)
    assert row.last_started_at == T0 + timedelta(minutes=5)
    assert row.next_run_at == T0 + timedelta(minutes=10)
    assert row.last_summary == {"n": 1}
    assert row.lease_until is None


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_retried_at_its_next_turn(only: Any, set_now: Any) -> None:
    def broken(worker_id: str) -> dict[str, Any]:
        raise ConnectionError("gateway unreachable")

    only(schedule.Job("test.broken", "Hỏng", timedelta(minutes=5), broken))
    set_now(T0)

    result = schedule.run_due(worker_id="w1")[0]

    row = PeriodicJobRun.objects.get(name="test.broken")
    assert (result.outcome, row.last_outcome, row.last_error) == (
        "error",
        "error",
        "ConnectionError",
    )
    assert (row.runs, row.failures, row.next_run_at) == (1, 1, T0 + timedelta(minutes=5))


@pytest.mark.django_db
def test_an_exclusive_job_held_by_another_worker_is_skipped_until_its_lease_ends(
    only: Any, set_now: Any
) -> None:
    ran: list[str] = []
    job = schedule.Job(
        "test.exclusive",
        "Độc quyền",
        timedelta(seconds=1),
        lambda w: ran.append(w) or {},
        timeout=timedelta(minutes=10),
    )
    only(job)
    set_now(T0)
    schedule.ensure_rows()
    # Worker w1 took the job and was killed: the row stays leased.
    assert schedule._claim(job, T0) is True

    set_now(T0 + timedelta(minutes=9))
    assert schedule.run_due(worker_id="w2") == []
    set_now(T0 + timedelta(minutes=11))
    assert [r.name for r in schedule.run_due(worker_id="w2")] == ["test.exclusive"]
    assert ran == ["w2"]


@pytest.mark.django_db
def test_after_the_clock_moved_back_jobs_run_at_once_instead_of_waiting_for_it(
    only: Any, set_now: Any
) -> None:
    # A drill anchors the clock in the past (2025) after a worker planned its jobs on the real
    # date; the next turns and the lease of a run cut short lie months ahead of the new time.
    ran: list[str] = []

    def count(worker_id: str) -> dict[str, Any]:
        ran.append(worker_id)
        return {"n": 1}

    shared = schedule.Job("test.shared", "Chung", timedelta(seconds=1), count, exclusive=False)
    held = schedule.Job("test.held", "Riêng", timedelta(minutes=5), count)
    only(shared, held)
    set_now(T0)
    schedule.run_due(worker_id="real-date")
    assert schedule._claim(held, T0 + timedelta(minutes=5)) is True  # a run cut short
    moved_back = T0 - timedelta(days=250)
    set_now(moved_back)

    results = schedule.run_due(worker_id="drill")

    assert [r.name for r in results] == ["test.shared", "test.held"]
    assert ran == ["real-date", "real-date", "drill", "drill"]
    row = PeriodicJobRun.objects.get(name="test.held")
    assert (row.next_run_at, row.lease_until) == (moved_back + timedelta(minutes=5), None)
    # ... and from there they keep their pace on the new clock.
    set_now(moved_back + timedelta(minutes=4))
    assert [r.name for r in schedule.run_due(worker_id="drill")] == ["test.shared"]


@pytest.mark.django_db
def test_a_turn_or_lease_written_a_moment_later_is_not_taken_for_a_moved_clock(
    only: Any, set_now: Any
) -> None:
    # Worker A read its clock a second after worker B: A's lease, and A's next turn once it
    # finished, lie a full timeout / period ahead of B's clock and B must not run the job.
    ran: list[str] = []
    held = schedule.Job("test.held", "Riêng", timedelta(minutes=5), lambda w: ran.append(w) or {})
    only(held)
    schedule.ensure_rows(T0)
    later = T0 + timedelta(seconds=1)
    assert schedule._claim(held, later) is True
    assert schedule._claim(held, T0) is False

    set_now(later)
    schedule.run_job(held, worker_id="a")
    assert schedule._claim(held, T0) is False
    assert ran == ["a"]


def test_escalation_job_calls_the_escalation_service(world: Any, set_now: Any) -> None:
    """The registered job is the one behind ``motcua escalate``: an overdue dossier gets its
    notices once, however often the job runs."""
    set_now(T0)
    dossier = world.dossier_in("accepted")
    set_now(dossier.due_at + timedelta(hours=1))
    job = schedule.JOBS["dossiers.escalate"]

    first = job.run("w1")
    again = job.run("w1")

    assert first["overdue"] == 1
    assert first["notices"] == Notice.objects.filter(dossier=dossier).count() > 0
    assert again["overdue"] == 0 and again["notices"] == 0


@pytest.mark.django_db
def test_payment_job_queries_open_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    def refresh(**kwargs: Any) -> dict[str, int]:
        seen.append(kwargs)
        return {"paid": 2}

    monkeypatch.setattr("motcua.payments.services.refresh_open_attempts", refresh)

    assert schedule.JOBS["payments.refresh"].run("w1") == {"checked": 2, "paid": 2}
    assert seen == [{}]


@pytest.mark.django_db
def test_an_idle_shared_sweep_writes_its_row_once_a_minute(
    only: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = iter([{"delivered": 0}, {"delivered": 0}, {"delivered": 2}, {"delivered": 0}])
    job = schedule.Job("test.sweep", "Quét", timedelta(0), lambda w: next(work), exclusive=False)
    only(job)
    clock_seconds = [0.0]
    monkeypatch.setattr(schedule.time, "monotonic", lambda: clock_seconds[0])
    monkeypatch.setattr(schedule, "_last_recorded", {})

    for second in (0.0, 10.0, 20.0, 30.0):
        clock_seconds[0] = second
        schedule.run_job(job, worker_id="w1")

    # Written: the first idle run and the run that delivered; not the idle ones in between.
    row = PeriodicJobRun.objects.get(name="test.sweep")
    assert (row.runs, row.last_summary) == (2, {"delivered": 2})


@pytest.mark.django_db
def test_the_audit_job_seals_what_the_services_wrote(world: Any) -> None:
    from motcua.core.models import AuditEntry

    world.dossier_in("submitted")
    waiting = AuditEntry.objects.filter(seq__isnull=True).count()
    assert waiting > 0

    assert schedule.JOBS["audit.seal"].run("w1") == {"sealed": waiting}
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
