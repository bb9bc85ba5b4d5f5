"""Periodic jobs, registered in this one place, run by ``motcua worker`` when due.

A job is a function ``run(worker_id) -> dict`` (a summary of counts, no personal data) with an
interval. Its bookkeeping row (``PeriodicJobRun``) says when it runs next and how its last run
went; operators see it at /mot-cua/lien-thong/tac-vu/. An ``exclusive`` job runs in one worker
at a time: the worker takes the row with ``select_for_update(skip_locked=True)`` and leases it
for ``timeout``; a worker killed mid-run loses the lease when it expires. The outbox sweep is
not exclusive: every worker delivers, each message being claimed on its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.exchange.models import JobOutcome, PeriodicJobRun

if TYPE_CHECKING:
    from motcua.exchange.transport import HttpTransport

logger = logging.getLogger(__name__)

JobFunction = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    name: str
    title: str | Promise
    every: timedelta
    run: JobFunction
    exclusive: bool = True
    timeout: timedelta = timedelta(minutes=10)


JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    JOBS[job.name] = job
    return job


# --- the jobs -----------------------------------------------------------------------------------


# The sweep runs every second or so: one transport per worker thread serves every sweep, so
# that its client (a TLS context, tens of milliseconds to make) and its open connections to
# the peers are not made again each time there is something to send.
_sweeps = threading.local()


def sweep_transport() -> HttpTransport:
    from motcua.exchange.transport import HttpTransport

    timeout = settings.MOTCUA_PEER_TIMEOUT_SECONDS
    kept = getattr(_sweeps, "transport", None)
    if kept is None or kept.timeout != timeout:
        if kept is not None:
            kept.close()
        kept = _sweeps.transport = HttpTransport(timeout=timeout)
    return kept


def deliver_outbox(worker_id: str) -> dict[str, Any]:
    from motcua.exchange import outbox

    return outbox.deliver_due(worker_id=worker_id, transport=sweep_transport()).as_dict()


def escalate_dossiers(worker_id: str) -> dict[str, Any]:
    from motcua.dossiers.services.escalation import escalate

    return asdict(escalate())


def requeue_tasks(worker_id: str) -> dict[str, Any]:
    from motcua.exchange.queue import requeue_stale_tasks

    return requeue_stale_tasks()


def seal_audit(worker_id: str) -> dict[str, Any]:
    from motcua.core.audit import seal_all

    return {"sealed": seal_all()}


def prune_exchange(worker_id: str) -> dict[str, Any]:
    from motcua.exchange.retention import prune

    return prune()


def refresh_payments(worker_id: str) -> dict[str, Any]:
    from motcua.payments.services import refresh_open_attempts

    by_state = refresh_open_attempts()
    checked = sum(count for state, count in by_state.items() if state != "left")
    return {"checked": checked, **by_state}


register(
    Job(
        "exchange.outbox",
        _("Gửi tin trong hộp thư đi"),
        timedelta(seconds=settings.MOTCUA_WORKER_INTERVAL_SECONDS),
        deliver_outbox,
        exclusive=False,
    )
)
register(
    Job(
        "dossiers.escalate",
        _("Cảnh báo hồ sơ sắp đến hạn, quá hạn"),
        timedelta(minutes=15),
        escalate_dossiers,
    )
)
register(
    Job(
        "payments.refresh",
        _("Tra cứu trạng thái thanh toán trực tuyến đang chờ"),
        timedelta(minutes=5),
        refresh_payments,
    )
)
register(
    Job(
        "tasks.requeue",
        _("Đưa lại vào hàng đợi tác vụ của tiến trình nền đã dừng đột ngột"),
        # Checked a few times per lease, at most every 5 minutes.
        timedelta(seconds=min(300.0, settings.MOTCUA_TASK_LEASE_SECONDS / 2)),
        requeue_tasks,
        timeout=timedelta(minutes=1),
    )
)
register(
    Job(
        "audit.seal",
        _("Niêm phong bản ghi kiểm toán mới vào chuỗi băm"),
        # The window in which a new entry is not yet protected by the chain.
        timedelta(seconds=10),
        seal_audit,
        timeout=timedelta(minutes=1),
    )
)
register(
    Job(
        "exchange.prune",
        _("Xóa tin liên thông và tác vụ đã xong quá thời hạn lưu"),
        timedelta(days=1),
        prune_exchange,
    )
)


# --- running them -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobResult:
    name: str
    outcome: str
    summary: dict[str, Any]
    duration_ms: int


def ensure_rows(now: datetime | None = None) -> None:
    """A bookkeeping row for every registered job (due at once the first time)."""
    now = now or clock.now()
    known = set(PeriodicJobRun.objects.values_list("name", flat=True))
    for name in JOBS.keys() - known:
        _ensure_row(name, now)


def _ensure_row(name: str, now: datetime) -> None:
    if PeriodicJobRun.objects.filter(name=name).exists():
        return
    try:
        with transaction.atomic():
            PeriodicJobRun.objects.create(name=name, next_run_at=now)
    except IntegrityError:
        pass  # another worker created it


def run_due(*, worker_id: str, now: datetime | None = None) -> list[JobResult]:
    """Run every job that is due and not held by another worker; what ran, in order."""
    now = now or clock.now()
    ensure_rows(now)
    results = []
    for job in JOBS.values():
        if _claim(job, now):
            results.append(run_job(job, worker_id=worker_id))
    return results


def _claim(job: Job, now: datetime) -> bool:
    # A run is never planned more than ``every`` ahead, nor leased more than ``timeout``: a
    # row twice as far ahead was written by a clock since moved back (a drill's clock anchored
    # in the past, a system clock corrected), and waiting for it would stop the job for as
    # long. Twice, because another worker may have written it from a clock read a moment
    # after this ``now``.
    due = Q(name=job.name) & (Q(next_run_at__lte=now) | Q(next_run_at__gt=now + 2 * job.every))
    if not job.exclusive:
        return PeriodicJobRun.objects.filter(due).exists()
    with transaction.atomic():
        free = (
            Q(lease_until__isnull=True)
            | Q(lease_until__lt=now)
            | Q(lease_until__gt=now + 2 * job.timeout)
        )
        row = PeriodicJobRun.objects.select_for_update(skip_locked=True).filter(due, free).first()
        if row is None:
            return False
        row.lease_until = now + job.timeout
        row.last_outcome = JobOutcome.RUNNING
        row.last_started_at = now
        row.save(update_fields=["lease_until", "last_outcome", "last_started_at"])
    return True


def run_job(job: Job, *, worker_id: str) -> JobResult:
    """Run ``job`` now and record its outcome (the caller holds its claim)."""
    started_at = clock.now()
    started = time.monotonic()
    try:
        summary = job.run(worker_id)
        outcome, error = JobOutcome.OK, ""
    except Exception as exc:
        logger.exception("job.error job=%s", job.name)
        summary, outcome, error = {}, JobOutcome.ERROR, type(exc).__name__
    duration_ms = int((time.monotonic() - started) * 1000)

    finished_at = clock.now()
    idle = outcome == JobOutcome.OK and not _did_something(summary)
    if not job.exclusive and idle and _recorded_lately(job.name, time.monotonic()):
        # An idle sweep runs every second in every worker: its row is written once a minute.
        return JobResult(job.name, outcome, summary, duration_ms)
    _ensure_row(job.name, started_at)  # run_due made it; a run by hand may not have
    PeriodicJobRun.objects.filter(name=job.name).update(
        next_run_at=max(started_at + job.every, finished_at),
        lease_until=None,
        last_started_at=started_at,
        last_finished_at=finished_at,
        last_outcome=outcome,
        last_duration_ms=duration_ms,
        last_summary=summary,
        last_error=error[:200],
        runs=F("runs") + 1,
        failures=F("failures") + (1 if outcome == JobOutcome.ERROR else 0),
    )
    if job.exclusive or _did_something(summary) or outcome == JobOutcome.ERROR:
        logger.info(
            "job.finished job=%s outcome=%s duration_ms=%s summary=%s",
            job.name,
            outcome,
            duration_ms,
            summary,
        )
    return JobResult(job.name, outcome, summary, duration_ms)


IDLE_RECORD_SECONDS = 60.0
_last_recorded: dict[str, float] = {}


def _recorded_lately(name: str, moment: float) -> bool:
    """True if this process wrote ``name``'s row less than a minute ago; else note it now."""
    if moment - _last_recorded.get(name, float("-inf")) < IDLE_RECORD_SECONDS:
        return True
    _last_recorded[name] = moment
    return False


def _did_something(summary: dict[str, Any]) -> bool:
    return any(value for value in summary.values())
