"""The day totals of closed dossiers (``motcua.reports.totals``) plus the live remainder give
the figures the history gives: for whole years, months, a past month as of each of its days,
periods that straddle closed and open days, every grouping, after late events on old dossiers
(a supplement, an appointment moved with Mẫu 04, a complaint weeks after the result), and
today's changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from motcua.conftest import World
from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.land import SPLIT, Land, land
from motcua.dossiers.tests.land import at as land_at
from motcua.reports import selectors, totals
from motcua.reports import services as reports
from motcua.reports.facts import StoredFacts
from motcua.reports.models import DossierFacts, FactsTotal
from motcua.reports.tests.scenario import Builder, at, build_month

__all__ = ["land"]  # fixture

pytestmark = pytest.mark.usefixtures("stub_pdfs")
# Noon of 15 April: the day's first hours hold changes the totals have not closed.
NOW = at(15, 12, month=4)
GROUPINGS = ["province", "former_province", "ward", "agency", "procedure"]


@pytest.fixture(autouse=True)
def every_whole_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The totals read for any whole day, short periods too (they are left to the rows alone
    by default, see ``test_a_short_period_is_counted_from_the_rows``)."""
    monkeypatch.setattr(totals, "MIN_DAYS", 1)


@pytest.fixture
def months(world: World, land: Land, set_now: Callable[[datetime], None]) -> dict[str, Dossier]:
    """The March of ``scenario`` and, in April, late events on its dossiers and today's."""
    built: dict[str, Any] = dict(build_month(world, set_now).dossiers)
    b = Builder(world, set_now)
    # A land dossier received 2/3 at Pleiku, its appointment moved on 10/3 (Mẫu 04), resolved
    # by the Quy Nhơn branch on 7/4.
    set_now(land_at(date(2026, 3, 2), 9))
    split = land.receive(SPLIT)
    land.forward(split)
    set_now(land_at(date(2026, 3, 10), 10))
    services.reschedule(
        split.pk, actor=land.quynhon.leader, new_date=date(2026, 3, 25), reason="Chờ đo đạc."
    )
    set_now(at(7, 9, month=4))
    branch = land.branch_of(split)
    services.start_processing(split.pk, actor=branch.specialist)
    set_now(at(7, 10, month=4))
    services.stop(split.pk, actor=branch.leader, reason="Người nộp không bổ sung.")
    built["split"] = split
    # E (received 5/3, overdue) is approved in April.
    b.approve(built["E"], at(3, 10, month=4), start=False)
    # S, received 30/3, waits for a supplement from 30/3 to 1/4 and is approved then.
    built["S"] = b.received(at(30, 9))
    b.start(built["S"], at(30, 9, 15))
    b.supplement(built["S"], at(30, 9, 30), at(1, 9, 30, month=4))
    b.approve(built["S"], at(1, 11, month=4), start=False)
    # A (returned and rated 2/3) draws a complaint five weeks later.
    set_now(at(6, 9, month=4))
    reports.file_complaint(access_token=built["A"].access_token, content="Sai tên trong bản sao.")
    # Today: F (received 31/3) approved, a dossier received and approved, one refused.
    b.approve(built["F"], at(15, 9, month=4))
    built["today"] = b.received(at(15, 9, 30, month=4), world.quynhon)
    b.approve(built["today"], at(15, 10, month=4))
    set_now(at(15, 10, 30, month=4))
    built["refused"] = world.submit()
    services.refuse(built["refused"].pk, actor=world.pleiku.receiver, reason="Sai thẩm quyền.")
    set_now(NOW)
    return built


