"""A throw-away motcua for one drill, running what production runs: its own data folder (so its
own SQLite database, unless ``database_url`` points elsewhere), the units, catalog and demo
staff, signing keys (``motcua pki init``: receipts and results are signed as in production),
API keys for every officer, gunicorn serving it on a free port of 127.0.0.1 in drill
mode, the background worker (``motcua worker``: outbox, periodic jobs, on the drill's clock),
the national portal's stand-in (that of ``motcua portal-sim``, started as
``python -m motcua.drill.portal`` to come back quickly after ``portal_down``) on a port of its
own, which motcua synchronises statuses to (through the drill's proxy, ``proxy.DelayProxy``,
when the scenario has a ``slow_peer`` fault), and the payment gateway (the built-in sandbox)
served by a gunicorn of its own, as a bank is another server: motcua's status queries to the
gateway and the gateway's notifications to motcua never wait for a thread of the server they
come from.

The faults act on these processes: ``portal_down`` stops the stand-in and starts it again,
``slow_peer`` slows the proxy, ``worker_killed`` kills the background worker (and one web
worker) with SIGKILL, and a new background worker starts at once, as systemd would.

Each process logs to its own file in the data folder (``server.log``, ``worker.log``,
``portal.log``, ``gateway.log``); ``stop(logs_to=...)`` copies them out. Drill data never
mixes with real data: the instance and its database are removed at the end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
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

from motcua.drill.proxy import DelayProxy

logger = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
# The background worker looks for work this often when idle (real seconds).
WORKER_INTERVAL_SECONDS = 0.2
LOG_NAMES = ("server.log", "worker.log", "portal.log", "gateway.log")
# The payment gateway's own server: its requests are short and never wait for motcua.
GATEWAY_THREADS = 8


def free_port() -> int:
    """A free TCP port on 127.0.0.1, picked by the kernel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def motcua_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "motcua.cli", *args]


