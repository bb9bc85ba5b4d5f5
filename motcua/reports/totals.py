"""Figures of closed dossiers summed per day (``FactsTotal``), so that a long or past period
reads a small table plus the few dossiers still changing.

A dossier is closed once it ended (or was refused without reception). Its ``anchor_at`` is its
first kept time (reception, end or refusal) and its ``settled_at`` its last kept time of any
kind (end, appointment, supplements, payment, files, complaint, rating, status delivered).
For every period that begins by ``anchor_at`` and is seen as of ``settled_at`` or later, the
dossier's figures are the same: those of "now" (``StoredFacts`` as of ``LATEST``). They are
added, per grouping and group, to the total of the day of ``anchor_at``.

A period [start, moment] then counts (``compose``):

* the totals of the days from its first day up to the cut (the end of the moment's day when
  the moment ends a day, else the start of the moment's day), whole months read from the
  month's total;
* minus the dossiers of those days settled after the cut, as the totals counted them;
* plus, counted live as of the moment, every dossier that can count and is not in the
  totals: the open ones, those first seen before the period (carried over) or after the cut,
  and those settled after the cut.

The totals are kept in the transaction that changes a dossier's facts (``refresh`` in
``motcua.reports.facts`` calls ``apply`` with the dossier's figures before and after): nothing
is ever stale. ``rebuild`` recomputes them all from the facts rows (migration, bench).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from django.db import connections, router
from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Case, RawSQL
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate

from motcua.deadlines.calendar import TZ
from motcua.reports.facts import LATEST, SENTINEL_ID, StoredFacts, id_slot
from motcua.reports.indicators import FIGURE_SQL, TIME_COUNT_SQL, TIME_SUM_SQL, Facts
from motcua.reports.models import DossierFacts, FactsTotal

logger = logging.getLogger(__name__)

# A moment before any history: every kept time of a dossier is after it.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
FIGURE_NAMES = tuple(FIGURE_SQL)
TOTAL_NAMES = (*FIGURE_NAMES, "time_sum", "time_n")
# The groupings summed, each by the column its groups are read from (see
# ``selectors.GROUPINGS``); an integer key is read back as an integer.
DIMENSIONS: dict[str, str | None] = {
    "province": None,
    "former_province": "receiving_agency__ward__former_province",
    "ward": "receiving_agency__ward_id",
    "agency": "competent_agency_id",
    "procedure": "procedure__code",
}
INTEGER_KEYS = frozenset({"ward", "agency"})
# Every kept time: the last one is when the dossier's figures stopped changing.
TIMES = (
    "received_at",
    "ended_at",
    "resolved_at",
    "approved_at",
    "withdrawn_at",
    "refused_at",
    "due_since",
    "open_supplement_at",
    "supplements_since",
    "paid_online_at",
    "attached_at",
    "result_file_at",
    "complained_at",
    "satisfied_at",
    "unsatisfied_at",
    "synced_at",
)
FAR = datetime(9999, 12, 31, tzinfo=UTC)
# Fewer whole days than this and the period is counted from the rows alone: the dossiers in
# flight at the cut, counted twice (live, and subtracted as the totals have them), then cost
# more than the days' closed dossiers they spare (bench/scale.py: a month's first days).
MIN_DAYS = 10


# --- a dossier's span -----------------------------------------------------------------------


def span(values: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """``anchor_at`` and ``settled_at`` of a facts row's values (none while it is open)."""
    ended, refused, received = values["ended_at"], values["refused_at"], values["received_at"]
    if ended is None and (refused is None or received is not None):
        return None, None
    first = min(at for at in (received, ended, refused) if at is not None)
    last = max(values[name] for name in TIMES if values[name] is not None)
    return first, last


def closed() -> Q:
    return Q(ended_at__isnull=False) | Q(refused_at__isnull=False, received_at__isnull=True)


def fill_spans(using: str = "default") -> int:
    """Set ``anchor_at`` and ``settled_at`` of every row from its kept times, in one update."""
    first = Least(
        *(Coalesce(F(name), Value(FAR)) for name in ("received_at", "ended_at", "refused_at"))
    )
    last = Greatest(*(Coalesce(F(name), Value(EARLIEST)) for name in TIMES))
    return DossierFacts.objects.using(using).update(
        anchor_at=Case(When(closed(), then=first), default=None, output_field=DateTimeField()),
        settled_at=Case(When(closed(), then=last), default=None, output_field=DateTimeField()),
    )


# --- counting -------------------------------------------------------------------------------


