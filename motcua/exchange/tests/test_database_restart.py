"""``motcua worker`` rides out a PostgreSQL restart: nothing is lost, delivery resumes.

The test runs its own throw-away PostgreSQL cluster (scripts/pg-throwaway.sh), so that stopping
the database disturbs no other test; it runs once per ``make test``, in the SQLite pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from motcua.exchange.tests.processes import (
    MOTCUA,
    SECRET,
    PeerServer,
    free_port,
    report_counts,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[3]
THROWAWAY = ROOT / "scripts" / "pg-throwaway.sh"


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


pytestmark = [
    pytest.mark.skipif(_pg_bin() is None, reason="PostgreSQL binaries are not installed"),
]


class Cluster:
    def __init__(self) -> None:
        out = subprocess.run(  # noqa: S603 (the repository's own script)
            [str(THROWAWAY), "start"], capture_output=True, text=True, check=True, timeout=120
        )
        self.url = out.stdout.strip()  # postgres://postgres@127.0.0.1:PORT/motcua
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])
        self.folder = Path(f"/tmp/motcua-pg-{self.port}")  # noqa: S108 (the script's folder)
        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
            db.execute("CREATE DATABASE motcua")

    def pg_ctl(self, *args: str) -> None:
        bin_dir = _pg_bin()
        assert bin_dir is not None
        command = [str(bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-w", *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603

    def stop_server(self) -> None:
        self.pg_ctl("-m", "fast", "stop")

    def start_server(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self.pg_ctl("-l", str(self.folder / "log"), "-o", options, "start")

    def remove(self) -> None:
        subprocess.run(  # noqa: S603 (the repository's own script)
            [str(THROWAWAY), "stop", str(self.port)], capture_output=True, timeout=60
        )


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if connection.vendor == "postgresql":
        pytest.skip("runs once per make test, in the SQLite pass")
    started = Cluster()
    try:
        yield started
    finally:
        started.remove()


def test_worker_rides_out_a_database_restart(
    cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = dict(
        os.environ,
        DATABASE_URL=cluster.url,
        MOTCUA_DATA_DIR=str(tmp_path),
        MOTCUA_EXCHANGE_CODE="tinh-52",
        MOTCUA_WORKER_INTERVAL_SECONDS="0.1",
        MOTCUA_OUTBOX_BACKOFF_SECONDS="0.2",
        MOTCUA_OUTBOX_BACKOFF_CAP_SECONDS="0.5",
        MOTCUA_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )

    def motcua(*args: str) -> None:
        subprocess.run(  # noqa: S603 (our own console script)
            [str(MOTCUA), *args], env=env, check=True, capture_output=True, timeout=120
        )

    port = free_port()
    server = PeerServer(port)
    server.start()
    log_path = tmp_path / "worker.log"
    motcua("migrate", "--noinput", "-v", "0", "--skip-checks")
    motcua(
        "peer", "add", "tinh-binh-dinh", "--name", "Tỉnh bạn", "--kind", "province",
        "--url", f"http://127.0.0.1:{port}", "--secret", SECRET,
    )  # fmt: skip
    motcua("peer", "ping", "tinh-binh-dinh")
    worker = subprocess.Popen(  # noqa: S603 (our own console script)
        [str(MOTCUA), "worker", "--worker-id", "w-db"],
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: len(server.accepted) == 1, "the first ping")
        cluster.stop_server()
        wait_for(lambda: "worker.step_failed" in log_path.read_text(), "the worker to notice")
        cluster.start_server()
        motcua("peer", "ping", "tinh-binh-dinh")
        wait_for(lambda: len(server.accepted) == 2, "the ping posted after the restart")
        worker.send_signal(signal.SIGTERM)
        exit_code = worker.wait(15)
    finally:
        if worker.poll() is None:
            worker.kill()
        server.stop()

    log = log_path.read_text()
    report_counts(
        capsys,
        f"database restarted under the worker: "
        f"failed steps={log.count('worker.step_failed')} delivered={len(server.accepted)} "
        f"requests={len(server.requests)}",
    )
    assert exit_code == 0
    assert len(server.requests) == 2
    assert "worker.stopped worker=w-db" in log
