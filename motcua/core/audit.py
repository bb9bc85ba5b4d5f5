"""The audit trail: data, not logs. Services call ``record`` inside their transaction.

Entries form a hash chain (see ``AuditEntry``). ``record`` only inserts the entry, in the
caller's transaction, so audited writes never wait on one another; once that transaction has
committed, ``seal_pending`` numbers and hashes the waiting entries after the chain's head under
the head row's lock (one sealer at a time, so the chain never forks). The worker seals every few
seconds (periodic job ``audit.seal``) and ``verify_chain`` seals what waits before it walks the
chain and names the first entry that was altered, inserted or deleted.
The canonical form hashed here is a stored contract: changing it breaks every existing chain
(the data migration ``core.0005`` carries its own frozen copy).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.core import clock, inserts
from motcua.core.context import current_origin
from motcua.core.models import GENESIS_HASH, AuditChainHead, AuditEntry

logger = logging.getLogger(__name__)

HEAD_PK = 1

# The columns a chain walk reads, in this order.
_CHAIN_FIELDS = (
    "id",
    "seq",
    "prev_hash",
    "entry_hash",
    "at",
    "actor_id",
    "actor_label",
    "source_ip",
    "channel",
    "action",
    "object_type",
    "object_id",
    "data",
)


def actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"user:{actor.pk}"


def record(
    action: str, obj: models.Model, *, actor: Any, data: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one audit entry for ``action`` on ``obj``; ``actor`` is a user, a label or None.

    Runs in the caller's transaction (or its own): the entry is committed together with the
    change it records, or not at all. It joins the hash chain when ``seal_pending`` next runs.
    """
    origin = current_origin()
    user = actor if getattr(actor, "is_authenticated", False) else None
    ip_field = AuditEntry._meta.get_field("source_ip")
    entry = AuditEntry(
        at=clock.now(),
        actor=user,
        actor_label=actor_label(actor),
        source_ip=ip_field.get_prep_value(origin.ip) if origin.ip else None,
        channel=origin.channel,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        # As the JSON column gives it back (keys as strings), so the hash is reproducible.
        data=json.loads(json.dumps(data or {})),
    )
    return inserts.insert(entry)  # never an update: the trail is append-only


def seal_pending(*, limit: int = 5000, wait: bool = True) -> int:
    """Number and hash up to ``limit`` committed entries that wait, oldest first; how many.

    One sealer at a time holds the head row's lock; with ``wait=False`` a sealer that finds it
    taken returns 0 at once (another is at work). Entries committed meanwhile wait for the next
    run. Only the three chain columns of an entry are ever written after its insert.
    """
    with transaction.atomic():
        head = _locked_head(wait=wait)
        if head is None:
            return 0
        waiting = list(AuditEntry._base_manager.filter(seq__isnull=True).order_by("id")[:limit])
        seq, previous = head.seq, head.entry_hash
        for entry in waiting:
            seq += 1
            entry.seq, entry.prev_hash = seq, previous
            entry.entry_hash = previous = entry_hash(_content_of(entry))
        AuditEntry._base_manager.bulk_update(
            waiting, ["seq", "prev_hash", "entry_hash"], batch_size=500
        )
        AuditChainHead.objects.filter(pk=HEAD_PK).update(seq=seq, entry_hash=previous)
    if waiting:
        logger.info("audit.sealed count=%s head=%s", len(waiting), seq)
    return len(waiting)


def seal_all() -> int:
    """Seal every entry that waits (a few thousand at a time); how many."""
    total = 0
    while sealed := seal_pending():
        total += sealed
    return total


def _locked_head(*, wait: bool = True) -> AuditChainHead | None:
    """The chain head row, locked until the end of the transaction (created if missing);
    None when ``wait`` is False and another sealer holds it."""
    rows = AuditChainHead.objects.select_for_update(skip_locked=not wait).filter(pk=HEAD_PK)
    head = rows.first()
    if head is None:
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=HEAD_PK)], ignore_conflicts=True)
        head = rows.first()
    return head


# --- the canonical form ----------------------------------------------------------------------


def canonical_json(content: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same bytes for the same content on any database."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def entry_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def chain_content(
    *,
    seq: int,
    prev_hash: str,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    source_ip: str | None,
    channel: str,
    action: str,
    object_type: str,
    object_id: str,
    data: Any,
) -> dict[str, Any]:
    """What an entry's hash covers: every column except ``id`` and the hash itself."""
    return {
        "seq": seq,
        "prev": prev_hash,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "actor_label": actor_label,
        "ip": source_ip,
        "channel": channel,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "data": data,
    }


def _content_of(entry: AuditEntry) -> dict[str, Any]:
    assert entry.seq is not None  # noqa: S101 (only sealed or being-sealed entries are hashed)
    return chain_content(
        seq=entry.seq,
        prev_hash=entry.prev_hash,
        at=entry.at,
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        source_ip=entry.source_ip,
        channel=entry.channel,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        data=entry.data,
    )


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    """The first break found: ``kind`` is altered, inserted or deleted; ids only."""

    kind: str
    entry_id: int | None
    seq: int | None
    message_template: str | Promise
    params: dict[str, Any]

    @property
    def message(self) -> str:
        return str(self.message_template) % self.params


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_seq: int
    head_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _altered(entry_id: int, seq: int) -> ChainProblem:
    return ChainProblem(
        "altered",
        entry_id,
        seq,
        _("Bản ghi kiểm toán id=%(id)s (số thứ tự %(seq)s) đã bị sửa: nội dung không khớp mã băm."),
        {"id": entry_id, "seq": seq},
    )


