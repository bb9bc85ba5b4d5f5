"""A throw-away motcua for one drill: its own data folder (so its own SQLite database, unless
``database_url`` points elsewhere), the units, catalog and demo staff, API keys for every
officer, and gunicorn serving it on a free port of 127.0.0.1 in drill mode.

Drill data never mixes with real data: the instance and its database are removed at the end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

logger = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    """A free TCP port on 127.0.0.1, picked by the kernel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def motcua_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "motcua.cli", *args]


class DrillServer:
    """Start with ``start()``, read ``url`` and ``tokens``, end with ``stop()``."""

    def __init__(
        self,
        *,
        workers: int = 2,
        threads: int = 8,
        database_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        keep: bool = False,
    ) -> None:
        self.workers = workers
        self.threads = threads
        self.database_url = database_url
        self.extra_env = extra_env or {}
        self.keep = keep
        self.port = 0
        self.data_dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.tokens: dict[str, Any] = {}
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        assert self.data_dir is not None  # noqa: S101
        env = dict(os.environ)
        env.update(
            {
                "MOTCUA_DATA_DIR": str(self.data_dir),
                "MOTCUA_DRILL": "1",
                "MOTCUA_DEMO": "1",
                "MOTCUA_PUBLIC_URL": self.url,
                "MOTCUA_LOG_LEVEL": "WARNING",
                # Many citizens from one address: the public rate limits would refuse them.
                "MOTCUA_RATE_LIMITS": "off",
                "DJANGO_SETTINGS_MODULE": "motcua.settings",
            }
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        else:
            env.pop("DATABASE_URL", None)
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="motcua-drill-"))
        self.port = free_port()
        env = self.env()
        tokens_file = self.data_dir / "tokens.json"
        for step in (
            motcua_command("migrate", "--noinput", "-v", "0"),
            motcua_command("setup", "--demo"),
            motcua_command("drill", "tokens", "--out", str(tokens_file)),
        ):
            subprocess.run(step, env=env, check=True, capture_output=True)  # noqa: S603
        self.tokens = json.loads(tokens_file.read_text(encoding="utf-8"))
        self.log_path = self.data_dir / "server.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "motcua.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--worker-class",
                    "gthread",
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "5",
                    # Longer than the clients keep an idle connection: a connection the server
                    # has just closed is otherwise reused and fails ("disconnected").
                    "--keep-alive",
                    "30",
                    # The control socket has one default path per user: drills side by side
                    # would share it.
                    "--no-control-socket",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()
        logger.info("drill.server_started port=%s workers=%s", self.port, self.workers)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/centers", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"motcua did not answer on {self.url} within {READY_TIMEOUT_SECONDS} s")

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master process)."""
        if self.process is None:
            return []
        master = self.process.pid
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent pid is the second field after the parenthesised command name.
            fields = stat.rsplit(")", 1)[-1].split()
            if len(fields) > 1 and int(fields[1]) == master:
                pids.append(int(entry.name))
        return sorted(pids)

    def kill_worker(self) -> int | None:
        """SIGKILL one worker, as a crash would; the master starts a new one."""
        pids = self.worker_pids()
        if not pids:
            return None
        os.kill(pids[0], signal.SIGKILL)
        logger.info("drill.worker_killed pid=%s", pids[0])
        return pids[0]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.data_dir is not None and not self.keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> DrillServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
