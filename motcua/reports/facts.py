"""The facts of each dossier kept in one row (``DossierFacts``), and the figures read from it.

Reading every fact from the history (``indicators.Facts``) costs a dozen correlated subqueries
per dossier: seconds for a month of a province with a million dossiers. The row keeps, as of
the latest change, the first time of each milestone (received, ended, resolved, approved,
withdrawn, refused, paid online, first attachment, first result, first complaint or "not
satisfied", rating, first status delivered to the national portal), the appointment in force
and when it was given, and the supplements after reception and when they last changed.

Whatever the moment asked for, a first time is exact: the fact "as of the moment" is the
kept time if it is not after the moment, else none. The appointment and the supplements are
exact for any moment at or after their last change; before it (a past view of a dossier
rescheduled or supplemented later) ``StoredFacts`` falls back, for that dossier only, to the
history expressions. The row is refreshed from the history, in the same transaction, by the
receivers in ``handlers`` whenever one of those facts can change; the day totals of closed
dossiers (``motcua.reports.totals``) move with it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual

from motcua.dossiers.models import Dossier, DossierFile, FileKind, SupplementRequest
from motcua.payments.models import Invoice, InvoiceStatus, PaymentChannel
from motcua.reports.indicators import ZERO, Facts
from motcua.reports.models import Appointment, Complaint, DossierFacts, Rating

# A moment after any history: the facts as they stand now.
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _first(queryset: Any, column: str) -> Subquery:
    return Subquery(
        queryset.filter(dossier_id=OuterRef("pk")).order_by(column).values(column)[:1],
        output_field=DateTimeField(),
    )


def _last_appointment(column: str) -> Subquery:
    given = Appointment.objects.filter(dossier_id=OuterRef("pk")).order_by("-at", "-pk")
    return Subquery(given.values(column)[:1], output_field=DateTimeField())


def _latest_supplement(column: str) -> Subquery:
    supplements = SupplementRequest.objects.filter(dossier_id=OuterRef("pk"), stage="appraisal")
    latest = supplements.order_by().values("dossier_id").annotate(at=Max(column)).values("at")
    return Subquery(latest, output_field=DateTimeField())


def _facts_of(dossier_id: int) -> Any:
    """The history's facts of one dossier, as a ``values()`` query of ``x_…`` columns."""
    facts = Facts(start=LATEST, moment=LATEST)
    paid_online = Invoice.objects.filter(
        amount__gt=0, status=InvoiceStatus.PAID, channel=PaymentChannel.ONLINE
    )
    files = DossierFile.objects.all()
    return Dossier.objects.filter(pk=dossier_id).values(
        x_received=facts.received_at(),
        x_ended=facts.ended_at(),
        x_resolved=facts.resolved_at(),
        x_approved=facts.approved_at(),
        x_withdrawn=facts.withdrawn_at(),
        x_refused=facts.refused_at(),
        x_due=_last_appointment("due_at"),
        x_due_since=_last_appointment("at"),
        x_supplements=facts.supplement_count(),
        x_open_supplement=facts.open_supplement_at(),
        x_supplement_time=facts.supplement_time(),
        x_requested=_latest_supplement("requested_at"),
        x_completed=_latest_supplement("completed_at"),
        x_fee=Exists(Invoice.objects.filter(dossier_id=OuterRef("pk"), amount__gt=0)),
        x_paid_online=_first(paid_online, "paid_at"),
        x_attached=_first(files.filter(kind=FileKind.ATTACHMENT), "created_at"),
        x_result_file=_first(files.filter(kind=FileKind.RESULT), "created_at"),
        x_complaint=_first(Complaint.objects.all(), "created_at"),
        x_unsatisfied=_first(Rating.objects.filter(satisfied=False), "created_at"),
        x_satisfied=_first(Rating.objects.filter(satisfied=True), "created_at"),
        x_synced=_first_delivery(),
        x_receiving=F("receiving_agency_id"),
        x_competent=F("competent_agency_id"),
        x_procedure=F("procedure_id"),
        x_channel=F("channel"),
    )


# The statement of ``_facts_of`` is the same for every dossier but its id, and building and
# compiling its ~20 subqueries costs several times running it: it is compiled once per
# database and thread (a compiler's converters belong to its thread's connection) with
# ``SENTINEL_ID``, whose place among the parameters then takes each dossier's id.
SENTINEL_ID = -7_700_000_003
_compiled = threading.local()


