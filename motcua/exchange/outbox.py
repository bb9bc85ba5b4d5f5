"""The outbox: every outbound message is written with the change that caused it, then delivered.

Contract (other apps and connectors build on it; keep it stable):

``post(*, peer, kind, payload, stream, dedupe_key) -> OutboxMessage``
    Writes the message in the CALLER's transaction (raises ``RuntimeError`` outside an atomic
    block), so it exists if and only if the change commits. ``peer`` is a ``Peer.code`` (or a
    ``Peer``); an unknown or inactive peer raises ``NotFound``/``InvalidInput``. A second post
    with the same ``dedupe_key`` returns the existing row unchanged. ``stream`` orders delivery
    to each peer: within a stream (e.g. ``"dossier:<id>"``) a peer's messages go out in creation
    order, a message waiting while an earlier one of its stream to the same peer is not
    delivered (a dead one blocks that peer's stream until an operator retries it; other peers'
    messages of the stream go on).

``@sender(kind)`` registers ``send(message: OutboxMessage, transport: Transport) -> dict``
    which turns a message into one request (``transport.post(message.peer, path, body,
    message_id=str(message.message_id))``) and returns the peer's reply (stored in
    ``message.response``). It raises ``DeliveryError`` (``transport.py``) on failure:
    ``permanent=True`` marks the message dead at once, anything else is retried after
    ``MOTCUA_OUTBOX_BACKOFF_SECONDS × 2^(attempts−1)`` (capped at
    ``MOTCUA_OUTBOX_BACKOFF_CAP_SECONDS``), and dead after ``MOTCUA_OUTBOX_MAX_ATTEMPTS``.
    Kinds without a sender of their own go out as an envelope to the peer's generic inbox
    (``envelope_sender``: ``POST /api/lien-thong/tin-nhan`` with ``{kind, stream, payload}``).

``@after_delivery(kind)`` registers ``after(message, reply)``, which writes what a delivery
    of ``kind`` changes on our side (e.g. the status the national portal acknowledged) in the
    transaction that records the message delivered.

``deliver_due(*, worker_id, transport=None, limit=100) -> DeliveryCounts``
    What the worker runs: claims due messages in batches (``select_for_update
    (skip_locked=True)`` on PostgreSQL; SQLite serialises writers), leases them for
    ``MOTCUA_OUTBOX_LEASE_SECONDS``, sends them one by one and records the batch's outcomes in
    one transaction (a worker killed mid-batch loses the lease and the messages are sent again:
    receivers de-duplicate by ``X-Motcua-Message-Id``).

``retry_message(message_id, *, actor) -> OutboxMessage``
    The operator's "send again" for a failed or dead message (audited; attempts start over).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, F, Field, OuterRef, Q
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from motcua.core import audit, clock
from motcua.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from motcua.exchange.models import OutboxMessage, OutboxState, Peer
from motcua.exchange.transport import (
    DeliveryError,
    HttpTransport,
    Transport,
    default_transport,
)

logger = logging.getLogger(__name__)
# Sent inside the transaction that marks a message delivered (kind, stream, delivered_at):
# the reports keep "first status delivered to the national portal" from it.
message_delivered = Signal()

Sender = Callable[[OutboxMessage, Transport], dict[str, Any]]
SENDERS: dict[str, Sender] = {}
ENVELOPE_PATH = "/api/lien-thong/tin-nhan"
RETRYABLE = (OutboxState.FAILED, OutboxState.DEAD)


def sender(kind: str) -> Callable[[Sender], Sender]:
    """Register the function that delivers messages of ``kind``."""

    def register(function: Sender) -> Sender:
        SENDERS[kind] = function
        return function

    return register


AfterDelivery = Callable[[OutboxMessage, dict[str, Any]], None]
AFTER_DELIVERY: dict[str, AfterDelivery] = {}


def after_delivery(kind: str) -> Callable[[AfterDelivery], AfterDelivery]:
    """Register what to write when a message of ``kind`` is recorded delivered (with the
    peer's reply): it runs in the transaction that records it, so both stand or fall together."""

    def register(function: AfterDelivery) -> AfterDelivery:
        AFTER_DELIVERY[kind] = function
        return function

    return register


def envelope_sender(message: OutboxMessage, transport: Transport) -> dict[str, Any]:
    """The generic wire form between motcua installations (see ``inbox`` and the API)."""
    body = {"kind": message.kind, "stream": message.stream, "payload": message.payload}
    return transport.post(message.peer, ENVELOPE_PATH, body, message_id=str(message.message_id))


def post(
    *, peer: str | Peer, kind: str, payload: dict[str, Any], stream: str, dedupe_key: str
) -> OutboxMessage:
    """Write one outbound message in the caller's transaction (see the module's contract)."""
    connection = _connection_in_transaction()
    message = _new_message(kind, payload, stream, dedupe_key)
    if isinstance(peer, Peer):
        target: Peer | None = peer
        written = peer.active and _insert(connection, message, peer=peer)
    else:
        # The peer is read by the statement that writes the message: one round trip.
        target = None
        written = _insert(connection, message, peer_code=peer)
    if not written:
        existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing  # posted before (or by another transaction meanwhile): it stands
        target = target or _peer_by_code(str(peer))
        if not target.active:
            raise InvalidInput(
                _("Hệ thống liên thông “%(peer)s” đang ngừng kết nối."),
                field="peer",
                peer=target.code,
            )
        if not _insert(connection, message, peer=target):  # the peer was resumed meanwhile
            return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    logger.info(
        "outbox.posted message=%s peer=%s kind=%s stream=%s",
        message.pk,
        target.code if target else peer,
        kind,
        stream,
    )
    return message


def post_to_active(
    *, peer_code: str, kind: str, payload: dict[str, Any], stream: str, dedupe_key: str
) -> OutboxMessage | None:
    """``post`` to a peer that may be missing or paused, in one statement: the new message, or
    None when no active peer has ``peer_code`` or ``dedupe_key`` was posted before."""
    connection = _connection_in_transaction()
    message = _new_message(kind, payload, stream, dedupe_key)
    if not _insert(connection, message, peer_code=peer_code):
        return None
    logger.info(
        "outbox.posted message=%s peer=%s kind=%s stream=%s", message.pk, peer_code, kind, stream
    )
    return message


def _connection_in_transaction() -> BaseDatabaseWrapper:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("outbox.post must run inside the transaction of the change")
    return connection


def _new_message(kind: str, payload: dict[str, Any], stream: str, dedupe_key: str) -> OutboxMessage:
    now = clock.now()
    return OutboxMessage(
        kind=kind,
        stream=stream,
        dedupe_key=dedupe_key,
        payload=payload,
        next_attempt_at=now,
        created_at=now,
    )


def _insert(
    connection: BaseDatabaseWrapper,
    message: OutboxMessage,
    *,
    peer: Peer | None = None,
    peer_code: str | None = None,
) -> bool:
    """Insert ``message`` for ``peer``, or for the active peer ``peer_code`` read in the same
    statement; whether a row went in. An existing ``dedupe_key`` inserts nothing (``ON
    CONFLICT DO NOTHING``: no read before, no savepoint, and a concurrent transaction posting
    the same key is waited for), and so does a missing or paused ``peer_code``."""
    fields, to_peer, to_active_peer = _insert_statements(connection.alias)
    values = [field.get_db_prep_save(field.pre_save(message, True), connection) for field in fields]
    if peer is not None:
        sql, params = to_peer, [*values, peer.pk]
    else:
        sql, params = to_active_peer, [*values, peer_code, True]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    message.pk, message.peer_id = row
    if peer is not None:
        message.peer = peer
    message._state.adding = False
    message._state.db = connection.alias
    return True


@functools.cache
def _insert_statements(alias: str) -> tuple[list[Field[Any, Any]], str, str]:
    """The fields an insert writes (all but the id and the peer, whose column comes last) and
    its two statements: for a given peer's id, and for the active peer of a given code."""
    quote = connections[alias].ops.quote_name
    written = [field for field in OutboxMessage._meta.concrete_fields if not field.primary_key]
    fields = [field for field in written if field.name != "peer"]
    peer = next(field for field in written if field.name == "peer")
    # A concrete field always has its column (the stubs allow None for others).
    columns = ", ".join(quote(cast(str, field.column)) for field in [*fields, peer])
    values = ", ".join(["%s"] * len(fields))
    table = quote(OutboxMessage._meta.db_table)
    conflict = f"ON CONFLICT ({quote('dedupe_key')}) DO NOTHING"
    returning = f"RETURNING {quote('id')}, {quote(cast(str, peer.column))}"
    # Names from the model's metadata only; every value is a bound parameter.
    to_peer = (
        f"INSERT INTO {table} ({columns}) VALUES ({values}, %s) "  # noqa: S608
        f"{conflict} {returning}"
    )
    # SQLite reads "ON CONFLICT" after a SELECT only when the SELECT has a WHERE clause.
    to_active_peer = (
        f"INSERT INTO {table} ({columns}) SELECT {values}, {quote('id')} "  # noqa: S608
        f"FROM {quote(Peer._meta.db_table)} WHERE {quote('code')} = %s AND {quote('active')} = %s "
        f"{conflict} {returning}"
    )
    return fields, to_peer, to_active_peer


def _peer_by_code(code: str) -> Peer:
    try:
        return Peer.objects.get(code=code)
    except Peer.DoesNotExist:
        raise NotFound(
            _("Không có hệ thống liên thông mã “%(peer)s”."), field="peer", peer=code
        ) from None


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: doubling from the base, capped."""
    base = settings.MOTCUA_OUTBOX_BACKOFF_SECONDS
    cap = settings.MOTCUA_OUTBOX_BACKOFF_CAP_SECONDS
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


# --- delivery -----------------------------------------------------------------------------------


@dataclass
class DeliveryCounts:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.failed + self.dead

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failed": self.failed, "dead": self.dead}


def due_messages(now: datetime) -> Any:
    """Messages a worker may take now, in order: due (or their lease expired), to an active
    peer, and no earlier message of the same stream still undelivered."""
    # Order holds per peer: a message the national portal has not taken does not hold back
    # the same dossier's hand-over to another province.
    earlier_open = OutboxMessage.objects.filter(
        peer=OuterRef("peer"), stream=OuterRef("stream"), id__lt=OuterRef("id")
    ).exclude(state=OutboxState.DELIVERED)
    # A wait or a lease reaching beyond twice the longest one was planned by a clock since moved
    # back (a drill anchored in the past, a corrected system clock): due now. Twice, because a
    # worker's ``now`` is read before its query: another worker may have planned a full lease or
    # the longest wait from a clock read a moment later, and that message is not due.
    planned_later = now + 2 * timedelta(seconds=settings.MOTCUA_OUTBOX_BACKOFF_CAP_SECONDS)
    leased_later = now + 2 * timedelta(seconds=settings.MOTCUA_OUTBOX_LEASE_SECONDS)
    ready = Q(state__in=(OutboxState.PENDING, OutboxState.FAILED)) & (
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__gt=planned_later)
    )
    abandoned = Q(state=OutboxState.SENDING) & (
        Q(lease_until__lt=now) | Q(lease_until__gt=leased_later)
    )
    return (
        OutboxMessage.objects.filter(ready | abandoned, peer__active=True)
        .exclude(Exists(earlier_open))
        .order_by("id")
    )


def claim_next(*, worker_id: str, now: datetime | None = None) -> OutboxMessage | None:
    """Take the first due message for ``worker_id`` under a lease, or None."""
    claimed = claim_batch(worker_id=worker_id, now=now, limit=1)
    return claimed[0] if claimed else None


def claim_batch(*, worker_id: str, now: datetime | None = None, limit: int) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages (in order, at most one per stream and peer) for
    ``worker_id``, under one lease and in one transaction."""
    now = now or clock.now()
    lease = timedelta(seconds=settings.MOTCUA_OUTBOX_LEASE_SECONDS)
    if not due_messages(now).exists():
        return []  # a read: an idle worker takes no write lock (SQLite) every second
    with transaction.atomic():
        candidates = due_messages(now).select_for_update(skip_locked=True, of=("self",))
        messages = list(candidates.select_related("peer")[:limit])
        if not messages:
            return []
        for message in messages:
            if message.state == OutboxState.SENDING:
                logger.warning(
                    "outbox.lease_expired message=%s previous_worker=%s",
                    message.pk,
                    message.claimed_by,
                )
            message.state = OutboxState.SENDING
            message.attempts += 1
            message.lease_until = now + lease
            message.claimed_by = worker_id[:64]
        OutboxMessage.objects.bulk_update(
            messages, ["state", "attempts", "lease_until", "claimed_by"]
        )
    return messages


@dataclass
class _Outcome:
    """What became of one claimed message: delivered (``reply``), failed (``reason``; its
    peer unreachable: ``peer_down``), or not sent at all (``sent`` false: its peer was found
    unreachable earlier in the batch, or time ran out)."""

    message: OutboxMessage
    reply: dict[str, Any] | None = None
    reason: str = ""
    permanent: bool = False
    sent: bool = True
    peer_down: bool = False


def _send(message: OutboxMessage, transport: Transport) -> _Outcome:
    send = SENDERS.get(message.kind, envelope_sender)
    try:
        return _Outcome(message, reply=send(message, transport))
    except DeliveryError as exc:
        return _Outcome(
            message, reason=exc.reason, permanent=exc.permanent, peer_down=exc.unreachable
        )
    except Exception as exc:
        logger.exception("outbox.sender_error message=%s kind=%s", message.pk, message.kind)
        return _Outcome(message, reason=f"internal {type(exc).__name__}")


def deliver(message: OutboxMessage, *, transport: Transport) -> str:
    """Send one claimed message and record the outcome; returns its new state."""
    return _record([_send(message, transport)])[0]


def _record_delivery(message: OutboxMessage, reply: dict[str, Any]) -> str:
    return _record([_Outcome(message, reply=reply)])[0]


def _record(outcomes: list[_Outcome]) -> list[str]:
    """Write what became of claimed messages, all in one transaction (one write lock for a
    whole batch on SQLite); their new states, in order. The work each kind does on delivery
    (``after_delivery``) and ``message_delivered`` run inside it."""
    now = clock.now()
    states: list[str] = []
    logs: list[tuple[_Outcome, str]] = []  # written after the commit
    with transaction.atomic():
        for outcome in outcomes:
            message = outcome.message
            if outcome.reply is not None:
                states.append(OutboxState.DELIVERED)
                # Delivered is delivered, even if our lease ran out meanwhile.
                delivered = (
                    OutboxMessage.objects.filter(pk=message.pk)
                    .exclude(state=OutboxState.DELIVERED)
                    .update(
                        state=OutboxState.DELIVERED,
                        delivered_at=now,
                        response=outcome.reply,
                        lease_until=None,
                        last_error="",
                    )
                )
                if delivered:
                    if message.kind in AFTER_DELIVERY:
                        AFTER_DELIVERY[message.kind](message, outcome.reply)
                    message_delivered.send(
                        sender=OutboxMessage,
                        kind=message.kind,
                        stream=message.stream,
                        delivered_at=now,
                    )
                logs.append((outcome, OutboxState.DELIVERED))
                continue
            # Only the holder of the claim records a failure; a later holder may have succeeded.
            mine = OutboxMessage.objects.filter(
                pk=message.pk, state=OutboxState.SENDING, claimed_by=message.claimed_by
            )
            if not outcome.sent:
                # Not attempted: back as it was, its attempt not counted; after the base wait
                # when its peer has just failed (no second knock at a door found shut).
                before = OutboxState.PENDING if message.attempts <= 1 else OutboxState.FAILED
                wait = backoff(1) if outcome.peer_down else timedelta(0)
                mine.update(
                    state=before,
                    attempts=F("attempts") - 1,
                    lease_until=None,
                    next_attempt_at=now + wait,
                )
                states.append(before)
                continue
            dead = outcome.permanent or message.attempts >= settings.MOTCUA_OUTBOX_MAX_ATTEMPTS
            state = OutboxState.DEAD if dead else OutboxState.FAILED
            updated = mine.update(
                state=state,
                last_error=outcome.reason[:200],
                lease_until=None,
                next_attempt_at=now + backoff(message.attempts),
            )
            states.append(state)
            if updated:
                logs.append((outcome, state))
    for outcome, new_state in logs:
        message = outcome.message
        if new_state == OutboxState.DELIVERED:
            logger.info(
                "outbox.delivered message=%s peer=%s attempts=%s",
                message.pk,
                message.peer.code,
                message.attempts,
            )
        else:
            logger.warning(
                "outbox.failed message=%s peer=%s attempts=%s state=%s reason=%s",
                message.pk,
                message.peer.code,
                message.attempts,
                new_state,
                outcome.reason,
            )
    return states


# Messages claimed and recorded together by a sweep: fewer write transactions (SQLite has one
# writer at a time), each message still sent on its own.
BATCH = 20


def deliver_due(
    *, worker_id: str, transport: Transport | None = None, limit: int = 100
) -> DeliveryCounts:
    """Deliver due messages (at most ``limit``), claimed and recorded in batches and sent one
    by one; what happened, counted. A peer that fails is not asked again within the batch,
    and a batch stops sending once half its lease has gone (the rest go back unsent). A
    transport made here serves the whole sweep (its connections are reused) and is closed at
    its end."""
    own = default_transport() if transport is None else None
    transport = transport or own
    assert transport is not None  # noqa: S101
    counts = DeliveryCounts()
    half_lease = timedelta(seconds=settings.MOTCUA_OUTBOX_LEASE_SECONDS / 2)
    try:
        while counts.attempted < limit:
            claimed_at = clock.now()
            batch = claim_batch(
                worker_id=worker_id, now=claimed_at, limit=min(BATCH, limit - counts.attempted)
            )
            if not batch:
                break
            outcomes = []
            failed_peers: set[int] = set()
            for message in batch:
                if message.peer_id in failed_peers:
                    outcomes.append(_Outcome(message, sent=False, peer_down=True))
                elif clock.now() - claimed_at > half_lease:
                    outcomes.append(_Outcome(message, sent=False))
                else:
                    outcome = _send(message, transport)
                    outcomes.append(outcome)
                    if outcome.peer_down:
                        failed_peers.add(message.peer_id)
            for outcome, state in zip(outcomes, _record(outcomes), strict=True):
                if not outcome.sent:
                    continue
                counts.ids.append(outcome.message.pk)
                if state == OutboxState.DELIVERED:
                    counts.delivered += 1
                elif state == OutboxState.DEAD:
                    counts.dead += 1
                else:
                    counts.failed += 1
            if not any(outcome.sent for outcome in outcomes):
                break
    finally:
        if isinstance(own, HttpTransport):
            own.close()
    return counts


# --- operators ----------------------------------------------------------------------------------


def retry_message(message_id: int, *, actor: Any) -> OutboxMessage:
    """Send a failed or dead message again now (gửi lại); its attempts start over. Audited."""
    from motcua.exchange.permissions import is_exchange_operator

    if not is_exchange_operator(actor):
        raise Forbidden()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(of=("self",))
            .select_related("peer")
            .filter(pk=message_id)
        ).first()
        if message is None:
            raise NotFound()
        if message.state not in RETRYABLE:
            raise InvalidTransition(
                _("Chỉ gửi lại được tin đang lỗi hoặc đã ngừng gửi."), field="state"
            )
        previous = {"state": message.state, "attempts": message.attempts}
        message.state = OutboxState.PENDING
        message.attempts = 0
        message.next_attempt_at = clock.now()
        message.save(update_fields=["state", "attempts", "next_attempt_at"])
        audit.record("exchange.outbox_retry", message, actor=actor, data=previous)
    logger.info("outbox.retry message=%s previous_state=%s", message.pk, previous["state"])
    return message
