"""The four faults on the drill's own server, as real processes: gunicorn, ``motcua worker``
and ``motcua portal-sim`` behind the drill's proxy. A small scenario (two units, ×60): the
worker is killed and replaced, the portal's stand-in stops and starts again, its answers are
slowed, payment notifications are lost, and at the end nothing is lost: the stand-in holds the
newest status of every dossier, as motcua's outbox sent it."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection

from motcua.drill.evaluation import STATUS_KIND, evaluate, ledger_messages
from motcua.drill.runner import Drill
from motcua.drill.scenario import parse_scenario
from motcua.drill.server import DrillServer

SMALL = {
    "name": "su-co-nho",
    "date": "2025-06-25",
    "window": {"start": "14:00", "end": "14:20"},
    "work_until": "15:30",
    "compression": 60,
    "groups": [
        {
            "units": [23575, 21583],
            "procedures": [{"code": "2.000635", "per_hour": 30}],
            "pace_minutes": {"receive": 1, "process": 1, "approve": 1, "return": 1},
        }
    ],
    "channels": {"online": 0.8, "counter": 0.2},
    "online_payment": 1.0,
    "faults": [
        {"kind": "payment_notification_lost", "at": "14:01", "minutes": 8},
        {"kind": "worker_killed", "at": "14:04"},
        # The stand-in takes a few real seconds (scenario minutes) to start again.
        {"kind": "portal_down", "at": "14:05", "minutes": 3},
        {"kind": "slow_peer", "at": "14:12", "minutes": 12, "delay_seconds": 1.5},
    ],
    "seed": 7,
}


def test_the_four_faults_cost_time_and_lose_nothing(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        # The drill's own server always has a SQLite database of its own: the suite's
        # PostgreSQL pass would repeat the very same run.
        pytest.skip("runs once, in the SQLite pass")
    scenario = parse_scenario(SMALL)
    # Two web workers: one is killed, and the other serves while its replacement starts.
    server = DrillServer(workers=2, threads=8)
    server.start()
    try:
        first_worker = server.worker.pid if server.worker else None
        drill = Drill(scenario, server.url, server.tokens, control=server, progress=False)
        asyncio.run(drill.run())
        proxy = server.proxy
        assert proxy is not None
        delayed_answers = proxy.delayed_answers
        portal_now = httpx.get(f"{server.portal_url}/api/statuses", timeout=10).json()
        worker_now = server.worker.pid if server.worker else None
        starts = server.worker_starts
    finally:
        server.stop(logs_to=tmp_path)
    report = evaluate(drill)
    faults = {fault["kind"]: fault for fault in report["faults"]}

    # Receipts and results were signed, as in production (the instance has keys of its own).
    assert "pki: not initialised" not in (tmp_path / "server.log").read_text()

    # Every fault happened, on the processes the scenario names.
    assert set(faults) == {"payment_notification_lost", "worker_killed", "portal_down", "slow_peer"}
    assert all(fault["available"] for fault in faults.values())
    assert starts == 2 and worker_now != first_worker
    assert str(first_worker) in faults["worker_killed"]["detail"]
    # The proxy held answers back while the peer was slow.
    assert delayed_answers > 0, (tmp_path / "worker.log").read_text()[-6000:]
    # The stand-in was restarted: the one running now holds only what came after the outage.
    assert drill.portal is not None and drill.portal["snapshots"] == 2
    assert portal_now["counts"]["applied"] < drill.portal["counts"]["applied"]

    # Statuses queued while the portal was down went out only after it was back.
    down = next(e for e in drill.fault_events if e.kind == "portal_down")
    assert down.restored_at is not None
    status_messages = [m for m in ledger_messages(drill.ledger) if m.kind == STATUS_KIND]
    assert down.began_at is not None and down.began_at < down.until
    queued_while_down = [m for m in status_messages if down.began_at <= m.created_at < down.until]
    assert queued_while_down, [(m.created_at.time(), m.delivered_at) for m in status_messages]
    assert all(
        m.delivered_at is not None and m.delivered_at >= down.until for m in queued_while_down
    )
    assert faults["portal_down"]["messages_waiting"] >= len(queued_while_down)

    # Reconciliation, computed here from the two sides: the stand-in holds, for each dossier,
    # the newest status message of motcua's outbox, and all of them were delivered.
    newest: dict[str, Any] = {}
    for m in status_messages:
        if m.code not in newest or m.sequence > newest[m.code].sequence:
            newest[m.code] = m
    held = drill.portal["dossiers"]
    assert {code: (m.sequence, m.status) for code, m in newest.items()} == {
        code: (item["sequence"], item["status"]) for code, item in held.items()
    }
    created = {r.code for r in drill.records if r.submitted}
    assert created == set(newest) == {row[0] for row in drill.ledger["dossiers"]}
    assert all(m.state == "delivered" for m in status_messages)
    rec = report["reconciliation"]
    assert rec["portal"]["arrived"] == rec["portal"]["owed"] == len(created) > 0
    assert rec["payments"]["settled"] == rec["payments"]["with_fee"]
    assert report["lost"]["count"] == 0
    assert all(datetime.fromisoformat(row[7]) >= scenario.start for row in drill.ledger["messages"])

    # What the run cost: each process of the server worked (the killed worker's share kept),
    # and the per-dossier figure is the total over the dossiers returned.
    capacity = report["capacity"]
    used = capacity["server_cpu_seconds"]
    assert set(used) == {"web", "worker", "gateway", "portal"} and used["web"] > 0
    assert capacity["server_cpu_total"] == round(sum(used.values()), 2)
    returned = report["totals"]["returned"]
    assert capacity["server_cpu_per_returned"] == round(capacity["server_cpu_total"] / returned, 3)
    assert any(f["kind"] == "capacity" for f in report["findings"])