def normalised(figures: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Figures by group, without the groups that count nothing."""
    clean = {
        key: {
            name: selectors._as_timedelta(value) if name == "avg_time" else int(value or 0)
            for name, value in values.items()
        }
        for key, values in figures.items()
    }
    return {key: values for key, values in clean.items() if any(values.values())}


def both_ways(period: selectors.Period, grouping: str) -> tuple[dict[Any, Any], dict[Any, Any]]:
    dossiers = Dossier.objects.all()
    kept = selectors.aggregate(dossiers, period, grouping)
    history = selectors.aggregate(dossiers, period, grouping, history=True)
    return normalised(kept), normalised(history)


def day(month: int, n: int) -> str:
    return date(2026, month, n).isoformat()


PERIODS = [
    ("2026-01-01", "2026-12-31", None),  # the year so far
    ("2025-01-01", "2026-12-31", None),  # two years
    ("2026-01-01", "2026-03-31", None),  # a past quarter
    ("2026-02-01", "2026-02-28", None),
    ("2026-03-01", "2026-03-31", None),
    ("2026-04-01", "2026-04-30", None),  # this month, today included
    ("2026-04-15", "2026-04-15", None),  # today alone: nothing closed to read
    ("2026-02-15", "2026-04-10", None),  # straddles months
    ("2026-03-03", "2026-04-15", "2026-04-06"),  # a past view the day of A's complaint
    ("2026-03-05", "2026-03-05", None),  # one past day
    ("2026-01-01", "2026-12-31", "2026-03-31"),  # the year as of the end of March
] + [("2026-03-01", "2026-03-31", day(3, n)) for n in range(1, 32)] + [
    ("2026-04-01", "2026-04-30", day(4, n)) for n in range(1, 16)
]  # fmt: skip


@pytest.mark.parametrize("grouping", GROUPINGS)
def test_totals_and_the_remainder_count_what_the_history_counts(
    world: World, months: dict[str, Dossier], grouping: str
) -> None:
    for first, last, as_of in PERIODS:
        period = selectors.parse_period(first, last, as_of, now=NOW)
        kept, history = both_ways(period, grouping)
        assert kept == history, (first, last, as_of)
    year = selectors.parse_period("2026-01-01", "2026-12-31", None, now=NOW)
    kept, _ = both_ways(year, grouping)
    # J (27/2), the 9 of March (A, B, C, D, E, G, F, P, Q), S, the land dossier, today's one.
    assert sum(values["received"] for values in kept.values()) == 13
    assert sum(values["refused"] for values in kept.values()) == 2  # H and today's


def test_the_totals_are_read_and_the_late_events_moved_them(
    world: World, months: dict[str, Dossier]
) -> None:
    """Without the totals the closed days count nothing (so they are read, not recomputed);
    the late events moved the totals of the days the dossiers were first seen."""
    march = selectors.parse_period("2026-03-01", "2026-03-31", None, now=NOW)
    kept, history = both_ways(march, "province")
    assert kept == history
    received = kept[None]["received"]
    assert received == 11  # the 9 of the scenario, S and the land dossier

    totals_of = {
        row.day: row
        for row in FactsTotal.objects.filter(dimension="province", key="")
        if any(getattr(row, name) for name in totals.TOTAL_NAMES)
    }
    # 2/3: A (complained on 6/4), B, and the land dossier (stopped 7/4, rescheduled 10/3).
    second = totals_of[date(2026, 3, 2)]
    assert (second.received, second.resolved, second.complained) == (3, 3, 2)
    # 5/3: E, approved on 3/4, long after its 17:00 appointment.
    fifth = totals_of[date(2026, 3, 5)]
    assert (fifth.received, fifth.resolved, fifth.resolved_late) == (1, 1, 1)
    # 31/3: F, approved this morning, is in its day's total, though today is still open.
    assert totals_of[date(2026, 3, 31)].approved == 1

    FactsTotal.objects.all().delete()
    assert normalised(selectors.aggregate(Dossier.objects.all(), march, "province")) != kept
    totals.rebuild()
    assert both_ways(march, "province")[0] == kept


def test_rebuild_gives_the_totals_kept_along_the_way(
    world: World, months: dict[str, Dossier]
) -> None:
    def snapshot() -> dict[tuple[str, date, str], tuple[int, ...]]:
        return {
            (row.dimension, row.day, row.key): values
            for row in FactsTotal.objects.all()
            if any(values := tuple(getattr(row, name) for name in totals.TOTAL_NAMES))
        }

    spans = dict(DossierFacts.objects.values_list("pk", "settled_at"))
    kept = snapshot()
    assert len(kept) > 20
    DossierFacts.objects.update(anchor_at=None, settled_at=None)
    totals.rebuild()
    assert snapshot() == kept
    assert dict(DossierFacts.objects.values_list("pk", "settled_at")) == spans
    # A's last kept time is its complaint; every dossier of the scenario is closed by now.
    assert spans[months["A"].pk] == at(6, 9, month=4)
    assert DossierFacts.objects.filter(anchor_at__isnull=True).count() == 0


def test_a_past_views_query_count_does_not_grow(
    world: World, months: dict[str, Dossier], set_now: Callable[[datetime], None]
) -> None:
    year = selectors.parse_period("2026-01-01", "2026-12-31", "2026-04-10", now=NOW)
    with CaptureQueriesContext(connection) as before:
        selectors.aggregate(Dossier.objects.all(), year, "ward")
    b = Builder(world, set_now)
    for n in range(3):
        dossier = b.received(at(1, 9 + n, month=4), world.quynhon)
        b.approve(dossier, at(1, 10 + n, month=4))
    set_now(NOW)
    with CaptureQueriesContext(connection) as after:
        figures = selectors.aggregate(Dossier.objects.all(), year, "ward")
    assert len(before) == len(after) == 3  # the totals, the live rows, the settled since
    # Q and the three of 1/4 (today's is after 10/4).
    assert figures[world.quynhon.ward.code]["received"] == 4


def test_cut_is_the_end_of_a_past_day_or_the_start_of_today() -> None:
    start = at(1, 0)
    end_of_fifth = at(6, 0) - timedelta(microseconds=1)
    cut = totals.cut_of(start, end_of_fifth)
    assert cut is not None and cut.cut == at(6, 0)
    assert cut.days == (date(2026, 3, 1), date(2026, 3, 6))
    noon = totals.cut_of(start, at(6, 12))
    assert noon is not None and noon.cut == at(6, 0)
    assert totals.cut_of(at(6, 0), at(6, 12)) is None


def test_a_deleted_dossier_leaves_the_totals(world: World, months: dict[str, Dossier]) -> None:
    march = selectors.parse_period("2026-03-01", "2026-03-31", "2026-03-31", now=NOW)
    # B's complaint and C's "not satisfied" (A's complaint came in April).
    assert both_ways(march, "ward")[0][world.pleiku.ward.code]["complained"] == 2
    Dossier.objects.filter(pk=months["B"].pk).delete()
    kept, history = both_ways(march, "ward")
    assert kept == history
    assert kept[world.pleiku.ward.code]["complained"] == 1


def test_a_short_period_is_counted_from_the_rows(
    world: World, months: dict[str, Dossier], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(totals, "MIN_DAYS", 10)
    for first, last, as_of, queries in (
        ("2026-04-01", "2026-04-30", None, 3),  # 1/4 to 14/4: 14 whole days
        ("2026-04-06", "2026-04-30", None, 1),  # 6/4 to 14/4: 9
        ("2026-03-01", "2026-03-31", "2026-03-09", 1),  # 9
        ("2026-03-01", "2026-03-31", "2026-03-10", 3),  # 10
    ):
        period = selectors.parse_period(first, last, as_of, now=NOW)
        with CaptureQueriesContext(connection) as counted:
            kept = normalised(selectors.aggregate(Dossier.objects.all(), period, "ward"))
        assert len(counted) == queries, (first, as_of)
        assert kept == both_ways(period, "ward")[1]


def test_a_shapes_query_is_compiled_once_for_every_period(
    world: World, months: dict[str, Dossier], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The province's counting queries are compiled once per shape (sentinels for the
    moments); each period then gets its own figures, those of the history."""
    monkeypatch.setattr(totals, "_compiled", {})
    compiled: list[tuple[Any, ...]] = []
    original = totals.count_rows

    def counting(*args: Any) -> list[dict[str, Any]]:
        if isinstance(args[1], StoredFacts):  # not the history's reference counts
            compiled.append(args)
        return original(*args)

    monkeypatch.setattr(totals, "count_rows", counting)
    # Each past day of March 10–14 as of its end: the same shape (totals, live, settled since).
    for day in range(10, 15):
        period = selectors.parse_period("2026-03-01", "2026-03-31", f"2026-03-{day}", now=NOW)
        kept, history = both_ways(period, "ward")
        assert kept == history, day
    assert set(totals._compiled) == {
        ("default", "live", "ward", False),  # a past day's end: the moment is before the cut
        ("default", "straddling", "ward", False),
    }
    assert compiled == []  # nothing compiled outside the cache
    # The sentinels stand for moments no history has.
    assert all(moment.year == 1800 for moment in totals.SENTINELS)


def test_a_months_total_is_the_sum_of_its_days(world: World, months: dict[str, Dossier]) -> None:
    summed: dict[tuple[str, date, str], list[int]] = {}
    stored: dict[tuple[str, date, str], list[int]] = {}
    for row in FactsTotal.objects.all():
        values = [getattr(row, name) for name in totals.TOTAL_NAMES]
        if row.dimension.startswith("m:"):
            assert row.day.day == 1
            stored[(row.dimension, row.day, row.key)] = values
            continue
        month = summed.setdefault(
            (f"m:{row.dimension}", row.day.replace(day=1), row.key), [0] * len(values)
        )
        month[:] = [a + b for a, b in zip(month, values, strict=True)]
    assert {k: v for k, v in stored.items() if any(v)} == {
        k: v for k, v in summed.items() if any(v)
    }
    # March: the 9 of the scenario, S and the land dossier were received.
    assert stored[("m:province", date(2026, 3, 1), "")][1] == 11


def test_whole_months_are_read_from_the_month_totals() -> None:
    rows = totals._summed_days("ward", date(2026, 1, 15), date(2026, 4, 15))
    assert rows == (
        Q(dimension="ward", day__gte=date(2026, 1, 15), day__lt=date(2026, 2, 1))
        | Q(dimension="m:ward", day__gte=date(2026, 2, 1), day__lt=date(2026, 4, 1))
        | Q(dimension="ward", day__gte=date(2026, 4, 1), day__lt=date(2026, 4, 15))
    )
    # No whole month: the days alone.
    assert totals._summed_days("ward", date(2026, 3, 2), date(2026, 3, 31)) == Q(
        dimension="ward", day__gte=date(2026, 3, 2), day__lt=date(2026, 3, 31)
    )
    # December's next month is January.
    assert totals._next_month(date(2025, 12, 5)) == date(2026, 1, 1)


def test_a_contribution_compiled_once_counts_what_its_own_query_counts(
    world: World, months: dict[str, Dossier], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every dossier's figures, through the statement compiled once, equal those of its own
    query (closed or open, civil-status or land)."""
    monkeypatch.setattr(totals, "_contributions", {})
    ids = list(Dossier.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        compiled = {pk: totals.contribution(pk) for pk in ids}
    own = {pk: totals.count_rows(*totals._contribution_query(pk, "default")) for pk in ids}

    assert compiled == own
    assert len(queries.captured_queries) == len(ids)  # compiling asks the database nothing
    assert sum(1 for rows in compiled.values() if rows) > 5  # closed dossiers counted
    assert list(totals._contributions) == ["default"]


def test_only_the_first_status_delivered_refreshes_the_row(
    world: World, months: dict[str, Dossier], set_now: Callable[[datetime], None]
) -> None:
    from django.db import transaction

    from motcua.exchange import outbox
    from motcua.exchange.models import OutboxMessage, Peer
    from motcua.reports.indicators import SYNC_KIND

    portal = Peer.objects.create(
        code="cong-dvcqg-thu", name="Cổng DVCQG (thử)", kind="portal",
        base_url="http://127.0.0.1:9/", secret="bi-mat-thu",  # noqa: S106 (test value)
    )  # fmt: skip
    dossier = Dossier.objects.order_by("pk").first()
    assert dossier is not None
    stream = f"dossier:{dossier.pk}"
    first = at(16, 10, month=4)
    with transaction.atomic():
        status = {"MaHoSo": dossier.code, "SoThuTuCapNhat": 1, "TrangThaiHoSo": 1}
        message = outbox.post(
            peer=portal, kind=SYNC_KIND, payload={"data": [status]}, stream=stream,
            dedupe_key="t1",
        )  # fmt: skip
    set_now(first)
    outbox._record_delivery(message, {"ok": True})
    assert DossierFacts.objects.get(pk=dossier.pk).synced_at == first

    # A later status of the same dossier delivered: the row is read, nothing recomputed.
    with CaptureQueriesContext(connection) as queries:
        outbox.message_delivered.send(
            sender=OutboxMessage, kind=SYNC_KIND, stream=stream, delivered_at=first
        )
    assert len(queries.captured_queries) == 1
    assert DossierFacts.objects.get(pk=dossier.pk).synced_at == first
