"""``motcua worker`` as real processes delivering over real HTTP to a peer on 127.0.0.1.

The peer is a small stdlib HTTP server in a thread of the test: it checks the signature like a
motcua installation would, de-duplicates by ``X-Motcua-Message-Id`` and can be down, answer
500 or hang. The workers are ``motcua worker`` subprocesses on the test database, with a short
retry schedule (environment), so the tests wait for outcomes instead of sleeping.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import transaction

from motcua.exchange import outbox
from motcua.exchange.models import OutboxMessage, OutboxState, Peer, PeerKind
from motcua.exchange.tests.processes import (
    MOTCUA,
    SECRET,
    PeerServer,
    database_url,
    free_port,
    report_counts,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    env = dict(
        os.environ,
        DATABASE_URL=database_url(),
        MOTCUA_DATA_DIR=str(tmp_path),
        MOTCUA_WORKER_INTERVAL_SECONDS="0.1",
        MOTCUA_OUTBOX_BACKOFF_SECONDS="0.2",
        MOTCUA_OUTBOX_BACKOFF_CAP_SECONDS="0.5",
        MOTCUA_OUTBOX_MAX_ATTEMPTS="100",
        MOTCUA_OUTBOX_LEASE_SECONDS="60",
        MOTCUA_PEER_TIMEOUT_SECONDS="5",
        MOTCUA_EXCHANGE_CODE="tinh-52",
        MOTCUA_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )

    def start(
        name: str, *options: str, extra: dict[str, str] | None = None
    ) -> subprocess.Popen[str]:
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 (our own console script)
            [str(MOTCUA), "worker", "--worker-id", name, *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**env, **(extra or {})},
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def worker_log(tmp_path: Path, name: str) -> str:
    return (tmp_path / f"{name}.log").read_text()


def states() -> dict[str, int]:
    counts: dict[str, int] = {}
    for state in OutboxMessage.objects.values_list("state", flat=True):
        counts[state] = counts.get(state, 0) + 1
    return counts


def make_peer(port: int) -> Peer:
    return Peer.objects.create(
        code="tinh-binh-dinh",
        name="Hệ thống một cửa tỉnh bạn",
        kind=PeerKind.PROVINCE,
        base_url=f"http://127.0.0.1:{port}",
        secret=SECRET,
    )


def post_messages(peer: Peer, streams: dict[str, int]) -> None:
    with transaction.atomic():
        for stream, count in streams.items():
            for seq in range(1, count + 1):
                outbox.post(
                    peer=peer,
                    kind="test.status",
                    payload={"seq": seq},
                    stream=stream,
                    dedupe_key=f"{stream}:{seq}",
                )


def stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(30)


def test_peer_down_then_answering_500_then_up_two_workers(
    start_worker: Callable[..., subprocess.Popen[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    peer = make_peer(port)
    server = PeerServer(port)
    streams = {"dossier:1": 6, "dossier:2": 6, "dossier:3": 4}
    post_messages(peer, streams)

    workers = [start_worker("w-a"), start_worker("w-b")]
    # The peer is down: every message of each stream's head fails and is retried.
    wait_for(
        lambda: (
            OutboxMessage.objects.filter(state=OutboxState.FAILED, attempts__gte=2).count()
            == len(streams)
        ),
        "failed attempts while the peer is down",
    )
    attempts_while_down = sum(OutboxMessage.objects.values_list("attempts", flat=True))
    server.errors_to_give = 5
    server.start()
    try:
        wait_for(lambda: states() == {"delivered": 16}, "every message delivered")
    finally:
        server.stop()
    exit_codes = [stop(worker) for worker in workers]

    total = sum(streams.values())
    attempts = sum(OutboxMessage.objects.values_list("attempts", flat=True))
    report_counts(
        capsys,
        f"peer down/500/up, 2 workers: messages={total} "
        f"attempts={attempts} (while down {attempts_while_down}) "
        f"requests={len(server.requests)} http500={server.errors_given} "
        f"accepted={len(server.accepted)} duplicates={len(server.requests) - total - 5}",
    )
    assert exit_codes == [0, 0]
    assert server.bad_signatures == 0
    assert server.errors_given == 5
    assert len(server.accepted) == total
    # Every request beyond the 500s was a first delivery: two workers never sent one twice.
    assert len(server.requests) == total + 5
    for stream, count in streams.items():
        assert server.order_in(stream) == list(range(1, count + 1)), stream
    assert OutboxMessage.objects.filter(response__isnull=True).count() == 0
    for name in ("w-a", "w-b"):
        log = worker_log(tmp_path, name)
        assert f"worker.started worker={name}" in log
        assert f"worker.stopped worker={name}" in log


def test_worker_killed_mid_delivery_is_delivered_once_in_effect(
    start_worker: Callable[..., subprocess.Popen[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    peer = make_peer(port)
    server = PeerServer(port)
    server.hang_first = True
    server.start()
    try:
        post_messages(peer, {"dossier:7": 3})
        # A short lease, so that the message of the killed worker is free again soon.
        short_lease = {"MOTCUA_OUTBOX_LEASE_SECONDS": "2"}
        killed = start_worker("w-killed", extra=short_lease)
        assert server.hanging.wait(90), worker_log(tmp_path, "w-killed")
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)
        server.release.set()

        first = OutboxMessage.objects.order_by("id").first()
        assert first is not None
        assert (first.state, first.attempts, first.claimed_by) == ("sending", 1, "w-killed")

        restarted = start_worker("w-restarted", extra=short_lease)
        wait_for(lambda: states() == {"delivered": 3}, "delivery after the restart")
        exit_code = stop(restarted)
    finally:
        server.stop()

    first.refresh_from_db()
    report_counts(
        capsys,
        f"worker SIGKILLed mid-delivery: messages=3 "
        f"requests={len(server.requests)} accepted={len(server.accepted)} "
        f"resent={len(server.requests) - len(server.accepted)} "
        f"first message attempts={first.attempts}",
    )
    assert exit_code == 0
    # The message in flight was sent again after its lease ran out; the peer saw it twice
    # under the same id and handled it once.
    assert server.requests.count(str(first.message_id)) == 2
    assert len(server.accepted) == 3
    assert server.order_in("dossier:7") == [1, 2, 3]
    assert (first.attempts, first.claimed_by) == (2, "w-restarted")
    assert first.response == {"received": 1}
    assert "outbox.lease_expired" in worker_log(tmp_path, "w-restarted")


def test_worker_runs_queued_tasks_then_stops_when_idle(
    start_worker: Callable[..., subprocess.Popen[str]], tmp_path: Path
) -> None:
    from django_tasks_db.models import DBTaskResult

    from motcua.core.models import AuditEntry
    from motcua.exchange.tests.tasks import note_peer

    peer = make_peer(free_port())
    results = [note_peer.enqueue(peer.code) for _ in range(3)]

    once = start_worker("w-once", "--once")
    code = once.wait(120)

    rows = DBTaskResult.objects.filter(id__in=[r.id for r in results])
    assert code == 0, worker_log(tmp_path, "w-once")
    assert (
        sorted((row.status, row.return_value) for row in rows)
        == [("SUCCESSFUL", "Hệ thống một cửa tỉnh bạn")] * 3
    )
    assert AuditEntry.objects.filter(action="test.task_ran", object_id=str(peer.pk)).count() == 3
    assert worker_log(tmp_path, "w-once").count("worker.task task=") == 3


def test_a_slow_peer_times_out_and_the_retry_is_answered_alike(
    start_worker: Callable[..., subprocess.Popen[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    peer = make_peer(port)
    server = PeerServer(port)
    server.slow_first = 3.0
    server.start()
    try:
        post_messages(peer, {"dossier:9": 2})
        worker = start_worker("w-slow", extra={"MOTCUA_PEER_TIMEOUT_SECONDS": "1"})
        wait_for(lambda: states() == {"delivered": 2}, "delivery after the timeout")
        exit_code = stop(worker)
    finally:
        server.stop()

    first = OutboxMessage.objects.order_by("id").first()
    assert first is not None
    report_counts(
        capsys,
        f"slow peer (3 s answer, 1 s timeout): messages=2 "
        f"requests={len(server.requests)} accepted={len(server.accepted)} "
        f"first message attempts={first.attempts}",
    )
    assert exit_code == 0
    assert server.requests.count(str(first.message_id)) == 2
    assert len(server.accepted) == 2
    assert server.order_in("dossier:9") == [1, 2]
    assert first.attempts == 2 and first.response == {"received": 1}
    assert "reason=timeout (ReadTimeout)" in worker_log(tmp_path, "w-slow")


def test_a_task_whose_worker_was_killed_runs_again(
    start_worker: Callable[..., subprocess.Popen[str]], tmp_path: Path
) -> None:
    from django_tasks_db.models import DBTaskResult

    from motcua.exchange.tests.tasks import wait_for_file

    go = tmp_path / "go"
    result = wait_for_file.enqueue(str(go))
    short_lease = {"MOTCUA_TASK_LEASE_SECONDS": "2"}

    killed = start_worker("w-task-killed", extra=short_lease)
    wait_for(lambda: Path(f"{go}.started").exists(), "the task to start")
    killed.send_signal(signal.SIGKILL)
    killed.wait(10)
    assert DBTaskResult.objects.get(id=result.id).status == "RUNNING"
    go.write_text("xong")

    rescuer = start_worker("w-task-rescuer", extra=short_lease)
    wait_for(
        lambda: DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL", "the task rerun"
    )
    assert stop(rescuer) == 0

    row = DBTaskResult.objects.get(id=result.id)
    assert (row.return_value, row.worker_ids) == ("xong", ["w-task-killed", "w-task-rescuer"])
    assert f"tasks.requeued task={result.id}" in worker_log(tmp_path, "w-task-rescuer")