def id_slot(params: Any) -> int | None:
    """Where ``SENTINEL_ID`` stands among a compiled statement's parameters; None unless it
    stands there exactly once (the statement is then compiled for each dossier instead)."""
    slots = [index for index, param in enumerate(params) if param == SENTINEL_ID]
    return slots[0] if len(slots) == 1 else None


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: list[Any]
    slot: int
    names: list[str]
    converters: dict[int, tuple[list[Any], Any]]


def _statement(using: str) -> _Statement | None:
    statements = _compiled.__dict__.setdefault("statements", {})
    if using in statements:
        return statements[using]
    query = _facts_of(SENTINEL_ID).query
    compiler = query.get_compiler(using)
    sql, params = compiler.as_sql()
    slot = id_slot(params)
    statement = None
    if slot is not None:
        names = list(query.selected) if query.selected else list(query.annotation_select)
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        statement = _Statement(sql, list(params), slot, names, converters)
    statements[using] = statement
    return statement


def read_facts(dossier_id: int) -> dict[str, Any] | None:
    """The ``x_…`` facts of the dossier as its history gives them now, or None."""
    using = Dossier.objects.db
    statement = _statement(using)
    if statement is None:
        return _facts_of(dossier_id).first()
    params = list(statement.params)
    params[statement.slot] = dossier_id
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    row = list(found)
    for position, (converters, expression) in statement.converters.items():
        for converter in converters:
            row[position] = converter(row[position], expression, connection)
    return dict(zip(statement.names, row, strict=True))


def refresh(dossier_id: int) -> None:
    """Recompute the dossier's row from its history (call inside the changing transaction)."""
    row = read_facts(dossier_id)
    if row is None:
        return
    from motcua.reports import totals

    # The row as it was (locked): a closed dossier's figures leave its day's totals.
    kept = list(
        DossierFacts.objects.select_for_update()
        .filter(dossier_id=dossier_id)
        .values_list("anchor_at", flat=True)[:1]
    )
    before = totals.contribution(dossier_id) if kept and kept[0] is not None else []
    since = [at for at in (row["x_requested"], row["x_completed"]) if at is not None]
    complained = [at for at in (row["x_complaint"], row["x_unsatisfied"]) if at is not None]
    spent = row["x_supplement_time"]
    values = {
        "received_at": row["x_received"],
        "ended_at": row["x_ended"],
        "resolved_at": row["x_resolved"],
        "approved_at": row["x_approved"],
        "withdrawn_at": row["x_withdrawn"],
        "refused_at": row["x_refused"],
        "due_at": row["x_due"],
        "due_since": row["x_due_since"],
        "supplements": row["x_supplements"],
        "open_supplement_at": row["x_open_supplement"],
        "supplement_time": spent if not isinstance(spent, int) else _microseconds(spent),
        "supplements_since": max(since) if since else None,
        "fee": bool(row["x_fee"]),
        "paid_online_at": row["x_paid_online"],
        "attached_at": row["x_attached"],
        "result_file_at": row["x_result_file"],
        "complained_at": min(complained) if complained else None,
        "satisfied_at": row["x_satisfied"],
        "unsatisfied_at": row["x_unsatisfied"],
        "synced_at": row["x_synced"],
        "receiving_agency_id": row["x_receiving"],
        "competent_agency_id": row["x_competent"],
        "procedure_id": row["x_procedure"],
        "channel": row["x_channel"],
    }
    values["anchor_at"], values["settled_at"] = totals.span(values)
    if kept:
        DossierFacts.objects.filter(dossier_id=dossier_id).update(**values)
    else:
        DossierFacts.objects.create(dossier_id=dossier_id, **values)
    after = totals.contribution(dossier_id) if values["anchor_at"] is not None else []
    totals.apply(before, after)


def _microseconds(value: int) -> Any:
    from datetime import timedelta

    return timedelta(microseconds=value)


def _first_delivery() -> Subquery:
    from django.db.models import CharField
    from django.db.models.functions import Cast, Concat

    from motcua.exchange.models import OutboxMessage
    from motcua.reports.indicators import SYNC_KIND

    stream = Concat(Value("dossier:"), Cast(OuterRef("pk"), output_field=CharField()))
    # Delivered = has a delivery time (only a delivery sets it). Not ``state=DELIVERED``:
    # SQLite, without statistics, would then read the state index, i.e. every message ever
    # delivered (13 ms at 10,000), instead of the dossier's stream (0.02 ms).
    delivered = OutboxMessage.objects.filter(
        kind=SYNC_KIND, stream=stream, delivered_at__isnull=False
    ).order_by("delivered_at")
    return Subquery(delivered.values("delivered_at")[:1], output_field=DateTimeField())


