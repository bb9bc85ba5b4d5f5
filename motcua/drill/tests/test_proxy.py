"""The drill's slow network: bytes pass unchanged, answers are held back while a delay is set,
and a peer that is down ends the caller's connection at once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from motcua.drill.proxy import DelayProxy
from motcua.drill.server import free_port


class Upstream:
    """A peer on 127.0.0.1 that answers each message with its bytes reversed."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data[::-1])

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.close()


def ask(port: int, payload: bytes) -> tuple[bytes, float]:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(payload)
        answer = b""
        while len(answer) < len(payload):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer, time.monotonic() - started


def test_bytes_pass_and_answers_wait_while_slow(upstream: Upstream) -> None:
    proxy = DelayProxy(upstream.port)
    proxy.start()
    try:
        payload = bytes(range(256)) * 40  # more than one segment of the loopback
        answer, quick = ask(proxy.port, payload)
        assert answer == payload[::-1]
        proxy.delay = 0.6
        answer, slow = ask(proxy.port, b"cham")
        assert answer == b"mahc"
        assert slow >= 0.6 > quick
        assert proxy.delayed_answers == 1
        proxy.delay = 0
        assert ask(proxy.port, b"lai")[0] == b"ial"
        assert (proxy.connections, proxy.refused) == (3, 0)
    finally:
        proxy.stop()


def test_a_peer_that_is_down_closes_the_connection() -> None:
    proxy = DelayProxy(free_port())  # nobody listens there
    proxy.start()
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as conn:
            conn.sendall(b"POST / HTTP/1.1\r\n\r\n")
            try:
                answer = conn.recv(1024)
            except ConnectionResetError:
                answer = b""
        assert answer == b""
        assert (proxy.refused, proxy.connections) == (1, 0)
    finally:
        proxy.stop()
