"""The drill's slow network: a TCP proxy on 127.0.0.1 between motcua and a peer.

Bytes pass unchanged both ways. While ``delay`` is above zero, each answer of the peer is held
back that many seconds before its first byte goes on (the ``slow_peer`` fault). When the peer
is not listening (the ``portal_down`` fault), the proxy closes the caller's connection at once,
as a refused connection would end it.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
CONNECT_TIMEOUT_SECONDS = 5.0


class DelayProxy:
    """Listen on a free port of 127.0.0.1 (``port``) and forward to ``upstream_port``."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.delay = 0.0
        self.port = 0
        self.connections = 0
        self.refused = 0
        self.delayed_answers = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        self._listener = listener
        self.port = listener.getsockname()[1]
        threading.Thread(target=self._accept, name="drill-proxy", daemon=True).start()
        logger.info("drill.proxy_started port=%s upstream=%s", self.port, self.upstream_port)

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.close()
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _close(sock)

    def _accept(self) -> None:
        while self._listener is not None:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(
                ("127.0.0.1", self.upstream_port), timeout=CONNECT_TIMEOUT_SECONDS
            )
        except OSError:
            with self._lock:
                self.refused += 1
            _close(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self.connections += 1
            self._open.update((client, upstream))
        asked = threading.Event()  # a request went up whose answer has not come back yet
        threading.Thread(
            target=self._pump, args=(client, upstream, asked, False), daemon=True
        ).start()
        self._pump(upstream, client, asked, True)

    def _pump(
        self, source: socket.socket, sink: socket.socket, asked: threading.Event, answers: bool
    ) -> None:
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                if not answers:
                    asked.set()
                elif asked.is_set():
                    asked.clear()
                    delay = self.delay
                    if delay > 0:
                        with self._lock:
                            self.delayed_answers += 1
                        time.sleep(delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            # One side is done: so is the conversation.
            for sock in (source, sink):
                _close(sock)
                with self._lock:
                    self._open.discard(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