def gunicorn_command(port: int, workers: int, threads: int) -> list[str]:
    """motcua under gunicorn on 127.0.0.1:``port`` (gthread workers), as in production."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "motcua.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        # Longer than the clients keep an idle connection: a connection the server has just
        # closed is otherwise reused and fails ("disconnected").
        "--keep-alive",
        "30",
        # The control socket has one default path per user: drills side by side would share it.
        "--no-control-socket",
    ]


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
        slow_peer: bool = True,
    ) -> None:
        self.workers = workers
        # The proxy exists for the ``slow_peer`` fault only: its threads share the drill
        # runner's process, and every status message would otherwise pass through them.
        self.slow_peer = slow_peer
        self.threads = threads
        self.database_url = database_url
        self.extra_env = extra_env or {}
        self.keep = keep
        self.port = 0
        self.data_dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.gateway: subprocess.Popen[bytes] | None = None
        self.gateway_port = 0
        self.tokens: dict[str, Any] = {}
        self.log_path: Path | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_starts = 0
        self.portal: subprocess.Popen[bytes] | None = None
        self.portal_port = 0
        self.portal_secret = secrets.token_hex(16)
        self.proxy: DelayProxy | None = None
        # What the stand-in held each time it was stopped (its memory is its process).
        self.portal_memories: list[dict[str, Any]] = []
        # CPU seconds of processes ended during the run (a killed worker, a stopped stand-in).
        self._cpu_ended: dict[str, float] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def peer_port(self) -> int:
        """Where motcua sends the portal's status messages: the proxy, or the stand-in."""
        return self.proxy.port if self.proxy is not None else self.portal_port

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def env(self) -> dict[str, str]:
        assert self.data_dir is not None  # noqa: S101
        env = dict(os.environ)
        env.update(
            {
                "MOTCUA_DATA_DIR": str(self.data_dir),
                "MOTCUA_DRILL": "1",
                "MOTCUA_DEMO": "1",
                "MOTCUA_PUBLIC_URL": self.url,
                # Every process logs its events (one line each, ids only): an operator reading a
                # drill's logs sees what the server did, not only what went wrong.
                "MOTCUA_LOG_LEVEL": "INFO",
                # Many citizens from one address: the public rate limits would refuse them.
                "MOTCUA_RATE_LIMITS": "off",
                "DJANGO_SETTINGS_MODULE": "motcua.settings",
                # Statuses go to the portal's stand-in, through the drill's proxy if any.
                "MOTCUA_DVCQG_URL": f"http://127.0.0.1:{self.peer_port}",
                "MOTCUA_DVCQG_SECRET": self.portal_secret,
                # Payers and status queries go to the gateway's own server.
                "MOTCUA_PAYMENT_GATEWAY_URL": f"{self.gateway_url}/sandbox-gateway/pay",
                "MOTCUA_PAYMENT_QUERY_URL": f"{self.gateway_url}/sandbox-gateway/query",
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
        self.gateway_port = free_port()
        self.portal_port = free_port()
        if self.slow_peer:
            self.proxy = DelayProxy(self.portal_port)
            self.proxy.start()
        env = self.env()
        tokens_file = self.data_dir / "tokens.json"
        for step in (
            motcua_command("migrate", "--noinput", "-v", "0"),
            motcua_command("setup", "--demo"),
            # Signing keys of its own: receipts and results are signed, as in production.
            motcua_command("pki", "init"),
            motcua_command("drill", "tokens", "--out", str(tokens_file)),
        ):
            subprocess.run(step, env=env, check=True, capture_output=True)  # noqa: S603
        self.tokens = json.loads(tokens_file.read_text(encoding="utf-8"))
        self.log_path = self.data_dir / "server.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                gunicorn_command(self.port, self.workers, self.threads),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        with self._log("gateway.log") as log:
            self.gateway = subprocess.Popen(  # noqa: S603
                gunicorn_command(self.gateway_port, 1, GATEWAY_THREADS),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()
        self.start_portal()
        self.start_worker()
        logger.info(
            "drill.server_started port=%s workers=%s gateway=%s portal=%s proxy=%s",
            self.port,
            self.workers,
            self.gateway_port,
            self.portal_port,
            self.proxy.port if self.proxy else "-",
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        waiting = [
            (self.process, self.url, "server.log"),
            (self.gateway, self.gateway_url, "gateway.log"),
        ]
        while waiting and time.monotonic() < deadline:
            process, url, log_name = waiting[0]
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.data_dir}/{log_name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/centers", timeout=2).status_code == 200:
                    waiting.pop(0)
                    continue
            time.sleep(0.2)
        if waiting:
            url = waiting[0][1]
            raise RuntimeError(f"motcua did not answer on {url} within {READY_TIMEOUT_SECONDS} s")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by each part of the server (``web``: gunicorn's master and
        workers, ``worker``, ``gateway``, ``portal``), those of processes ended during the run
        included: a capacity figure that the speed of the machine's other work does not move."""
        used = dict(self._cpu_ended)
        for role, process in (
            ("web", self.process),
            ("worker", self.worker),
            ("gateway", self.gateway),
            ("portal", self.portal),
        ):
            if process is not None and process.poll() is None:
                used[role] = used.get(role, 0.0) + process_tree_cpu_seconds(process.pid)
        return {role: round(seconds, 2) for role, seconds in sorted(used.items())}

    def _count_ended(self, role: str, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            seconds = process_tree_cpu_seconds(process.pid)
            self._cpu_ended[role] = self._cpu_ended.get(role, 0.0) + seconds

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

    def kill_web_worker(self) -> int | None:
        """SIGKILL one gunicorn worker, as a crash would; the master starts a new one."""
        pids = self.worker_pids()
        if not pids:
            return None
        os.kill(pids[0], signal.SIGKILL)
        logger.info("drill.web_worker_killed pid=%s", pids[0])
        return pids[0]

    # --- the background worker ----------------------------------------------------------------

    def _log(self, name: str) -> Any:
        assert self.data_dir is not None  # noqa: S101
        return (self.data_dir / name).open("ab")

    def start_worker(self) -> int:
        """Start ``motcua worker`` (the outbox, the periodic jobs); its pid."""
        with self._log("worker.log") as log:
            self.worker = subprocess.Popen(  # noqa: S603
                motcua_command("worker", "--interval", str(WORKER_INTERVAL_SECONDS)),
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.worker_starts += 1
        logger.info("drill.worker_started pid=%s", self.worker.pid)
        return self.worker.pid

    def kill_task_worker(self) -> tuple[int | None, int]:
        """SIGKILL the background worker mid-run and start a new one at once (as systemd's
        ``Restart=always`` would): (killed pid, new pid). What it had claimed is taken up
        again when the claim's lease runs out."""
        killed = None
        if self.worker is not None and self.worker.poll() is None:
            killed = self.worker.pid
            self._count_ended("worker", self.worker)
            self.worker.send_signal(signal.SIGKILL)
            self.worker.wait()
            logger.info("drill.task_worker_killed pid=%s", killed)
        return killed, self.start_worker()

    # --- the national portal's stand-in ---------------------------------------------------------

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.portal_port}"

    def start_portal(self) -> int:
        """Start the stand-in (``motcua portal-sim``'s, see ``drill.portal``) on its port and
        wait until it answers; its pid."""
        with self._log("portal.log") as log:
            self.portal = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "motcua.drill.portal",
                    "--port",
                    str(self.portal_port),
                    "--target",
                    self.url,
                    "--secret",
                    self.portal_secret,
                ],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.portal.poll() is not None:
                raise RuntimeError(f"portal-sim exited: see {self.data_dir}/portal.log")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.portal_url}/healthz", timeout=2).status_code == 200:
                    logger.info("drill.portal_started pid=%s", self.portal.pid)
                    return self.portal.pid
            time.sleep(0.1)
        raise RuntimeError(f"portal-sim did not answer on {self.portal_url}")

    def stop_portal(self) -> int | None:
        """Stop the stand-in (its port closes); what it held is kept first. Its pid."""
        process, self.portal = self.portal, None
        if process is None or process.poll() is not None:
            return None
        with contextlib.suppress(httpx.HTTPError, ValueError):
            self.portal_memories.append(
                httpx.get(f"{self.portal_url}/api/statuses", timeout=10).json()
            )
        self._count_ended("portal", process)
        _end(process)
        logger.info("drill.portal_stopped pid=%s", process.pid)
        return process.pid

    def portal_statuses(self) -> dict[str, Any]:
        """What the stand-in received over the whole run: the snapshots kept at each stop and
        the running one, merged (per dossier the highest sequence, every update received)."""
        snapshots = list(self.portal_memories)
        if self.portal is not None and self.portal.poll() is None:
            snapshots.append(httpx.get(f"{self.portal_url}/api/statuses", timeout=30).json())
        return merge_portal_snapshots(snapshots)

    def set_peer_delay(self, seconds: float) -> None:
        """Hold each answer of the portal back ``seconds`` (0: answer at once)."""
        if self.proxy is not None:
            self.proxy.delay = max(0.0, seconds)
        logger.info("drill.peer_delay seconds=%s", seconds)

    # --- the end --------------------------------------------------------------------------------

    def stop(self, *, logs_to: Path | None = None) -> None:
        for process in (self.worker, self.process, self.gateway, self.portal):
            if process is not None:
                _end(process)
        self.worker = self.process = self.gateway = self.portal = None
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self.data_dir is not None and logs_to is not None:
            logs_to.mkdir(parents=True, exist_ok=True)
            for name in LOG_NAMES:
                with contextlib.suppress(OSError):
                    shutil.copyfile(self.data_dir / name, logs_to / name)
        if self.data_dir is not None and not self.keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> DrillServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def process_tree_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid``, of its children already waited for
    (a gunicorn worker killed and replaced) and of its living children, from /proc."""
    ticks = 0
    pids = [pid]
    with contextlib.suppress(OSError, ValueError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for index, each in enumerate(pids):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            # utime, stime; for the process itself also cutime, cstime (children waited for).
            ticks += sum(int(f) for f in fields[11 : 15 if index == 0 else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def _end(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after ``STOP_TIMEOUT_SECONDS``."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def merge_portal_snapshots(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    """One view of several snapshots of the stand-in (``GET /api/statuses``), oldest first."""
    counts: dict[str, int] = {}
    dossiers: dict[str, dict[str, Any]] = {}
    for snapshot in snapshots:
        for key, value in snapshot.get("counts", {}).items():
            counts[key] = counts.get(key, 0) + int(value)
        for code, item in snapshot.get("dossiers", {}).items():
            held = dossiers.get(code)
            if held is None:
                dossiers[code] = dict(item, history=list(item.get("history", [])))
                continue
            history = held["history"] + list(item.get("history", []))
            if int(item["sequence"]) > int(held["sequence"]):
                held = dossiers[code] = dict(item)
            held["history"] = history
    return {"counts": counts, "dossiers": dossiers, "snapshots": len(snapshots)}
