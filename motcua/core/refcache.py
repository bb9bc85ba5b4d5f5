"""Per-process copies of reference data that changes rarely (procedures, fees, service centers).

Every request used to read the same procedure, its documents and fees, and the same center from
the database, at the cost of several ORM queries. Here a process keeps what it read, tagged with
the reference *stamp*: a random number in the ``core_counter`` row ``reference:stamp`` that
every change of a watched model replaces, in the changing transaction (``watch`` connects the
model signals; bulk writers such as the catalog loader call ``bump`` themselves). A reader
compares the stamp (one primary-key read) with the one its copy was made under and reads the
data again on any difference, so a copy is never used after the change that outdates it has
committed. The stamp is read *before* the data: a change committed between the two reads only
costs one more reload.

Without the stamp row (a database emptied by a test flush) nothing is kept. Copies are shared
between the threads of a process: callers read them and never change them.

Inside ``one_stamp()`` (one request's reference reads, e.g. a submission's procedure and center)
the stamp is read once, by the first ``cached`` call, and the others compare with it: they see
the reference data as of that read, as if all had been read at that moment.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.signals import post_delete, post_save

from motcua.core.models import Counter

logger = logging.getLogger(__name__)

STAMP_KEY = "reference:stamp"
# Copies kept per process before all are dropped (lookups of unknown keys are kept too).
MAX_ENTRIES = 2000

T = TypeVar("T")

_entries: dict[tuple[str, Hashable], tuple[int, Any]] = {}
_lock = threading.Lock()
# The stamp of the enclosing ``one_stamp`` block: unset, or a list holding it once read.
_pinned: ContextVar[list[int | None] | None] = ContextVar("refcache_pinned", default=None)


def current_stamp() -> int | None:
    """The reference stamp as this transaction sees it; None when the row is missing."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "value" FROM {Counter._meta.db_table} WHERE "key" = %s',  # noqa: S608
            [STAMP_KEY],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def bump() -> None:
    """Outdate every process's copies (in the caller's transaction, if any)."""
    value = secrets.randbits(62)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {Counter._meta.db_table} ("key", "value") VALUES (%s, %s) '  # noqa: S608
            'ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"',
            [STAMP_KEY, value],
        )


def cached(kind: str, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``'s answer for ``(kind, key)``, read again only after a reference change."""
    stamp = _stamp()
    if stamp is None:
        return load()
    hit = _entries.get((kind, key))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    value = load()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[(kind, key)] = (stamp, value)
    return value


@contextmanager
def one_stamp() -> Iterator[None]:
    """Read the stamp at most once for the ``cached`` calls inside the block (see the module).
    Only for blocks that change no watched model before their last ``cached`` call. A block
    inside another shares the outer block's stamp."""
    if _pinned.get() is not None:
        yield
        return
    token = _pinned.set([])
    try:
        yield
    finally:
        _pinned.reset(token)


def _stamp() -> int | None:
    pinned = _pinned.get()
    if pinned is None:
        return current_stamp()
    if not pinned:
        pinned.append(current_stamp())
    return pinned[0]


def clear() -> None:
    """Forget this process's copies (tests; never needed for correctness)."""
    with _lock:
        _entries.clear()


def _changed(sender: type[models.Model], **kwargs: Any) -> None:
    bump()


def watch(*watched: type[models.Model]) -> None:
    """Move the stamp whenever one of ``watched`` is saved or deleted."""
    for model in watched:
        uid = f"refcache:{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, weak=False, dispatch_uid=f"{uid}:save")
        post_delete.connect(_changed, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
