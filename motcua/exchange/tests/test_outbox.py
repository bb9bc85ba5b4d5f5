"""The outbox: written with the change, de-duplicated, ordered per stream, retried with backoff."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from motcua.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from motcua.core.models import AuditEntry
from motcua.exchange import outbox
from motcua.exchange.models import OutboxMessage, OutboxState, Peer, PeerKind
from motcua.exchange.transport import DeliveryError, InProcessTransport

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=VN)


class FlakyPeer:
    """An in-process peer that fails the first ``failures`` requests, then answers."""

    def __init__(self, failures: int = 0, permanent: bool = False) -> None:
        self.failures = failures
        self.permanent = permanent
        self.received: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, path: str, body: dict[str, Any], message_id: str) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("HTTP 500", permanent=self.permanent)
        self.received.append((message_id, body))
        return {"ok": True, "seq": body["payload"].get("seq")}


def _transport(peer: Peer, handler: FlakyPeer) -> InProcessTransport:
    transport = InProcessTransport()
    transport.route(peer.code, outbox.ENVELOPE_PATH, handler)
    return transport


def _post(peer: Peer, seq: int, stream: str = "dossier:1") -> OutboxMessage:
    with transaction.atomic():
        return outbox.post(
            peer=peer.code,
            kind="test.status",
            payload={"seq": seq},
            stream=stream,
            dedupe_key=f"{stream}:{seq}",
        )


def test_post_outside_a_transaction_is_refused(peer: Peer) -> None:
    # pytest-django wraps the test in a transaction: leave it to see the guard.
    connection = transaction.get_connection()
    connection.in_atomic_block, saved = False, connection.in_atomic_block
    try:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            outbox.post(peer=peer.code, kind="k", payload={}, stream="s", dedupe_key="d")
    finally:
        connection.in_atomic_block = saved


def test_message_is_rolled_back_with_the_change(peer: Peer) -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        _post(peer, 1)
        Peer.objects.filter(pk=peer.pk).update(name="changed")
        1 / 0  # noqa: B018 (the change fails after the message was written)

    assert OutboxMessage.objects.count() == 0
    assert Peer.objects.get(pk=peer.pk).name == "Hệ thống một cửa tỉnh bạn"


def test_same_dedupe_key_returns_the_first_message(peer: Peer) -> None:
    first = _post(peer, 1)
    with transaction.atomic():
        second = outbox.post(
            peer=peer.code, kind="other", payload={"x": 2}, stream="s", dedupe_key="dossier:1:1"
        )

    assert second.pk == first.pk
    assert second.payload == {"seq": 1}
    assert OutboxMessage.objects.count() == 1


def test_unknown_and_paused_peers_are_refused(peer: Peer) -> None:
    with pytest.raises(NotFound) as missing, transaction.atomic():
        outbox.post(peer="khong-co", kind="k", payload={}, stream="s", dedupe_key="a")
    peer.active = False
    peer.save()
    with pytest.raises(InvalidInput) as paused, transaction.atomic():
        outbox.post(peer=peer.code, kind="k", payload={}, stream="s", dedupe_key="b")

    assert missing.value.field == "peer"
    assert "khong-co" in missing.value.message
    assert paused.value.field == "peer"
    assert paused.value.message == "Hệ thống liên thông “tinh-binh-dinh” đang ngừng kết nối."


def test_delivery_follows_creation_order_within_a_stream(
    peer: Peer, fast_backoff: Any, set_now: Any
) -> None:
    set_now(T0)
    handler = FlakyPeer(failures=1)
    transport = _transport(peer, handler)
    first, second = _post(peer, 1), _post(peer, 2)
    other = _post(peer, 3, stream="dossier:2")

    counts = outbox.deliver_due(worker_id="w1", transport=transport)

    # The first message failed, so the second waits behind it; the other stream goes on.
    assert counts.as_dict() == {"delivered": 1, "failed": 1, "dead": 0}
    assert [seq for _id, body in handler.received for seq in [body["payload"]["seq"]]] == [3]
    assert OutboxMessage.objects.get(pk=second.pk).state == OutboxState.PENDING

    set_now(T0 + timedelta(seconds=1))
    outbox.deliver_due(worker_id="w1", transport=transport)

    assert [body["payload"]["seq"] for _id, body in handler.received] == [3, 1, 2]
    assert [m.state for m in OutboxMessage.objects.order_by("id")] == ["delivered"] * 3
    assert handler.received[1][0] == str(first.message_id)
    assert OutboxMessage.objects.get(pk=other.pk).response == {"ok": True, "seq": 3}


def test_a_dead_message_holds_back_its_stream_to_that_peer_only(
    peer: Peer, fast_backoff: Any
) -> None:
    portal = Peer.objects.create(
        code="cong-thu", name="Cổng thử", kind=PeerKind.PORTAL, base_url="http://127.0.0.1:9"
    )
    refusing, answering = FlakyPeer(failures=1, permanent=True), FlakyPeer()
    transport = _transport(peer, refusing)
    transport.route(portal.code, outbox.ENVELOPE_PATH, answering)
    dead, behind = _post(peer, 1), _post(peer, 2)
    to_portal = _post(portal, 3)  # same stream "dossier:1", another peer

    outbox.deliver_due(worker_id="w1", transport=transport)

    states = {m.pk: m.state for m in OutboxMessage.objects.all()}
    assert states == {dead.pk: "dead", behind.pk: "pending", to_portal.pk: "delivered"}
    assert [body["payload"]["seq"] for _id, body in answering.received] == [3]


def test_backoff_doubles_up_to_the_cap_then_dead(
    peer: Peer, fast_backoff: Any, set_now: Any
) -> None:
    transport = _transport(peer, FlakyPeer(failures=100))
    set_now(T0)
    message = _post(peer, 1)
    moment = T0
    waits = []
    for _attempt in range(4):
        set_now(moment)
        outbox.deliver_due(worker_id="w1", transport=transport)
        message.refresh_from_db()
        waits.append((message.state, (message.next_attempt_at - moment).total_seconds()))
        moment = message.next_attempt_at

    # Base 1 s, doubling: 1, 2, 4; the fourth attempt reaches MOTCUA_OUTBOX_MAX_ATTEMPTS = 4.
    assert waits[:3] == [("failed", 1.0), ("failed", 2.0), ("failed", 4.0)]
    assert waits[3][0] == "dead"
    assert message.attempts == 4
    assert message.last_error == "HTTP 500"
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5, 9)] == [1, 2, 4, 8, 8, 8]


def test_a_permanent_refusal_is_dead_at_once(peer: Peer, fast_backoff: Any) -> None:
    transport = _transport(peer, FlakyPeer(failures=1, permanent=True))
    message = _post(peer, 1)

    outbox.deliver_due(worker_id="w1", transport=transport)

    message.refresh_from_db()
    assert (message.state, message.attempts) == ("dead", 1)


def test_operator_retries_a_dead_message_and_it_unblocks_its_stream(
    peer: Peer, world: Any, fast_backoff: Any
) -> None:
    handler = FlakyPeer(failures=1, permanent=True)
    transport = _transport(peer, handler)
    dead, waiting = _post(peer, 1), _post(peer, 2)
    outbox.deliver_due(worker_id="w1", transport=transport)
    assert OutboxMessage.objects.get(pk=waiting.pk).state == OutboxState.PENDING

    with pytest.raises(Forbidden):
        outbox.retry_message(dead.pk, actor=world.pleiku.receiver)
    retried = outbox.retry_message(dead.pk, actor=world.admin)
    counts = outbox.deliver_due(worker_id="w1", transport=transport)

    assert (retried.state, retried.attempts) == ("pending", 0)
    assert counts.delivered == 2
    assert [body["payload"]["seq"] for _id, body in handler.received] == [1, 2]
    entry = AuditEntry.objects.get(action="exchange.outbox_retry")
    assert (entry.object_id, entry.actor_id) == (str(dead.pk), world.admin.pk)
    assert entry.data == {"state": "dead", "attempts": 1}
    with pytest.raises(InvalidTransition):
        outbox.retry_message(dead.pk, actor=world.admin)


def test_an_expired_lease_is_taken_over(peer: Peer, set_now: Any, settings: Any) -> None:
    settings.MOTCUA_OUTBOX_LEASE_SECONDS = 30
    set_now(T0)
    message = _post(peer, 1)
    claimed = outbox.claim_next(worker_id="killed-worker")
    assert claimed is not None and claimed.state == OutboxState.SENDING

    set_now(T0 + timedelta(seconds=29))
    assert outbox.claim_next(worker_id="w2") is None
    set_now(T0 + timedelta(seconds=31))
    again = outbox.claim_next(worker_id="w2")

    assert again is not None and again.pk == message.pk
    assert (again.attempts, again.claimed_by) == (2, "w2")


def test_after_the_clock_moved_back_waiting_and_leased_messages_are_due_at_once(
    peer: Peer, set_now: Any, settings: Any
) -> None:
    # Planned by the real date, then a drill anchors the clock 250 days earlier: a retry wait
    # and a lease cut short lie months ahead of the new time, beyond any backoff or lease.
    settings.MOTCUA_OUTBOX_LEASE_SECONDS = 30
    set_now(T0)
    waiting, leased = _post(peer, 1, "dossier:1"), _post(peer, 1, "dossier:2")
    OutboxMessage.objects.filter(pk=waiting.pk).update(
        state=OutboxState.FAILED, attempts=1, next_attempt_at=T0 + outbox.backoff(1)
    )
    assert [m.pk for m in outbox.claim_batch(worker_id="killed", limit=5)] == [leased.pk]
    set_now(T0 + outbox.backoff(1) - timedelta(seconds=1))
    assert outbox.claim_next(worker_id="w2") is None  # on the same clock both still wait

    set_now(T0 - timedelta(days=250))
    claimed = outbox.claim_batch(worker_id="drill", limit=5)

    assert sorted(m.pk for m in claimed) == sorted([waiting.pk, leased.pk])
    assert {m.claimed_by for m in claimed} == {"drill"}


def test_a_lease_or_wait_planned_a_moment_later_is_not_taken_for_a_moved_clock(
    peer: Peer, set_now: Any, settings: Any
) -> None:
    # Worker A reads its clock a little after worker B read its own, claims and fails: B's
    # query, run after A's commit, must see A's full lease and longest wait as not yet due.
    settings.MOTCUA_OUTBOX_LEASE_SECONDS = 30
    capped = outbox.backoff(60)
    assert capped == timedelta(seconds=settings.MOTCUA_OUTBOX_BACKOFF_CAP_SECONDS)
    leased, waiting = _post(peer, 1, "dossier:1"), _post(peer, 1, "dossier:2")
    OutboxMessage.objects.filter(pk=waiting.pk).update(
        state=OutboxState.FAILED, attempts=60, next_attempt_at=T0 + timedelta(seconds=2) + capped
    )
    assert [
        m.pk for m in outbox.claim_batch(worker_id="a", now=T0 + timedelta(seconds=2), limit=5)
    ] == [leased.pk]

    assert outbox.claim_batch(worker_id="b", now=T0, limit=5) == []
    assert list(outbox.due_messages(T0)) == []


def test_messages_to_a_paused_peer_wait(peer: Peer) -> None:
    handler = FlakyPeer()
    _post(peer, 1)
    Peer.objects.filter(pk=peer.pk).update(active=False)

    assert outbox.deliver_due(worker_id="w1", transport=_transport(peer, handler)).attempted == 0
    Peer.objects.filter(pk=peer.pk).update(active=True)
    assert outbox.deliver_due(worker_id="w1", transport=_transport(peer, handler)).delivered == 1


# --- batches ------------------------------------------------------------------------------------


def test_a_sweep_claims_and_records_a_batch_in_two_transactions(peer: Peer) -> None:
    handler = FlakyPeer()
    for seq in range(1, 6):
        _post(peer, seq, stream=f"dossier:{seq}")

    with CaptureQueriesContext(connection) as queries:
        counts = outbox.deliver_due(worker_id="w1", transport=_transport(peer, handler))

    assert counts.as_dict() == {"delivered": 5, "failed": 0, "dead": 0}
    assert [body["payload"]["seq"] for _id, body in handler.received] == [1, 2, 3, 4, 5]
    # Inside the test's transaction each atomic block is a savepoint: one to claim the five,
    # one to record them (one at a time, it was ten).
    savepoints = [q for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 2
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {
        (OutboxState.DELIVERED, 1)
    }


def test_an_unreachable_peer_is_asked_once_per_batch(peer: Peer, set_now: Any) -> None:
    set_now(T0)
    asked: list[str] = []

    def refused(path: str, body: dict[str, Any], message_id: str) -> dict[str, Any]:
        asked.append(message_id)
        raise DeliveryError("network (ConnectError)", unreachable=True)

    transport = InProcessTransport()
    transport.route(peer.code, outbox.ENVELOPE_PATH, refused)
    first, *others = [_post(peer, seq, stream=f"dossier:{seq}") for seq in range(1, 4)]

    counts = outbox.deliver_due(worker_id="w1", transport=transport)

    assert counts.as_dict() == {"delivered": 0, "failed": 1, "dead": 0}
    assert asked == [str(first.message_id)]
    failed = OutboxMessage.objects.get(pk=first.pk)
    assert (failed.state, failed.attempts) == (OutboxState.FAILED, 1)
    assert failed.next_attempt_at == T0 + outbox.backoff(1)
    # The others were not tried: no attempt counted, back in the queue after the same wait.
    for message in OutboxMessage.objects.filter(pk__in=[m.pk for m in others]):
        assert (message.state, message.attempts, message.lease_until) == ("pending", 0, None)
        assert message.next_attempt_at == T0 + outbox.backoff(1)


def test_a_batch_stops_sending_at_half_its_lease_and_the_rest_go_in_the_next(
    peer: Peer, set_now: Any, settings: Any
) -> None:
    settings.MOTCUA_OUTBOX_LEASE_SECONDS = 60
    set_now(T0)
    received: list[int] = []

    def slow(path: str, body: dict[str, Any], message_id: str) -> dict[str, Any]:
        received.append(body["payload"]["seq"])
        set_now(T0 + timedelta(seconds=31 * len(received)))  # each answer takes 31 s
        return {"ok": True}

    transport = InProcessTransport()
    transport.route(peer.code, outbox.ENVELOPE_PATH, slow)
    for seq in range(1, 4):
        _post(peer, seq, stream=f"dossier:{seq}")

    counts = outbox.deliver_due(worker_id="w1", transport=transport)

    # Each batch sent one message before half its lease (30 s) had gone: three batches.
    assert counts.as_dict() == {"delivered": 3, "failed": 0, "dead": 0}
    assert received == [1, 2, 3]
    assert list(OutboxMessage.objects.values_list("attempts", flat=True)) == [1, 1, 1]
