"""Reads for operators: peers with their message counts, outbox, inbox, periodic jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import ngettext

from motcua.exchange.models import (
    InboxMessage,
    OutboxMessage,
    OutboxState,
    Peer,
    PeriodicJobRun,
)
from motcua.exchange.schedule import JOBS, Job


@dataclass(frozen=True)
class PeerRow:
    peer: Peer
    counts: dict[str, int]
    inbox: int


def peer_overview() -> list[PeerRow]:
    """Every peer with its outbox counts by state and its inbox size (three queries)."""
    peers = list(Peer.objects.order_by("code"))
    counts: dict[int, dict[str, int]] = {p.pk: dict.fromkeys(OutboxState.values, 0) for p in peers}
    rows = OutboxMessage.objects.values("peer_id", "state").annotate(n=Count("id"))
    for row in rows:
        counts[row["peer_id"]][row["state"]] = row["n"]
    inbox = dict(
        InboxMessage.objects.values_list("peer_id")
        .annotate(n=Count("id"))
        .values_list("peer_id", "n")
    )
    return [PeerRow(p, counts[p.pk], inbox.get(p.pk, 0)) for p in peers]


def list_outbox(
    *, peer: Peer | None = None, stream: str | None = None, state: str | None = None
) -> QuerySet[OutboxMessage]:
    """Outbox messages, newest first, filtered by peer, stream (e.g. "dossier:12") or state."""
    queryset = OutboxMessage.objects.select_related("peer").order_by("-id")
    if peer is not None:
        queryset = queryset.filter(peer=peer)
    if stream:
        queryset = queryset.filter(stream=stream)
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def list_inbox(*, peer: Peer | None = None, state: str | None = None) -> QuerySet[InboxMessage]:
    queryset = InboxMessage.objects.select_related("peer").order_by("-id")
    if peer is not None:
        queryset = queryset.filter(peer=peer)
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def dossier_stream(dossier_id: int) -> str:
    """The stream of a dossier's messages (a convention every sender of dossier news keeps)."""
    return f"dossier:{dossier_id}"


def dossier_known(dossier_id: int, stream: str) -> bool:
    """The dossier exists, or messages about it were sent (it may have been purged since)."""
    from motcua.dossiers.models import Dossier

    return (
        Dossier.objects.filter(pk=dossier_id).exists()
        or OutboxMessage.objects.filter(stream=stream).exists()
    )


def list_dossier_messages(dossier_id: int) -> list[OutboxMessage]:
    """What was sent about a dossier, oldest first (the desk shows it)."""
    return list(
        OutboxMessage.objects.select_related("peer")
        .filter(stream=dossier_stream(dossier_id))
        .order_by("id")
    )


def blocked_streams() -> set[str]:
    """Streams held back by a dead message (everything after it waits for an operator)."""
    return set(
        OutboxMessage.objects.filter(state=OutboxState.DEAD).values_list("stream", flat=True)
    )


@dataclass(frozen=True)
class JobRow:
    job: Job
    run: PeriodicJobRun | None

    @property
    def every_text(self) -> str:
        """The interval in the largest whole unit: "15 phút", "1 ngày"."""
        seconds = int(self.job.every.total_seconds())
        for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
            if seconds % size == 0:
                return _interval(seconds // size, unit)
        return _interval(seconds, "second")


def _interval(count: int, unit: str) -> str:
    texts = {
        "day": ngettext("%(n)s ngày", "%(n)s ngày", count),
        "hour": ngettext("%(n)s giờ", "%(n)s giờ", count),
        "minute": ngettext("%(n)s phút", "%(n)s phút", count),
        "second": ngettext("%(n)s giây", "%(n)s giây", count),
    }
    return texts[unit] % {"n": count}


def list_jobs() -> list[JobRow]:
    """Every registered periodic job with its bookkeeping row (one query)."""
    runs = {run.name: run for run in PeriodicJobRun.objects.filter(name__in=JOBS.keys())}
    return [JobRow(job, runs.get(name)) for name, job in JOBS.items()]


def outbox_summary() -> dict[str, Any]:
    """Counts by state across peers, for the pages' headline."""
    aggregates = {state: Count("id", filter=Q(state=state)) for state in OutboxState.values}
    return OutboxMessage.objects.aggregate(**aggregates)