class StoredFacts(Facts):
    """``Facts`` read from the kept rows (a query on ``DossierFacts``), as of ``moment``; the
    history fallbacks find the dossier by the row's key, which is the dossier's id."""

    def _kept(self, column: str) -> Case:
        kept = F(column)
        return Case(
            When(Q(LessThanOrEqual(kept, Value(self.moment))), then=kept),
            default=None,
            output_field=DateTimeField(),
        )

    def _settled(self, column: str) -> Q:
        """The kept value holds at the moment: it last changed at or before it, or never."""
        since = F(column)
        return Q(**{f"{column}__isnull": True}) | Q(LessThanOrEqual(since, Value(self.moment)))

    def received_at(self) -> Any:
        return self._kept("received_at")

    def ended_at(self) -> Any:
        return self._kept("ended_at")

    def resolved_at(self) -> Any:
        return self._kept("resolved_at")

    def approved_at(self) -> Any:
        return self._kept("approved_at")

    def withdrawn_at(self) -> Any:
        return self._kept("withdrawn_at")

    def refused_at(self) -> Any:
        return self._kept("refused_at")

    def due_at(self) -> Any:
        return Case(
            When(Q(due_since__lte=self.moment), then=F("due_at")),
            default=self._history_due_at(),
            output_field=DateTimeField(),
        )

    def _history_due_at(self) -> Coalesce:
        """``Facts.due_at`` with the dossier's own due date read by its id (this query reads
        the facts table, whose ``due_at`` is the kept appointment)."""
        given = Appointment.objects.filter(dossier_id=OuterRef("pk"), at__lte=self.moment)
        last = Subquery(given.order_by("-at", "-pk").values("due_at")[:1])
        own = Subquery(Dossier.objects.filter(pk=OuterRef("pk")).values("due_at")[:1])
        return Coalesce(last, own, output_field=DateTimeField())

    def supplement_count(self) -> Any:
        return Case(
            When(self._settled("supplements_since"), then=F("supplements")),
            default=super().supplement_count(),
            output_field=IntegerField(),
        )

    def open_supplement_at(self) -> Any:
        return Case(
            When(self._settled("supplements_since"), then=F("open_supplement_at")),
            default=super().open_supplement_at(),
            output_field=DateTimeField(),
        )

    def supplement_time(self) -> Any:
        return Case(
            When(
                self._settled("supplements_since"),
                then=Coalesce(F("supplement_time"), ZERO, output_field=DurationField()),
            ),
            default=super().supplement_time(),
            output_field=DurationField(),
        )

    def _at_or_before(self, column: str) -> Q:
        return Q(LessThanOrEqual(F(column), Value(self.moment)))

    def fee_bearing(self) -> Q:
        return Q(fee=True)

    def paid_online(self) -> Q:
        return self._at_or_before("paid_online_at")

    def digitised(self) -> Q:
        return self._at_or_before("attached_at") & self._at_or_before("result_file_at")

    def complained_or_disliked(self) -> Q:
        return self._at_or_before("complained_at")

    def synced(self) -> Q:
        return self._at_or_before("synced_at")

    def rated(self, satisfied: bool) -> Q:
        return self._at_or_before("satisfied_at" if satisfied else "unsatisfied_at")


def prefilter(queryset: Any, start: datetime, moment: datetime) -> Any:
    """The facts rows that can count in [start, moment], by the kept first times (indexed):
    received by the moment and not ended before the start, or refused within."""
    # Three arms, each with its own index: still open (a partial index holds only those),
    # ended within or after the period, refused within it.
    still_open = Q(ended_at__isnull=True, received_at__lte=moment)
    ended_since = Q(ended_at__gte=start, received_at__lte=moment)
    refused = Q(refused_at__gte=start, refused_at__lte=moment)
    return queryset.filter(still_open | ended_since | refused)


def rows_of(dossiers: QuerySet[Dossier]) -> QuerySet[DossierFacts]:
    """The facts rows of ``dossiers``: all of them unread when the queryset is unfiltered (the
    province), else those whose dossier is in it."""
    rows = DossierFacts.objects.all()
    if dossiers.query.where:
        rows = rows.filter(dossier__in=dossiers.order_by().values("pk"))
    return rows
