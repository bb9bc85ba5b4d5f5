"""Helpers of the tests that start real processes: ports, the test database's URL, waiting, and
a small peer on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from django.db import connection

from motcua.exchange.transport import (
    MESSAGE_ID_HEADER,
    PEER_HEADER,
    SIGNATURE_HEADER,
    signature_matches,
)

MOTCUA = Path(sys.executable).with_name("motcua")
GUNICORN = Path(sys.executable).with_name("gunicorn")
SECRET = "bi-mat-dung-chung-cua-tinh-ban"  # noqa: S105 (test secret)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = quote(str(settings["USER"]), safe="")
    password = quote(str(settings["PASSWORD"]), safe="")
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{settings['NAME']}"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class PeerServer:
    """A neighbouring installation's inbox: verifies, de-duplicates, logs what it saw."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.requests: list[str] = []  # message ids, every request that reached us
        self.accepted: list[tuple[str, int, str]] = []  # (message id, seq, stream), first time
        self.replies: dict[str, dict[str, Any]] = {}
        self.errors_to_give = 0
        self.errors_given = 0
        self.bad_signatures = 0
        self.hang_first = False
        self.slow_first = 0.0  # seconds the first answer takes, after the message is taken
        self.hanging = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, reply = owner.handle(self.headers, raw)
                body = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the worker was killed while we held its request

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def handle(self, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        message_id = headers.get(MESSAGE_ID_HEADER, "")
        if headers.get(PEER_HEADER) != "tinh-52" or not signature_matches(
            SECRET, message_id, raw, headers.get(SIGNATURE_HEADER, "")
        ):
            self.bad_signatures += 1
            return 401, {"code": "peer_unauthenticated"}
        with self.lock:
            self.requests.append(message_id)
            first_hang = self.hang_first and len(self.requests) == 1
            if not first_hang and self.errors_to_give:
                self.errors_to_give -= 1
                self.errors_given += 1
                return 500, {"code": "server_error"}
        if first_hang:
            self.hanging.set()
            self.release.wait(30)
        with self.lock:
            if message_id not in self.replies:
                envelope = json.loads(raw)
                seq = envelope["payload"]["seq"]
                self.accepted.append((message_id, seq, envelope["stream"]))
                self.replies[message_id] = {"received": seq}
            reply, slow = self.replies[message_id], self.slow_first and len(self.requests) == 1
        if slow:
            time.sleep(self.slow_first)
        return 200, reply

    def order_in(self, stream: str) -> list[int]:
        return [seq for _id, seq, s in self.accepted if s == stream]


def report_counts(capsys: pytest.CaptureFixture[str], text: str) -> None:
    """Show the fault tests' counts in the test output, also under pytest-xdist (whose workers'
    captured output never reaches the terminal): there they go to the inherited stderr."""
    line = f"\n[exchange] {text}\n"
    with capsys.disabled():
        if os.environ.get("PYTEST_XDIST_WORKER"):
            os.write(2, line.encode())
        else:
            sys.stdout.write(line)


class Installation:
    """One motcua: its database, data folder, port and the processes started for it."""

    def __init__(self, code: str, database: str, folder: Path) -> None:
        self.code = code
        self.port = free_port()
        self.folder = folder
        folder.mkdir(exist_ok=True)
        self.environment = dict(
            os.environ,
            DATABASE_URL=database,
            MOTCUA_DATA_DIR=str(folder),
            MOTCUA_EXCHANGE_CODE=code,
            MOTCUA_PUBLIC_URL=self.url,
            MOTCUA_WORKER_INTERVAL_SECONDS="0.1",
            MOTCUA_OUTBOX_BACKOFF_SECONDS="0.2",
            MOTCUA_OUTBOX_BACKOFF_CAP_SECONDS="0.5",
            MOTCUA_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            DJANGO_SETTINGS_MODULE="motcua.settings",
        )
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 (our own console script)
            [str(MOTCUA), *args], env=self.environment, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, name: str, command: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(command, env=self.environment, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        )

    def serve(self) -> None:
        self.start(
            "gunicorn",
            [
                str(GUNICORN),
                "motcua.wsgi:application",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                "1",
                "--no-control-socket",
            ],  # fmt: skip
        )

    def outbox_states(self) -> list[str]:
        """Read straight from the neighbour's SQLite file (read-only)."""
        path = self.environment["DATABASE_URL"].removeprefix("sqlite:///")
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return [row[0] for row in db.execute("SELECT state FROM exchange_outboxmessage")]

    def ready(self) -> bool:
        try:
            # The envelope endpoint answers a bare request at once (401), unlike the OpenAPI
            # document, which a loaded machine may take seconds to build.
            return httpx.post(f"{self.url}/api/lien-thong/tin-nhan", timeout=10).status_code == 401
        except httpx.HTTPError:
            return False

    def stop(self) -> list[int | None]:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = []
        for process in self.processes:
            try:
                codes.append(process.wait(15))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(None)
        return codes