def _deleted(entry_id: int | None, seq: int, after_id: int | None, count: int) -> ChainProblem:
    return ChainProblem(
        "deleted",
        entry_id,
        seq,
        _(
            "Thiếu %(count)s bản ghi kiểm toán (từ số thứ tự %(seq)s) sau bản ghi id=%(after)s, "
            "trước bản ghi id=%(id)s: đã bị xóa."
        ),
        {"count": count, "seq": seq, "after": after_id or "-", "id": entry_id or "-"},
    )


def _inserted(entry_id: int, seq: int) -> ChainProblem:
    return ChainProblem(
        "inserted",
        entry_id,
        seq,
        _(
            "Bản ghi kiểm toán id=%(id)s (số thứ tự %(seq)s) không nối tiếp bản ghi trước: "
            "bị chèn thêm hoặc chuỗi đã bị sửa."
        ),
        {"id": entry_id, "seq": seq},
    )


def _rows() -> Iterator[tuple[Any, ...]]:
    """The whole chain in order, streamed: constant memory for millions of entries."""
    sealed = AuditEntry.objects.filter(seq__isnull=False)
    queryset = sealed.order_by("seq").values_list(*_CHAIN_FIELDS)
    return queryset.iterator(chunk_size=5000)


def verify_chain(*, seal: bool = True) -> ChainReport:
    """Seal what waits (unless ``seal`` is False), walk the chain from the first entry and
    stop at the first break.

    Detects an entry whose content no longer matches its hash (altered), a gap in the
    numbering or missing newest entries (deleted), and an entry that does not link to its
    predecessor or lies beyond the recorded head (inserted). Entries appended while the walk
    runs are ignored.
    """
    if seal:
        seal_all()
    head = AuditChainHead.objects.filter(pk=HEAD_PK).values_list("seq", "entry_hash").first()
    head_seq, head_hash = head or (0, GENESIS_HASH)
    expected_seq, expected_prev = 1, GENESIS_HASH
    previous_id: int | None = None
    checked = 0
    problem: ChainProblem | None = None

    for row in _rows():
        entry_id, seq, prev_hash, stored_hash = row[0], row[1], row[2], row[3]
        if seq > head_seq:
            break
        checked += 1
        if seq > expected_seq:
            problem = _deleted(entry_id, expected_seq, previous_id, seq - expected_seq)
            break
        if seq < expected_seq:
            problem = _inserted(entry_id, seq)
            break
        content = chain_content(
            seq=seq,
            prev_hash=prev_hash,
            at=row[4],
            actor_id=row[5],
            actor_label=row[6],
            source_ip=row[7],
            channel=row[8],
            action=row[9],
            object_type=row[10],
            object_id=row[11],
            data=row[12],
        )
        if entry_hash(content) != stored_hash:
            problem = _altered(entry_id, seq)
            break
        if prev_hash != expected_prev:
            problem = _inserted(entry_id, seq)
            break
        expected_seq, expected_prev, previous_id = seq + 1, stored_hash, entry_id

    if problem is None:
        problem = _check_ends(expected_seq - 1, expected_prev, previous_id, head_seq, head_hash)
    logger.info(
        "audit.verify checked=%s head=%s result=%s",
        checked,
        head_seq,
        problem.kind if problem else "ok",
    )
    return ChainReport(checked=checked, head_seq=head_seq, head_hash=head_hash, problem=problem)


def _check_ends(
    last_seq: int, last_hash: str, last_id: int | None, head_seq: int, head_hash: str
) -> ChainProblem | None:
    """The walk must end exactly at the head, and nothing may lie beyond the current head."""
    if last_seq < head_seq:
        return _deleted(None, last_seq + 1, last_id, head_seq - last_seq)
    if last_hash != head_hash:
        assert last_id is not None  # noqa: S101 (head_seq > 0 here, so a row was read)
        return _altered(last_id, last_seq)
    # Read the newest entry before the head: the sealer commits both together, so an entry
    # beyond the head read afterwards was not numbered by ``seal_pending``.
    beyond = (
        AuditEntry.objects.filter(seq__gt=head_seq).order_by("seq").values_list("id", "seq").first()
    )
    current_head = AuditChainHead.objects.filter(pk=HEAD_PK).values_list("seq", flat=True).first()
    if beyond is not None and beyond[1] is not None and beyond[1] > (current_head or 0):
        return _inserted(beyond[0], beyond[1])
    return None


def record_personal_data_view(obj: models.Model, *, actor: Any, purpose: str) -> AuditEntry:
    """Note that ``actor`` opened a page showing ``obj``'s personal data (Decree 13/2023
    Art. 27 asks who processed personal data, when and why); ``purpose`` names the page."""
    return record("personal_data.viewed", obj, actor=actor, data={"purpose": purpose})
