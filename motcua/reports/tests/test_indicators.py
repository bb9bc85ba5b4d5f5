"""Decision 766 figures on the hand-built month of ``scenario`` (expected values worked out
by hand in the scenario's docstring, not by the code under test)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from motcua.conftest import World
from motcua.dossiers.models import Dossier
from motcua.reports import selectors
from motcua.reports.tests.scenario import Month, at, build_month

pytestmark = pytest.mark.usefixtures("stub_pdfs")


@pytest.fixture
def month(world: World, set_now: Callable[[datetime], None]) -> Month:
    built = build_month(world, set_now)
    set_now(at(15, 12, month=4))
    return built


def march(as_of: str | None = None) -> selectors.Period:
    return selectors.parse_period("2026-03-01", "2026-03-31", as_of, now=at(15, 12, month=4))


def pleiku_row(world: World, period: selectors.Period) -> selectors.Row:
    rows = selectors.rows_for(Dossier.objects.all(), period, "ward", selectors.Scope(True))
    return next(row for row in rows if row.key == world.pleiku.ward.code)


def test_periodic_statistics_of_march_at_pleiku(world: World, month: Month) -> None:
    row = pleiku_row(world, march())

    assert row.count("carried_over") == 1  # J
    assert row.count("received") == 8  # A B C D E G F P (J is February's)
    assert row.count("received_online") == 8
    assert row.count("received_direct") == 0
    assert row.count("resolved") == 6  # J A B C D P
    assert row.count("resolved_on_time") == 3  # A C P
    assert row.count("resolved_late") == 3  # J B D
    assert row.count("withdrawn") == 1  # G
    assert row.count("refused") == 1  # H
    assert row.count("pending") == 2  # E F
    assert row.count("pending_overdue") == 1  # E
    assert row.count("pending_on_time") == 1  # F


def test_indicators_of_march_at_pleiku(world: World, month: Month) -> None:
    row = pleiku_row(world, march())

    # 2.1: resolved (J A B C D P) + withdrawn (G) + pending (E F) = 9; on time: A C P G F.
    assert (row.on_time.numerator, row.on_time.denominator) == (5, 9)
    assert row.on_time.percent == Decimal("55.6")
    # 2.2: J 73 h, A 5 h, B 24.5 h, C 2 h, D 2 h, P 1.5 h (from the payment at 08:30) → 18 h.
    assert row.avg_days == Decimal("0.75")
    # 3.3: every March dossier of Pleiku was filed online.
    assert row.online.percent == Decimal("100.0")
    # 3.6: 8 received, all fee-bearing (16.000 đ); only P was paid online.
    assert (row.paid_online.numerator, row.paid_online.denominator) == (1, 8)
    # 4.2: of the 6 results approved in March only A has attachments and an electronic result.
    assert (row.digitised.numerator, row.digitised.denominator) == (1, 6)
    # 5.4: 100 − (3 late of 6 + 2 with a complaint (B) or "not satisfied" (C) of 6) = 16.7.
    assert row.satisfaction == Decimal("16.7")
    assert row.count("rated_satisfied") == 1
    assert row.count("rated_unsatisfied") == 1


def test_commune_ranking_lists_every_commune(world: World, month: Month) -> None:
    rows = selectors.rows_for(Dossier.objects.all(), march(), "ward", selectors.Scope(True))

    assert len(rows) == 135
    assert [(row.rank, row.key) for row in rows[:2]] == [
        (1, world.quynhon.ward.code),  # 1 of 1 on time
        (2, world.pleiku.ward.code),  # 5 of 9
    ]
    assert all(row.rank is None and row.count("received") == 0 for row in rows[2:])


def test_groupings_count_each_dossier_once(world: World, month: Month) -> None:
    period = march()
    total = selectors.total_row(Dossier.objects.all(), period)
    for grouping in ("former_province", "agency", "procedure", "ward"):
        rows = selectors.rows_for(Dossier.objects.all(), period, grouping, selectors.Scope(True))
        assert sum(row.count("received") for row in rows) == total.count("received") == 9
    former = selectors.rows_for(
        Dossier.objects.all(), period, "former_province", selectors.Scope(True)
    )
    assert {row.key: row.count("received") for row in former} == {"gia_lai": 8, "binh_dinh": 1}


def test_figures_as_they_stood_on_2_march(world: World, month: Month) -> None:
    row = pleiku_row(world, march("2026-03-02"))

    assert row.count("carried_over") == 1  # J
    assert row.count("received") == 2  # A B
    assert row.count("resolved_on_time") == 1  # A
    assert row.count("resolved_late") == 1  # J
    assert row.count("pending") == 1  # B, approved only on the 3rd
    assert row.count("pending_overdue") == 1  # due 2/3 17:00
    assert row.satisfaction == Decimal("50.0")  # 1 late of 2; B's complaint came on the 3rd
    drilled = selectors.drill(Dossier.objects.all(), march("2026-03-02"), "pending")
    assert [(d.code, d.r_state) for d in drilled] == [(month["B"].code, "processing")]
    assert month["B"].state == "approved"


def test_balance_of_the_month(world: World, month: Month) -> None:
    row = pleiku_row(world, march())
    ended = row.count("resolved") + row.count("withdrawn") + row.count("pending")
    assert row.count("carried_over") + row.count("received") == ended


def test_drill_into_late_dossiers(world: World, month: Month) -> None:
    late = selectors.drill(Dossier.objects.all(), march(), "resolved_late")
    assert {d.code for d in late} == {month[n].code for n in ("J", "B", "D")}
    d = next(d for d in late if d.code == month["D"].code)
    assert d.r_supplements == 2
    c = next(
        iter(
            selectors.drill(Dossier.objects.all(), march(), "resolved_on_time").filter(
                pk=month["C"].pk
            )
        )
    )
    assert c.r_supplement_time == timedelta(hours=24)
    assert c.r_due_at == at(4, 17)  # the appointment given at reception, not the restart
    assert month["C"].due_at == at(5, 17)  # the legal clock restarted on 5/3


def test_sync_rate_counts_statuses_delivered_to_the_national_portal(
    world: World, month: Month, set_now: Callable[[datetime], None]
) -> None:
    from django.db import transaction

    from motcua.exchange import outbox
    from motcua.exchange.models import OutboxMessage, OutboxState, Peer

    portal = Peer.objects.create(
        code="cong-dvcqg-thu", name="Cổng DVCQG (thử)", kind="portal",
        base_url="http://127.0.0.1:9/", secret="bi-mat-thu",  # noqa: S106 (test value)
    )  # fmt: skip
    delivered = {"A": at(2, 10), "B": at(3, 10), "C": None}
    for name, when in delivered.items():
        set_now(at(2, 9, 45))
        with transaction.atomic():
            message = outbox.post(
                peer=portal,
                kind="dvcqg.status",
                # A status message as the portal's mapping writes it (the worker records
                # the portal's acknowledgement of it with the delivery).
                payload={
                    "data": [{"MaHoSo": month[name].code, "SoThuTuCapNhat": 1, "TrangThaiHoSo": 1}]
                },
                stream=f"dossier:{month[name].pk}",
                dedupe_key=f"test:{name}",
            )
        if when is not None:
            # What the worker records once the portal acknowledged the status.
            set_now(when)
            outbox._record_delivery(message, {"ok": True})
            assert OutboxMessage.objects.get(pk=message.pk).state == OutboxState.DELIVERED
    set_now(at(15, 12, month=4))

    row = pleiku_row(world, march())
    assert (row.synced.numerator, row.synced.denominator) == (2, 8)  # A B; C is still queued
    before = pleiku_row(world, march("2026-03-02"))
    assert (before.synced.numerator, before.synced.denominator) == (1, 2)  # B's came on the 3rd


def test_reporting_presets() -> None:
    from datetime import date

    assert [(first, last) for _, first, last in selectors.presets(date(2026, 5, 20))] == [
        (date(2026, 5, 1), date(2026, 5, 31)),
        (date(2026, 4, 1), date(2026, 4, 30)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 1, 1), date(2026, 12, 31)),
    ]
    assert selectors.presets(date(2026, 1, 5))[1][1:] == (date(2025, 12, 1), date(2025, 12, 31))


def test_every_count_matches_its_drill_down(world: World, month: Month) -> None:
    """The counting query and the drill-down state each figure twice (SQL over the facts'
    columns, ORM conditions): they must list the same dossiers."""
    from motcua.reports.indicators import FIGURES

    for as_of in (None, "2026-03-02", "2026-03-05"):
        period = march(as_of)
        total = selectors.total_row(Dossier.objects.all(), period)
        for key in FIGURES:
            drilled = selectors.drill(Dossier.objects.all(), period, key).count()
            assert (key, as_of, total.count(key)) == (key, as_of, drilled)


def test_the_total_is_the_sum_of_the_groups(world: World, month: Month) -> None:
    period = march()
    direct = selectors.total_row(Dossier.objects.all(), period)
    for grouping in ("ward", "agency", "former_province", "procedure"):
        _, total = selectors.table(Dossier.objects.all(), period, grouping, selectors.Scope(True))
        assert {k: total.count(k) for k in direct.figures if k != "avg_time"} == {
            k: direct.count(k) for k in direct.figures if k != "avg_time"
        }
        # Pleiku 108 h (6 dossiers) and Quy Nhơn 45 min: 108.75 h / 7 / 24 = 0.647 days.
        assert total.avg_days == direct.avg_days == Decimal("0.65")
