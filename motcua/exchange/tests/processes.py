"""Helpers of the tests that start real processes: ports, the test database's URL, waiting, and
a small peer on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

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
