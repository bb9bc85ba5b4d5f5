"""The HTTP transport keeps its client for a whole outbox sweep: one TCP connection carries the
sweep's messages to a peer (a new client per message costs tens of milliseconds), and the
sweep closes it at its end."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction

from motcua.exchange import outbox, schedule
from motcua.exchange.models import OutboxState, Peer, PeerKind
from motcua.exchange.transport import HttpTransport


class KeepAliveInbox:
    """A peer answering ``{"ok": true}`` over HTTP/1.1 keep-alive; it notes each connection."""

    def __init__(self) -> None:
        self.connections: list[tuple[str, int]] = []
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                owner.connections.append(self.client_address)

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.requests += 1
                body = json.dumps({"ok": True}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inbox() -> Iterator[KeepAliveInbox]:
    server = KeepAliveInbox()
    yield server
    server.stop()


def test_one_connection_carries_several_messages(inbox: KeepAliveInbox) -> None:
    peer = Peer(code="tinh-52", base_url=inbox.url, secret="bi-mat")  # noqa: S106
    sender = HttpTransport(timeout=5)
    for number in range(3):
        assert sender.post(peer, "/api/x", {"n": number}, message_id=f"m-{number}") == {"ok": True}
    assert inbox.requests == 3
    assert len(inbox.connections) == 1
    sender.close()
    sender.post(peer, "/api/x", {"n": 4}, message_id="m-4")
    assert len(inbox.connections) == 2  # a closed transport makes a new client when used again
    sender.close()


def inbox_peer(inbox: KeepAliveInbox) -> Peer:
    return Peer.objects.create(
        code="tinh-52", name="Tỉnh bạn", kind=PeerKind.PROVINCE, base_url=inbox.url,
        secret="bi-mat",  # noqa: S106
    )  # fmt: skip


def ping(peer: Peer, number: int) -> None:
    outbox.post(
        peer=peer, kind="test.ping", payload={"n": number}, stream=f"s-{number}",
        dedupe_key=f"ping-{number}",
    )  # fmt: skip


@pytest.mark.django_db
def test_a_sweep_closes_the_client_it_made(
    inbox: KeepAliveInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer = inbox_peer(inbox)
    with transaction.atomic():
        for number in range(3):
            ping(peer, number)
    made: list[HttpTransport] = []

    def spy() -> HttpTransport:
        made.append(HttpTransport(timeout=5))
        return made[-1]

    monkeypatch.setattr(outbox, "default_transport", spy)
    counts = outbox.deliver_due(worker_id="w1")
    assert counts.delivered == 3
    assert peer.outbox.filter(state=OutboxState.DELIVERED).count() == 3
    assert len(made) == 1 and made[0]._own is None  # closed at the end of the sweep
    assert (inbox.requests, len(inbox.connections)) == (3, 1)


@pytest.mark.django_db
def test_the_worker_s_sweeps_share_one_client_and_its_connection(
    inbox: KeepAliveInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer = inbox_peer(inbox)
    monkeypatch.setattr(schedule, "_sweeps", threading.local())
    job = schedule.JOBS["exchange.outbox"]
    for number in range(3):
        with transaction.atomic():
            ping(peer, number)
        assert schedule.run_job(job, worker_id="w1").summary["delivered"] == 1

    assert (inbox.requests, len(inbox.connections)) == (3, 1)
    kept = schedule.sweep_transport()
    assert kept._own is not None  # still open for the next sweep
    kept.close()
