"""A tiny scenario run end to end against a live server (two units, nine dossiers, ×200):
the report's counts are the server's counts, and nothing is lost."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from motcua.conftest import PLEIKU_WARD, QUYNHON_WARD, World
from motcua.core import clock
from motcua.dossiers.models import Dossier
from motcua.drill.runner import Drill
from motcua.drill.scenario import parse_scenario
from motcua.drill.staff import issue_drill_tokens

pytestmark = pytest.mark.django_db(transaction=True)

TINY = {
    "name": "tiny",
    "date": "2025-06-25",
    "window": {"start": "14:00", "end": "14:20"},
    "work_until": "16:00",
    "compression": 200,
    "groups": [
        {
            "units": [PLEIKU_WARD, QUYNHON_WARD],
            "procedures": [{"code": "2.000635", "per_hour": 18}],
            "pace_minutes": {"receive": 1, "process": 2, "approve": 1, "return": 1},
        }
    ],
    "channels": {"online": 0.7, "counter": 0.3},
    "online_payment": 0.8,
    "faults": [
        {"kind": "payment_notification_lost", "at": "14:05", "minutes": 10},
        {"kind": "slow_peer", "at": "14:10"},
    ],
    "seed": 22,  # 9 dossiers: counter and online, cash and online payment, lost notices
}


@pytest.fixture
def drill_server(world: World, live_server: Any, settings: Any, stub_pdfs: Any) -> Any:
    """The live server in drill mode, with the gateway's call-backs pointed at it."""
    settings.MOTCUA_DRILL = True
    settings.MOTCUA_PUBLIC_URL = live_server.url
    settings.MOTCUA_PAYMENT_GATEWAY_URL = f"{live_server.url}/sandbox-gateway/pay"
    settings.MOTCUA_PAYMENT_QUERY_URL = f"{live_server.url}/sandbox-gateway/query"
    clock.forget_anchor()
    yield live_server
    clock.forget_anchor()


def test_tiny_scenario_end_to_end(drill_server: Any, world: World, tmp_path: Path) -> None:
    from motcua.drill.evaluation import evaluate
    from motcua.drill.report import write_report

    scenario = parse_scenario(TINY)
    drill = Drill(scenario, drill_server.url, issue_drill_tokens(), progress=False)
    asyncio.run(drill.run())
    report = evaluate(drill)
    html = write_report(report, tmp_path).read_text(encoding="utf-8")

    # The plan: a seeded Poisson stream, a few dossiers per unit, both channels used.
    assert len(drill.records) >= 6
    assert {r.channel for r in drill.records} == {"online", "counter"}
    assert any(r.ipn_lost for r in drill.records)

    # The report's counts per unit are the server's.
    for unit in report["units"]:
        dossiers = Dossier.objects.filter(receiving_agency__ward_id=unit["ward"])
        assert unit["submitted"] == dossiers.count()
        assert unit["returned"] == dossiers.filter(state="returned").count()
        assert unit["open_at_end"] == dossiers.exclude(state__in=("returned", "refused")).count()
        in_window = dossiers.filter(submitted_at__gte=scenario.start, submitted_at__lt=scenario.end)
        assert unit["submitted_in_window"] == in_window.count()
    assert report["totals"]["submitted"] == Dossier.objects.count() == len(drill.records)

    # Everything was carried through, on time, without an error, and nothing was lost.
    states = Counter(Dossier.objects.values_list("state", flat=True))
    assert states == {"returned": len(drill.records)}
    assert report["totals"]["errors"] == 0, report["errors"]
    assert report["lost"]["count"] == 0
    assert report["lost"]["server_new_dossiers"] == len(drill.records)
    assert report["totals"]["on_time_share"] == 1.0
    # Times on the server are scenario times: every dossier was submitted on 25 June 2025.
    assert all(
        clock.localtime(moment).date() == scenario.day
        for moment in Dossier.objects.values_list("submitted_at", flat=True)
    )

    # Payments whose notification was lost were still settled by the applicant's return.
    lost_notices = next(f for f in report["faults"] if f["kind"] == "payment_notification_lost")
    assert lost_notices["settled_anyway"] == lost_notices["payments_affected"] > 0
    assert next(f for f in report["faults"] if f["kind"] == "slow_peer")["available"] is False
    # A server the drill did not start is not measured; the virtual users' own CPU is.
    assert report["capacity"]["server_cpu_total"] is None
    assert report["capacity"]["runner_cpu_seconds"] > 0
    assert "capacity" not in {f["kind"] for f in report["findings"]}

    # The HTML shows the findings of the JSON, in the same order, and the two units.
    shown = re.findall(r'<li data-kind="[a-z]+"[^>]*>(.*?)</li>', html, re.S)
    assert [unescape(text) for text in shown] == [f["text"] for f in report["findings"]]
    assert "Phường Pleiku" in html and "Phường Quy Nhơn" in html
    assert "<svg" in html and "http://" not in html.split("<body>")[1].split("xmlns")[0]
