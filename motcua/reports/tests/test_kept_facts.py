"""The facts kept per dossier (``motcua.reports.facts``) give the figures the history gives.

The history expressions are the reference (their figures are checked against hand-worked
values in ``test_indicators``); here both ways count the same month of dossiers, for the
month as of every one of its days and for other periods, in every grouping, and the kept
rows are compared with rows recomputed from scratch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from motcua.conftest import World
from motcua.dossiers.models import Dossier
from motcua.reports import facts, selectors
from motcua.reports.models import DossierFacts
from motcua.reports.tests.scenario import Month, at, build_month

pytestmark = pytest.mark.usefixtures("stub_pdfs")
NOW = at(15, 12, month=4)


@pytest.fixture
def month(world: World, set_now: Callable[[datetime], None]) -> Month:
    built = build_month(world, set_now)
    set_now(NOW)
    return built


def normalised(figures: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {
        key: {
            name: selectors._as_timedelta(value) if name == "avg_time" else int(value or 0)
            for name, value in values.items()
        }
        for key, values in figures.items()
    }


def both_ways(period: selectors.Period, grouping: str) -> tuple[dict[Any, Any], dict[Any, Any]]:
    dossiers = Dossier.objects.all()
    kept = selectors.aggregate(dossiers, period, grouping)
    history = selectors.aggregate(dossiers, period, grouping, history=True)
    return normalised(kept), normalised(history)


PERIODS = [
    ("2026-02-01", "2026-02-28", None),
    ("2026-03-01", "2026-03-31", None),
    ("2026-04-01", "2026-04-30", None),
    ("2026-01-01", "2026-12-31", None),
] + [("2026-03-01", "2026-03-31", (date(2026, 3, 1) + timedelta(days=n)).isoformat())
     for n in range(31)]  # fmt: skip


@pytest.mark.parametrize("grouping", ["province", "ward", "agency", "procedure"])
def test_kept_facts_count_what_the_history_counts(
    world: World, month: Month, grouping: str
) -> None:
    for first, last, as_of in PERIODS:
        period = selectors.parse_period(first, last, as_of, now=NOW)
        kept, history = both_ways(period, grouping)
        assert kept == history, (first, last, as_of)
    march = selectors.parse_period("2026-03-01", "2026-03-31", None, now=NOW)
    # A, B, C, D, E, G, F, P at Phường Pleiku and Q at Phường Quy Nhơn (H was refused).
    assert sum(values["received"] for values in both_ways(march, grouping)[0].values()) == 9


def test_a_past_view_before_a_supplement_falls_back_to_the_history(
    world: World, month: Month
) -> None:
    """C's supplement after appraisal ran from 4/3 to 5/3: seen as of 4/3 its kept supplement
    facts (last changed on 5/3) are not yet true, and the history decides."""
    row = DossierFacts.objects.get(dossier=month["C"])
    assert row.supplements == 1
    assert row.supplements_since == at(5, 9, 30)
    assert row.supplement_time == timedelta(hours=24)

    period = selectors.parse_period("2026-03-01", "2026-03-31", "2026-03-04", now=NOW)
    kept, history = both_ways(period, "ward")
    pleiku = kept[world.pleiku.ward.code]
    assert kept == history
    # By the end of 4/3 J, A, B and D had ended; C, received that morning, waits for its
    # supplement.
    assert pleiku["pending"] == 1
    assert pleiku["received"] == 4  # A and B on 2/3, C and D on 4/3


def test_the_rows_kept_along_the_way_equal_rows_recomputed_now(world: World, month: Month) -> None:
    """Every change of the month refreshed its dossier's row as it happened; none was missed."""
    fields = [f.name for f in DossierFacts._meta.fields]
    kept = {row["dossier"]: row for row in DossierFacts.objects.values(*fields)}
    DossierFacts.objects.all().delete()
    for dossier_id in Dossier.objects.values_list("pk", flat=True):
        facts.refresh(dossier_id)
    again = {row["dossier"]: row for row in DossierFacts.objects.values(*fields)}

    assert kept == again
    assert set(kept) == set(Dossier.objects.values_list("pk", flat=True))
    assert kept[month["A"].pk]["satisfied_at"] is not None
    assert kept[month["B"].pk]["complained_at"] is not None


def test_the_statement_compiled_once_reads_what_the_query_reads(
    world: World, month: Month, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every dossier of the month, read through the statement compiled once, gives what its
    own query, compiled for it, gives: every fact, converted to the same Python values."""
    compiled = 0
    build = facts._facts_of

    def counted(dossier_id: int) -> Any:
        nonlocal compiled
        compiled += dossier_id == facts.SENTINEL_ID
        return build(dossier_id)

    monkeypatch.setattr(facts, "_facts_of", counted)
    monkeypatch.setattr(facts, "_compiled", threading.local())
    ids = list(Dossier.objects.values_list("pk", flat=True))
    read = {pk: facts.read_facts(pk) for pk in ids}

    assert read == {pk: build(pk).first() for pk in ids}
    assert compiled == 1
    assert len(ids) > 5 and facts.read_facts(max(ids) + 1000) is None
    assert any(row and row["x_supplement_time"] for row in read.values())
    assert any(row and isinstance(row["x_received"], datetime) for row in read.values())


def test_the_first_delivery_is_found_through_the_dossier_s_stream(world: World) -> None:
    """SQLite (no statistics) must read the outbox by the dossier's stream, not by the state
    index, which holds every message ever delivered: the row is refreshed at every change."""
    if connection.vendor != "sqlite":
        pytest.skip("the plan of SQLite's planner")
    statement = facts._statement(connection.alias)
    assert statement is not None
    params = list(statement.params)
    params[statement.slot] = 1
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + statement.sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "exchange_outbox_stream_idx" in plan
    assert "exchange_outbox_due_idx" not in plan
