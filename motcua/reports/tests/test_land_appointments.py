"""A boundaryless land dossier: received at Pleiku, resolved by the Quy Nhơn land branch, its
appointment moved once with an apology (Mẫu 04). The figures follow the appointment as it was
on each date, and the dossier counts once in every grouping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from django.test import Client

from motcua.conftest import World
from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.land import SPLIT, Land, at, land, working_days_due
from motcua.reports import selectors

__all__ = ["land"]  # fixture

pytestmark = pytest.mark.usefixtures("stub_pdfs")
RECEIVED = at(date(2026, 3, 2), 9)


@pytest.fixture
def split(world: World, land: Land, set_now: Callable[[datetime], None]) -> Dossier:
    set_now(RECEIVED)
    dossier = land.receive(SPLIT)
    land.forward(dossier)
    set_now(at(date(2026, 3, 10), 10))
    services.reschedule(
        dossier.pk, actor=land.quynhon.leader, new_date=date(2026, 3, 25), reason="Chờ đo đạc."
    )
    set_now(at(date(2026, 4, 15), 12))
    dossier.refresh_from_db()
    return dossier


def facts(as_of: str, pk: int) -> Dossier:
    period = selectors.parse_period("2026-03-01", "2026-03-31", as_of)
    found = selectors.drill(Dossier.objects.filter(pk=pk), period, None).get()
    return found


def test_the_appointment_as_it_stood(world: World, land: Land, split: Dossier) -> None:
    first = working_days_due(RECEIVED, 12)
    assert first == at(date(2026, 3, 18), 17)

    assert facts("2026-03-09", split.pk).r_due_at == first
    assert facts("2026-03-20", split.pk).r_due_at == at(date(2026, 3, 25), 17)

    period = selectors.parse_period("2026-03-01", "2026-03-31", "2026-03-20")
    total = selectors.total_row(Dossier.objects.all(), period)
    assert (total.count("pending_on_time"), total.count("pending_overdue")) == (1, 0)
    # By the end of March it is overdue (25/3 17:00 passed).
    end = selectors.total_row(
        Dossier.objects.all(), selectors.parse_period("2026-03-01", "2026-03-31", None)
    )
    assert (end.count("pending_on_time"), end.count("pending_overdue")) == (0, 1)


def test_counted_once_where_received_and_where_resolved(
    world: World,
    land: Land,
    split: Dossier,
) -> None:
    period = selectors.parse_period("2026-03-01", "2026-03-31", None)
    everything = selectors.Scope(True)
    by_ward = selectors.rows_for(Dossier.objects.all(), period, "ward", everything)
    assert {r.key: r.count("received") for r in by_ward if r.count("received")} == {
        world.pleiku.ward.code: 1
    }
    by_agency = selectors.rows_for(Dossier.objects.all(), period, "agency", everything)
    assert {r.key: r.count("received") for r in by_agency} == {land.quynhon.agency.pk: 1}

    # The branch's leader sees it on the unit dashboard, under the commune of receipt.
    client = Client()
    client.force_login(land.quynhon.leader)
    response = client.get("/mot-cua/bao-cao/?from=2026-03-01&to=2026-03-31")
    assert [(r.label, r.count("received")) for r in response.context["rows"]] == [
        (world.pleiku.ward.name, 1)
    ]