def count_rows(
    candidates: QuerySet[Any], facts: Facts, groups: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Every counted figure, the processing times' sum and count, per combination of
    ``groups``, in one query: an inner query reads each dossier's facts once
    (``Facts.columns``), the outer one counts."""
    sql, params = _counting_sql(candidates, facts, groups)
    return _count(candidates.db, sql, params)


def _counting_sql(
    candidates: QuerySet[Any], facts: Facts, groups: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    columns = facts.columns()
    inner = candidates.order_by().annotate(**groups, **columns).values(*groups, "channel", *columns)
    sql, params = inner.query.sql_with_params()
    return _outer(candidates.db, sql, list(groups)), list(params)


def _outer(using: str, sql: str, groups: list[str]) -> str:
    counts = ", ".join(
        f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {key}"
        for key, condition in FIGURE_SQL.items()
    )
    keys = ", ".join(f"t.{name}" for name in groups)
    # Keep the inner query a fence: merged into the outer one, each of its subqueries would
    # run again for every condition that reads its column.
    fence = " OFFSET 0" if connections[using].vendor == "postgresql" else " LIMIT -1 OFFSET 0"
    return (
        f"SELECT {keys}, {counts}, {TIME_SUM_SQL} AS time_sum, "  # noqa: S608 (fixed text)
        f"{TIME_COUNT_SQL} AS time_n FROM ({sql}{fence}) t GROUP BY {keys}"
    )


def _count(using: str, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:
        for name in FIGURE_NAMES:
            row[name] = int(row[name] or 0)
        row["time_sum"] = microseconds(row["time_sum"])
        row["time_n"] = int(row["time_n"] or 0)
    return rows


# --- the counting queries compiled once -------------------------------------------------------

# Moments no history has, standing for a period's own (start, moment, cut) while the SQL of a
# counting query of that shape is compiled; each run puts the period's moments in their place.
# Compiling the facts expressions (a few dozen subqueries and conditions) cost more than a
# month's counting itself.
SENTINELS = tuple(datetime(1800, 1, day, tzinfo=UTC) for day in (1, 2, 3))
Build = Callable[[datetime, datetime, datetime], tuple[QuerySet[Any], Facts, Mapping[str, Any]]]
_compiled: dict[tuple[Any, ...], tuple[str, list[Any], dict[int, int]]] = {}


def count_shaped(
    shape: tuple[Any, ...], build: Build, moments: tuple[datetime, datetime, datetime]
) -> list[dict[str, Any]]:
    """``count_rows`` of ``build(*moments)``, whose SQL depends on ``moments`` only through
    its parameters and otherwise on ``shape`` alone (which must name the database): compiled
    once per shape and process with ``SENTINELS`` for the moments, which are then replaced."""
    entry = _compiled.get(shape)
    if entry is None:
        candidates, facts, groups = build(*SENTINELS)
        columns = facts.columns()
        inner = candidates.order_by().annotate(**groups, **columns)
        sql, params = inner.values(*groups, "channel", *columns).query.sql_with_params()
        using = candidates.db
        adapted = [_adapt(using, sentinel) for sentinel in SENTINELS]
        slots: dict[int, int] = {}
        for index, param in enumerate(params):
            if param in adapted:
                slots[index] = adapted.index(param)
            elif _looks_like_sentinel(param):
                # A moment written in another form than expected: compile each time instead.
                return count_rows(*build(*moments))
        entry = (_outer(using, sql, list(groups)), list(params), slots)
        _compiled[shape] = entry
    sql, params, slots = entry
    using = shape[0]
    actual = [_adapt(using, moment) for moment in moments]
    bound = [actual[slots[index]] if index in slots else p for index, p in enumerate(params)]
    return _count(using, sql, bound)


def _adapt(using: str, moment: datetime) -> Any:
    return connections[using].ops.adapt_datetimefield_value(moment)


def _looks_like_sentinel(param: Any) -> bool:
    if isinstance(param, datetime):
        return param.year == 1800
    return isinstance(param, str) and param.startswith("1800-01-0")


def microseconds(value: Any) -> int:
    """A sum of durations as the database answers it (SQLite: microseconds) in microseconds."""
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    return int(value)


def _key_columns() -> dict[str, Any]:
    keys: dict[str, Any] = {
        f"k_{name}": F(column) for name, column in DIMENSIONS.items() if column is not None
    }
    keys["k_day"] = TruncDate("anchor_at", tzinfo=TZ)
    return keys


def encode(value: Any) -> str:
    return "" if value is None else f"={value}"


def decode(dimension: str, key: str) -> Any:
    if key == "":
        return None
    return int(key[1:]) if dimension in INTEGER_KEYS else key[1:]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


Totals = dict[tuple[str, date, str], list[int]]


def month_of(dimension: str) -> str:
    """The rows summing a grouping's days by month: dimension "m:<grouping>", day the first
    of the month. A year then reads twelve rows a group instead of 365."""
    return f"m:{dimension}"


def _spread(rows: Iterable[dict[str, Any]], sign: int, into: Totals) -> None:
    """Add each combination's figures to the total of every grouping it belongs to, for its
    day and for its month."""
    for row in rows:
        day = _as_date(row["k_day"])
        month = day.replace(day=1)
        for dimension in DIMENSIONS:
            key = "" if dimension == "province" else encode(row[f"k_{dimension}"])
            for total in (
                into.setdefault((dimension, day, key), [0] * len(TOTAL_NAMES)),
                into.setdefault((month_of(dimension), month, key), [0] * len(TOTAL_NAMES)),
            ):
                for index, name in enumerate(TOTAL_NAMES):
                    total[index] += sign * row[name]


def _summed_days(grouping: str, first: date, cut_day: date) -> Q:
    """The totals rows of the days [first, cut_day): whole months from the month rows, the
    days before the first whole month and after the last from the day rows."""
    whole_from = first if first.day == 1 else _next_month(first)
    whole_to = cut_day.replace(day=1)
    if whole_to <= whole_from:
        return Q(dimension=grouping, day__gte=first, day__lt=cut_day)
    return (
        Q(dimension=grouping, day__gte=first, day__lt=whole_from)
        | Q(dimension=month_of(grouping), day__gte=whole_from, day__lt=whole_to)
        | Q(dimension=grouping, day__gte=whole_to, day__lt=cut_day)
    )


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def contribution(dossier_id: int, using: str = "default") -> list[dict[str, Any]]:
    """The dossier's figures as the totals count them (none while it is open)."""
    if using not in _contributions:
        sql, params = _counting_sql(*_contribution_query(SENTINEL_ID, using))
        slot = id_slot(params)
        _contributions[using] = None if slot is None else (sql, params, slot)
    compiled = _contributions[using]
    if compiled is None:
        return count_rows(*_contribution_query(dossier_id, using))
    sql, params, slot = compiled
    bound = list(params)
    bound[slot] = dossier_id
    return _count(using, sql, bound)


def _contribution_query(
    dossier_id: int, using: str
) -> tuple[QuerySet[DossierFacts], Facts, dict[str, Any]]:
    rows = DossierFacts.objects.using(using).filter(pk=dossier_id, anchor_at__isnull=False)
    return rows, StoredFacts(start=EARLIEST, moment=LATEST), _key_columns()


# A closed dossier's contribution is read twice at each of its changes (before and after): its
# statement, the same for every dossier but the id, is compiled once per database and process
# with the facts' ``SENTINEL_ID``, whose place among the parameters then takes the dossier's.
_contributions: dict[str, tuple[str, list[Any], int] | None] = {}


def apply(
    before: list[dict[str, Any]], after: list[dict[str, Any]], using: str = "default"
) -> None:
    """Move the totals from a dossier's figures ``before`` a change to those ``after`` it, in
    one statement (inside the changing transaction)."""
    changes: Totals = {}
    _spread(before, -1, changes)
    _spread(after, 1, changes)
    rows = sorted((key, values) for key, values in changes.items() if any(values))
    if not rows:
        return
    connection = connections[using]
    columns = ", ".join(TOTAL_NAMES)
    placeholders = ", ".join(["%s"] * (3 + len(TOTAL_NAMES)))
    updates = ", ".join(
        f"{name} = reports_factstotal.{name} + excluded.{name}" for name in TOTAL_NAMES
    )
    values = ", ".join(f"({placeholders})" for _ in rows)
    params: list[Any] = []
    for (dimension, day, key), figures in rows:
        params += [dimension, connection.ops.adapt_datefield_value(day), key, *figures]
    sql = (
        f"INSERT INTO reports_factstotal (dimension, day, key, {columns}) "  # noqa: S608
        f"VALUES {values} ON CONFLICT (dimension, day, key) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rebuild(using: str | None = None) -> int:
    """Recompute every total from the facts rows (spans included); returns the rows written."""
    using = using or router.db_for_write(FactsTotal)
    fill_spans(using)
    closed_rows = DossierFacts.objects.using(using).filter(anchor_at__isnull=False)
    totals: Totals = {}
    _spread(
        count_rows(closed_rows, StoredFacts(start=EARLIEST, moment=LATEST), _key_columns()),
        1,
        totals,
    )
    FactsTotal.objects.using(using).all().delete()
    FactsTotal.objects.using(using).bulk_create(
        (
            FactsTotal(
                dimension=dimension,
                day=day,
                key=key,
                **dict(zip(TOTAL_NAMES, figures, strict=True)),
            )
            for (dimension, day, key), figures in sorted(totals.items())
        ),
        batch_size=2000,
    )
    logger.info("reports totals rebuilt rows=%s", len(totals))
    return len(totals)


# --- reading a period -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    """The days [first, cut) of a period read from the totals, as datetimes."""

    start: datetime
    cut: datetime

    @property
    def days(self) -> tuple[date, date]:
        return self.start.astimezone(TZ).date(), self.cut.astimezone(TZ).date()


def cut_of(start: datetime, moment: datetime) -> Cut | None:
    """The totals usable for [start, moment]: whole days ending at the moment's day's end
    when the moment ends it (a past view), else at its start. None when no day is whole."""
    local = moment.astimezone(TZ)
    day_start = datetime.combine(local.date(), time.min, tzinfo=TZ)
    after = moment + timedelta(microseconds=1)
    cut = after if after.astimezone(TZ).time() == time.min else day_start
    return Cut(start=start, cut=cut) if cut > start else None


def _stab(at: datetime, vendor: str) -> Q:
    """Closed dossiers first seen before ``at`` and settled at or after it."""
    if vendor == "postgresql":
        # The expression of the GiST index facts_span_idx (migration 0005).
        contains = RawSQL(
            'tstzrange("reports_dossierfacts"."anchor_at", '
            '"reports_dossierfacts"."settled_at", \'(]\') @> %s',
            (at,),
            output_field=BooleanField(),
        )
        return Q(anchor_at__isnull=False) & Q(contains)
    return Q(anchor_at__lt=at, settled_at__gte=at)


def compose(
    rows: QuerySet[DossierFacts], start: datetime, moment: datetime, grouping: str
) -> dict[Any, dict[str, Any]] | None:
    """The figures of [start, moment] for the province in ``grouping`` from the totals and the
    live remainder (three queries), or None when the period has fewer than ``MIN_DAYS`` whole
    days to read."""
    window = cut_of(start, moment)
    if window is None:
        return None
    first, cut_day = window.days
    if (cut_day - first).days < MIN_DAYS:
        return None
    from motcua.reports import facts as kept

    cut = window.cut
    vendor = connections[rows.db].vendor
    column = DIMENSIONS[grouping]
    group = {"f_group": F(column) if column else Value(None, output_field=CharField())}
    reaches_past_cut = cut <= moment

    def live(start: datetime, moment: datetime, cut: datetime) -> Any:
        covered = Q(anchor_at__gte=start, anchor_at__lt=cut, settled_at__lt=cut)
        arms = (
            Q(ended_at__isnull=True, received_at__lte=moment)
            | Q(
                refused_at__gte=start,
                refused_at__lte=moment,
                ended_at__isnull=True,
                received_at__isnull=False,
            )
            | _stab(start, vendor)
            | _stab(cut, vendor)
        )
        if reaches_past_cut:
            arms |= Q(anchor_at__gte=cut)
        counted = kept.prefilter(rows, start, moment).filter(arms).exclude(covered)
        return counted, StoredFacts(start=start, moment=moment), group

    def straddling(start: datetime, moment: datetime, cut: datetime) -> Any:
        settled_since = rows.filter(_stab(cut, vendor), anchor_at__gte=start)
        return settled_since, StoredFacts(start=EARLIEST, moment=LATEST), group

    summed = cast(
        "Iterable[dict[str, Any]]",
        FactsTotal.objects.using(rows.db)
        .filter(_summed_days(grouping, first, cut_day))
        .values("key")
        .annotate(**{f"s_{name}": Sum(name) for name in TOTAL_NAMES}),
    )
    result: dict[Any, list[int]] = defaultdict(lambda: [0] * len(TOTAL_NAMES))
    for sums in summed:
        total = result[decode(grouping, sums["key"])]
        for index, name in enumerate(TOTAL_NAMES):
            total[index] += int(sums[f"s_{name}"] or 0)
    moments = (start, moment, cut)
    for sign, build in ((1, live), (-1, straddling)):
        shape = (rows.db, build.__name__, grouping, reaches_past_cut)
        counted = (
            count_shaped(shape, build, moments)
            if not rows.query.where
            else count_rows(*build(*moments))
        )
        for row in counted:
            total = result[row["f_group"]]
            for index, name in enumerate(TOTAL_NAMES):
                total[index] += sign * row[name]
    # A group whose dossiers all cancelled out counts nothing, as if it had none.
    return {
        key: dict(zip(TOTAL_NAMES, values, strict=True))
        for key, values in result.items()
        if any(values)
    }
