"""The drill's evaluation: figures per unit and step, API latency, errors, faults, and findings
in plain Vietnamese (with their English translation in the catalog).

Everything here is computed from the sources that the evaluation compares: what the runner
did and was told (acknowledged submissions and actions), what the server reports at the end
(each dossier by its code, with its timeline and dates, and the total it holds; its ledger of
outbox messages and dossiers), and, on the drill's own server, what the national portal's
stand-in received.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import dateformat, formats, numberformat, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

if TYPE_CHECKING:
    from motcua.drill.runner import Call, Drill, FaultEvent, Record

STATUS_KIND = "dvcqg.status"
# Faults that hold the outbox's messages back by acting on the peer.
HOLDING_FAULTS = ("portal_down", "slow_peer")
DELIVERED = "delivered"
# Failed calls are counted from the fault's start until this long after its end (scenario time),
# and at least this many real seconds after it (a connection to a killed process fails when
# it is next used).
FAULT_AFTERMATH = timedelta(minutes=1)
FAULT_AFTERMATH_REAL_SECONDS = 5.0
# The reconciliation lists at most this many examples of each kind.
EXAMPLES = 20

# The lifecycle steps and the timeline actions that end them (the start is the previous one).
STEP_ENDS = (
    ("receive", "accept"),
    ("process", "submit_for_approval"),
    ("approve", "approve"),
    ("return", "return_result"),
)
# An action on the server's timeline that the runner expects after an acknowledged action.
ACKNOWLEDGED_ON_TIMELINE = (
    "accept",
    "start_processing",
    "submit_for_approval",
    "approve",
    "return_result",
)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def server_times(record: Record) -> dict[str, datetime]:
    """The first time each action appears on the server's timeline of the dossier."""
    times: dict[str, datetime] = {}
    for event in record.server.get("timeline", []):
        moment = _parse(event.get("at"))
        if moment is not None:
            times.setdefault(str(event.get("action")), moment)
    return times


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 60


def step_durations(record: Record) -> dict[str, float]:
    """Minutes each step took, from the server's timeline: receive (submission to acceptance,
    or to registration at the counter), process (to submission for approval), approve, return."""
    times = server_times(record)
    start = times.get("submit") or times.get("register_at_counter")
    accepted = times.get("accept") or times.get("register_at_counter")
    bounds = {
        "receive": (start, accepted),
        "process": (accepted, times.get("submit_for_approval")),
        "approve": (times.get("submit_for_approval"), times.get("approve")),
        "return": (times.get("approve"), times.get("return_result")),
    }
    result = {}
    for step, (begin, end) in bounds.items():
        minutes = _minutes(begin, end)
        if minutes is not None:
            result[step] = minutes
    return result


def evaluate(drill: Drill) -> dict[str, Any]:
    scenario = drill.scenario
    records = drill.records
    by_ward: dict[int, list[Record]] = defaultdict(list)
    for record in records:
        by_ward[record.ward].append(record)

    units = [_unit_figures(drill, unit.ward, unit.name, by_ward[unit.ward]) for unit in drill.units]
    steps = _step_figures(records)
    latency = _latency(drill.calls)
    errors = _errors(drill.calls)
    reconciliation = _reconciliation(drill)
    lost = _lost(drill, reconciliation)
    faults = _faults(drill)
    totals = _totals(drill, units, errors, lost)
    report: dict[str, Any] = {
        "scenario": {
            "name": scenario.name,
            "title": scenario.title,
            "date": scenario.day.isoformat(),
            "window": [scenario.start.isoformat(), scenario.end.isoformat()],
            "work_until": scenario.work_until.isoformat(),
            "factor": scenario.factor,
            "source": scenario.source,
            "real_seconds": round(drill.real_seconds, 1),
            "drain_real_seconds": round(drill.drain_real_seconds, 1),
        },
        "totals": totals,
        "units": units,
        "steps": steps,
        "latency": latency,
        "errors": errors,
        "faults": faults,
        "reconciliation": reconciliation,
        "lost": lost,
        "capacity": _capacity(drill, totals),
    }
    report["findings"] = findings(report)
    return report


def _capacity(drill: Drill, totals: dict[str, Any]) -> dict[str, Any]:
    """What the run cost in CPU: each part of the drill's own server (nothing is known of a
    ``--target``), per dossier returned and as cores in use on average, and the virtual users'
    own share (they run on the same machine). The figures to size a server for a scenario."""
    server = dict(drill.server_cpu)
    total = round(sum(server.values()), 2) if server else None
    seconds = drill.real_seconds
    returned = totals["returned"]
    return {
        "real_seconds": round(seconds, 1),
        "server_cpu_seconds": server,
        "server_cpu_total": total,
        "server_cpu_per_returned": round(total / returned, 3) if total and returned else None,
        "server_cores": round(total / seconds, 2) if total and seconds else None,
        "runner_cpu_seconds": drill.runner_cpu_seconds,
        "runner_cores": round(drill.runner_cpu_seconds / seconds, 2) if seconds else None,
    }


def _unit_figures(drill: Drill, ward: int, name: str, records: list[Record]) -> dict[str, Any]:
    scenario = drill.scenario
    in_window = 0
    received = returned_in_window = returned = on_time = with_due = refused = 0
    lead_times: list[float] = []
    for record in records:
        times = server_times(record)
        submitted_at = times.get("submit") or times.get("register_at_counter")
        if submitted_at is not None and scenario.start <= submitted_at < scenario.end:
            in_window += 1
        accepted = times.get("accept") or times.get("register_at_counter")
        if accepted is not None and accepted < scenario.end:
            received += 1
        done = times.get("return_result")
        if done is not None:
            returned += 1
            if done < scenario.end:
                returned_in_window += 1
            if submitted_at is not None:
                lead_times.append((done - submitted_at).total_seconds() / 60)
        due = _parse(record.server.get("due_at"))
        if due is not None:
            with_due += 1
            if done is not None and done <= due:
                on_time += 1
        if record.server.get("state") == "refused":
            refused += 1
    open_at_end = sum(
        1 for r in records if r.server and r.server.get("state") not in ("returned", "refused")
    )
    return {
        "ward": ward,
        "name": name,
        "arrivals": len(records),
        "submitted": sum(1 for r in records if r.submitted),
        "submitted_in_window": in_window,
        "received_in_window": received,
        "returned_in_window": returned_in_window,
        "returned": returned,
        "refused": refused,
        "open_at_end": open_at_end,
        "on_time": on_time,
        "with_due": with_due,
        "on_time_share": round(on_time / with_due, 3) if with_due else None,
        "mean_lead_minutes": round(statistics.fmean(lead_times), 1) if lead_times else None,
    }


def _step_figures(records: list[Record]) -> list[dict[str, Any]]:
    values: dict[str, list[float]] = defaultdict(list)
    for record in records:
        for step, minutes in step_durations(record).items():
            values[step].append(minutes)
    figures = []
    for step, _action in STEP_ENDS:
        data = values.get(step, [])
        figures.append(
            {
                "step": step,
                "label": str(STEP_LABELS[step]),
                "count": len(data),
                "mean_minutes": round(statistics.fmean(data), 1) if data else None,
                "p95_minutes": round(percentile(data, 0.95), 1) if data else None,
                "max_minutes": round(max(data), 1) if data else None,
            }
        )
    return figures


STEP_LABELS = {
    "receive": pgettext_lazy("drill step", "Tiếp nhận"),
    "process": pgettext_lazy("drill step", "Xử lý"),
    "approve": pgettext_lazy("drill step", "Phê duyệt"),
    "return": pgettext_lazy("drill step", "Trả kết quả"),
}


def _latency(calls: list[Call]) -> list[dict[str, Any]]:
    by_label: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        if call.status:
            by_label[call.label].append(call.ms)
    rows = []
    for label, values in sorted(by_label.items()):
        rows.append(
            {
                "endpoint": label,
                "count": len(values),
                "p50_ms": round(percentile(values, 0.50), 1),
                "p95_ms": round(percentile(values, 0.95), 1),
                "p99_ms": round(percentile(values, 0.99), 1),
                "max_ms": round(max(values), 1),
            }
        )
    return rows


def _errors(calls: list[Call]) -> list[dict[str, Any]]:
    """Failed calls grouped by endpoint, status and code, each with an example."""
    groups: dict[tuple[str, int, str], list[Call]] = defaultdict(list)
    for call in calls:
        if call.status == 0 or call.status >= 400:
            groups[(call.label, call.status, call.code)].append(call)
    return [
        {
            "endpoint": label,
            "status": status,
            "code": code,
            "count": len(items),
            "example": {
                "at": items[0].at.isoformat(timespec="seconds"),
                "dossier": items[0].dossier,
                "message": items[0].message,
            },
        }
        for (label, status, code), items in sorted(groups.items(), key=lambda kv: -len(kv[1]))
    ]


def _lost(drill: Drill, reconciliation: dict[str, Any]) -> dict[str, Any]:
    """What the server does not have although the runner was told it had, and what the outbox
    owed the portal but did not deliver (or the portal does not hold): must be nothing."""
    acknowledged = [r for r in drill.records if r.submitted]
    missing = [r.code for r in acknowledged if not r.server]
    actions_missing = []
    for record in acknowledged:
        if not record.server:
            continue
        times = server_times(record)
        for action in record.actions:
            if action in ACKNOWLEDGED_ON_TIMELINE and action not in times:
                actions_missing.append({"dossier": record.code, "action": action})
    unpaid = [
        r.code
        for r in acknowledged
        if r.paid_confirmed and r.server and r.server.get("state") == "awaiting_payment"
    ]
    unpaid += [
        code for code in reconciliation["payments"]["paid_not_recorded"] if code not in unpaid
    ]
    outbox = reconciliation["outbox"]
    portal = reconciliation["portal"]
    added = drill.server_total_after - drill.server_total_before
    return {
        "acknowledged": len(acknowledged),
        "server_new_dossiers": added,
        "missing_dossiers": missing,
        "missing_actions": actions_missing,
        "paid_but_unsettled": unpaid,
        "undelivered_messages": outbox["undelivered"],
        "portal_mismatches": portal["mismatched"] if portal["checked"] else 0,
        "unacknowledged_on_server": max(0, added - len(acknowledged)),
        "count": len(missing) + len(actions_missing) + len(unpaid)
        + max(0, len(acknowledged) - added) + outbox["undelivered"]
        + (portal["mismatched"] if portal["checked"] else 0),
    }  # fmt: skip


# --- the outbox and the portal -----------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One outbox message of the server's ledger."""

    id: int
    peer: str
    kind: str
    code: str
    sequence: int
    status: int
    state: str
    created_at: datetime
    delivered_at: datetime | None
    attempts: int

    @property
    def delay_minutes(self) -> float | None:
        return _minutes(self.created_at, self.delivered_at)


def ledger_messages(ledger: dict[str, Any]) -> list[Message]:
    messages = []
    for row in ledger.get("messages", []):
        pk, peer, kind, code, sequence, status, state, created, delivered, attempts = row
        created_at = _parse(created)
        assert created_at is not None  # noqa: S101
        messages.append(
            Message(pk, peer, kind, code, sequence, status, state, created_at,
                    _parse(delivered), attempts)
        )  # fmt: skip
    return messages


def _reconciliation(drill: Drill) -> dict[str, Any]:
    """At the end: every dossier the drill created is on the server, every status the outbox
    owed the portal was delivered and is what the portal's stand-in holds, every fee settled."""
    acknowledged = [r for r in drill.records if r.submitted]
    ledger = drill.ledger
    on_server = {row[0]: row for row in ledger.get("dossiers", [])}
    messages = ledger_messages(ledger)
    undelivered = [m for m in messages if m.state != DELIVERED]
    # What the outbox owed the portal: per dossier, its newest status message.
    owed: dict[str, Message] = {}
    for message in messages:
        if message.kind == STATUS_KIND and message.code:
            held = owed.get(message.code)
            if held is None or message.sequence > held.sequence:
                owed[message.code] = message
    portal: dict[str, Any] = {"checked": drill.portal is not None}
    if drill.portal is not None:
        held_by_portal = drill.portal.get("dossiers", {})
        mismatches = []
        for code, message in sorted(owed.items()):
            item = held_by_portal.get(code)
            got = (int(item["sequence"]), int(item["status"])) if item else None
            if got != (message.sequence, message.status):
                mismatches.append(
                    {
                        "dossier": code,
                        "owed": [message.sequence, message.status],
                        "held": list(got) if got else None,
                    }
                )
        counts = drill.portal.get("counts", {})
        portal.update(
            {
                "owed": len(owed),
                "arrived": len(owed) - len(mismatches),
                "mismatched": len(mismatches),
                "examples": mismatches[:EXAMPLES],
                "received": int(counts.get("received", 0)),
                "applied": int(counts.get("applied", 0)),
                "stale_ignored": int(counts.get("stale_ignored", 0)),
                "bad_signature": int(counts.get("bad_signature", 0)),
                "restarts": max(0, int(drill.portal.get("snapshots", 1)) - 1),
            }
        )
    with_fee = [r for r in acknowledged if r.fee > 0]
    settled = [r for r in with_fee if r.code in on_server and on_server[r.code][3] == "paid"]
    paid_not_recorded = [
        r.code
        for r in with_fee
        if r.paid_confirmed and r.code in on_server and on_server[r.code][3] != "paid"
    ]
    status_messages = [m for m in messages if m.kind == STATUS_KIND]
    return {
        "dossiers": {
            "created": len(acknowledged),
            "on_server": sum(1 for r in acknowledged if r.code in on_server),
            "missing": [r.code for r in acknowledged if r.code not in on_server][:EXAMPLES],
        },
        "outbox": {
            "messages": len(messages),
            "status_messages": len(status_messages),
            "delivered": len(messages) - len(undelivered),
            "undelivered": len(undelivered),
            "redelivered": sum(1 for m in messages if m.attempts > 1),
            "mean_delay_minutes": _mean([m.delay_minutes for m in messages]),
            "examples": [m.id for m in undelivered[:EXAMPLES]],
        },
        "portal": portal,
        "payments": {
            "with_fee": len(with_fee),
            "settled": len(settled),
            "unsettled": [r.code for r in with_fee if r not in settled][:EXAMPLES],
            "paid_not_recorded": paid_not_recorded,
        },
    }


def _mean(values: list[float | None]) -> float | None:
    clean = [v for v in values if v is not None]
    return round(statistics.fmean(clean), 2) if clean else None


def _fault_window(
    event: FaultEvent, messages: list[Message], others: list[FaultEvent]
) -> tuple[datetime, datetime]:
    """From the fault's start to when it was lifted. A killed worker is replaced at once, but
    the replacement needs a few seconds to start: its outage lasts until the first message
    delivered after the kill (cut short where another fault that holds messages back begins,
    so as not to take its cost)."""
    if event.restored_at is not None:
        return event.at, event.restored_at
    if event.until <= event.at and event.began_at is not None:
        killed = max(event.at, event.began_at)
        end = min(
            (m.delivered_at for m in messages if m.delivered_at and m.delivered_at >= killed),
            default=killed,
        )
        for other in others:
            if other.available and other.kind in HOLDING_FAULTS and event.at <= other.at < end:
                end = max(killed, other.at)
        return event.at, end
    return event.at, event.until


def _usual_delays(drill: Drill, messages: list[Message]) -> list[float]:
    """Delivery delays before the first fault on the server's processes (the usual pace); if
    that fault came first, those of the messages that waited during no such fault."""
    windows = [
        _fault_window(e, messages, drill.fault_events)
        for e in drill.fault_events
        if e.available and e.kind != "payment_notification_lost"
    ]
    if not windows:
        return [m.delay_minutes for m in messages if m.delay_minutes is not None]
    first = min(a for a, _b in windows)
    before = [
        m.delay_minutes
        for m in messages
        if m.delay_minutes is not None and m.delivered_at is not None and m.delivered_at < first
    ]
    if before:
        return before
    return [
        m.delay_minutes
        for m in messages
        if m.delay_minutes is not None
        and not any(m.created_at <= b and (m.delivered_at or b) > a for a, b in windows)
    ]


def _cost_of_fault(drill: Drill, event: FaultEvent) -> dict[str, Any]:
    """What one fault cost: the outbox messages that waited during it and how late they went
    out (against the usual delay outside every fault), and the API calls that failed."""
    messages = ledger_messages(drill.ledger)
    start, end = _fault_window(event, messages, drill.fault_events)
    waiting = [
        m
        for m in messages
        if m.created_at <= end and (m.delivered_at is None or m.delivered_at > start)
    ]
    usual_p95 = percentile(_usual_delays(drill, messages), 0.95)
    delays = [m.delay_minutes for m in waiting if m.delay_minutes is not None]
    cost: dict[str, Any] = {
        "messages_waiting": len(waiting),
        "messages_delivered": sum(1 for m in waiting if m.state == DELIVERED),
        "messages_undelivered": sum(1 for m in waiting if m.state != DELIVERED),
        "messages_delayed": sum(1 for d in delays if d > usual_p95),
        "messages_redelivered": sum(1 for m in waiting if m.attempts > 1),
        "mean_delay_minutes": _mean(list(delays)),
        "max_delay_minutes": round(max(delays), 2) if delays else None,
        "usual_p95_delay_minutes": round(usual_p95, 2),
        "failed_calls": _failed_calls(drill, start, end),
        "restored_at": event.restored_at.isoformat(timespec="seconds")
        if event.restored_at
        else None,
    }
    if event.kind == "worker_killed":
        # When the replacement worker delivered its first message (see ``_fault_window``);
        # None when another fault began before that.
        killed = max(event.at, event.began_at or event.at)
        first = min(
            (m.delivered_at for m in messages if m.delivered_at and m.delivered_at >= killed),
            default=None,
        )
        resumed = first if first is not None and first == end else None
        cost["resumed_at"] = resumed.isoformat(timespec="seconds") if resumed else None
    return cost


def _failed_calls(drill: Drill, start: datetime, end: datetime) -> int:
    """The API calls that failed (no answer, or a server error) while under way at some moment
    from ``start`` to ``end`` (or just after it)."""
    factor = drill.scenario.factor
    aftermath = max(FAULT_AFTERMATH, timedelta(seconds=FAULT_AFTERMATH_REAL_SECONDS * factor))
    return sum(
        1
        for c in drill.calls
        if (c.status == 0 or c.status >= 500)
        and c.at <= end + aftermath
        and c.at + timedelta(milliseconds=c.ms * factor) >= start
    )


# What an officer calls each fault (the scenario file names them by ``kind``).
FAULT_LABELS = {
    "portal_down": gettext_lazy("Cổng DVCQG ngừng hoạt động"),
    "slow_peer": gettext_lazy("Cổng DVCQG trả lời chậm"),
    "worker_killed": gettext_lazy("Tiến trình bị tắt đột ngột"),
    "payment_notification_lost": gettext_lazy("Mất thông báo thanh toán"),
}


def fault_label(kind: str) -> str:
    return str(FAULT_LABELS.get(kind, kind))


def _faults(drill: Drill) -> list[dict[str, Any]]:
    rows = []
    events = sorted(drill.fault_events, key=lambda e: (e.at, e.kind))
    for event in events:
        row: dict[str, Any] = {
            "kind": event.kind,
            "label": fault_label(event.kind),
            "at": event.at.isoformat(timespec="minutes"),
            "until": event.until.isoformat(timespec="minutes"),
            "available": event.available,
            "detail": event.detail,
        }
        if event.kind == "payment_notification_lost":
            row.update(_cost_of_lost_notifications(drill.records, drill.ledger))
            # The outbox's messages are not its business; the calls that failed meanwhile are.
            row["failed_calls"] = _failed_calls(drill, event.at, event.until)
        elif event.available:
            row.update(_cost_of_fault(drill, event))
        if event.kind == "worker_killed" and event.available:
            row["retried_submissions"] = sum(1 for r in drill.records if r.submit_attempts > 1)
            row["duplicates"] = max(
                0,
                drill.server_total_after
                - drill.server_total_before
                - len([r for r in drill.records if r.submitted]),
            )
        rows.append(row)
    # Faults whose time spans meet: their costs count the same messages, calls and payments.
    messages = ledger_messages(drill.ledger)
    windows = [
        _fault_window(e, messages, drill.fault_events) if e.available else None for e in events
    ]
    for row, window in zip(rows, windows, strict=True):
        row["overlaps"] = [
            {"kind": other["kind"], "label": other["label"], "at": other["at"]}
            for other, other_window in zip(rows, windows, strict=True)
            if other is not row
            and window is not None
            and other_window is not None
            # Spans that only touch (one ends as the other begins) share nothing.
            and other_window[0] < window[1]
            and window[0] < other_window[1]
        ]
    return rows


# The calls of an online payment, in the runner's order (see ``Drill.pay_online``).
PAYMENT_CALLS = ("portal page", "pay start", "gateway page", "gateway pay", "pay return")


def _cost_of_lost_notifications(records: list[Record], ledger: dict[str, Any]) -> dict[str, Any]:
    affected = [r for r in records if r.ipn_lost and r.pay_started_at is not None]
    normal = [r for r in records if not r.ipn_lost and r.pay_started_at is not None]
    # The affected payments not recorded when the applicant came back: why, and what became of
    # the fee (the server's invoice at the end).
    invoices = {row[0]: row[3] for row in ledger.get("dossiers", [])}
    rest = [r for r in affected if not r.paid_confirmed]
    failed: Counter[str] = Counter(
        next(e for e in r.errors if e in PAYMENT_CALLS)
        for r in rest
        if any(e in PAYMENT_CALLS for e in r.errors)
    )

    def minutes(items: list[Record]) -> float | None:
        values = [_minutes(r.pay_started_at, r.pay_settled_at) for r in items if r.pay_settled_at]
        clean = [v for v in values if v is not None]
        return round(statistics.fmean(clean), 1) if clean else None

    return {
        "payments_affected": len(affected),
        "settled_anyway": sum(1 for r in affected if r.paid_confirmed),
        "payment_calls_failed": dict(failed),
        "not_recorded": len(rest) - sum(failed.values()),
        "paid_later": sum(1 for r in rest if invoices.get(r.code) == "paid"),
        "unpaid_at_end": sum(1 for r in rest if invoices.get(r.code) != "paid"),
        "mean_settle_minutes_affected": minutes(affected),
        "mean_settle_minutes_normal": minutes(normal),
    }


def _totals(
    drill: Drill, units: list[dict[str, Any]], errors: list[dict[str, Any]], lost: dict[str, Any]
) -> dict[str, Any]:
    with_due = sum(u["with_due"] for u in units)
    on_time = sum(u["on_time"] for u in units)
    return {
        "units": len(units),
        "units_received": sum(1 for u in units if u["submitted"]),
        "arrivals": len(drill.records),
        "submitted": sum(u["submitted"] for u in units),
        "submitted_in_window": sum(u["submitted_in_window"] for u in units),
        "received_in_window": sum(u["received_in_window"] for u in units),
        "returned_in_window": sum(u["returned_in_window"] for u in units),
        "returned": sum(u["returned"] for u in units),
        "open_at_end": sum(u["open_at_end"] for u in units),
        "on_time_share": round(on_time / with_due, 3) if with_due else None,
        "api_calls": len(drill.calls),
        "errors": sum(e["count"] for e in errors),
        "lost": lost["count"],
    }


# --- findings ----------------------------------------------------------------------------------


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Plain-language conclusions, each with a machine kind; the HTML shows these very texts."""
    items: list[dict[str, Any]] = [_window_finding(report)]
    totals = report["totals"]
    figures = {
        "units": number(totals["units"]),
        "received": number(totals["units_received"]),
        "none": number(totals["units"] - totals["units_received"]),
        "submitted": number(totals["submitted"]),
        "returned": number(totals["returned"]),
        "open": number(totals["open_at_end"]),
    }
    # Units that received nothing are not counted as receiving (a small scenario, a low rate).
    summary = (
        _(
            "%(units)s đơn vị nhận %(submitted)s hồ sơ; đã trả kết quả %(returned)s, "
            "còn dở dang %(open)s."
        )
        if totals["units"] == totals["units_received"]
        else _(
            "%(received)s trong %(units)s đơn vị tham gia nhận %(submitted)s hồ sơ "
            "(%(none)s đơn vị không có hồ sơ nào); đã trả kết quả %(returned)s, còn dở dang "
            "%(open)s."
        )
    )
    items.append({"kind": "summary", "text": summary % figures})
    behind = [
        u
        for u in report["units"]
        if u["open_at_end"] or (u["on_time_share"] is not None and u["on_time_share"] < 1)
    ]
    if behind:
        names = ", ".join(u["name"] for u in behind[:10])
        items.append(
            {
                "kind": "behind",
                "units": [u["ward"] for u in behind],
                "text": _("%(count)s đơn vị chậm (còn hồ sơ dở dang hoặc trả trễ hạn): %(names)s.")
                % {
                    "count": number(len(behind)),
                    "names": names + ("…" if len(behind) > 10 else ""),
                },
            }
        )
    else:
        items.append({"kind": "behind", "units": [], "text": _("Không đơn vị nào bị chậm.")})
    measured = [s for s in report["steps"] if s["mean_minutes"] is not None]
    if measured:
        slowest = max(measured, key=lambda s: s["mean_minutes"])
        items.append(
            {
                "kind": "bottleneck",
                "step": slowest["step"],
                "text": _(
                    "Khâu chậm nhất là “%(step)s”: trung bình %(mean)s phút, 95%% hồ sơ trong "
                    "%(p95)s phút."
                )
                % {
                    "step": slowest["label"],
                    "mean": number(slowest["mean_minutes"]),
                    "p95": number(slowest["p95_minutes"]),
                },
            }
        )
    for fault in report["faults"]:
        items.append(_fault_finding(fault))
    errors = totals["errors"]
    items.append(
        {
            "kind": "errors",
            "text": _("Không có lỗi khi gọi API.")
            if not errors
            else _("%(count)s lần gọi API bị lỗi; xem bảng lỗi và ví dụ.")
            % {"count": number(errors)},
        }
    )
    items.append(_reconciliation_finding(report["reconciliation"]))
    capacity = report["capacity"]
    if capacity["server_cpu_total"] is not None:
        items.append(
            {
                "kind": "capacity",
                "text": _(
                    "Máy chủ của cuộc diễn tập dùng %(cpu)s giây CPU trong %(minutes)s phút thực "
                    "(trung bình %(cores)s lõi; %(per)s giây cho mỗi hồ sơ đã trả); người dùng ảo "
                    "dùng thêm %(runner)s giây."
                )
                % {
                    "cpu": number(capacity["server_cpu_total"]),
                    "minutes": number(capacity["real_seconds"] / 60),
                    "cores": number(capacity["server_cores"]),
                    "per": number(capacity["server_cpu_per_returned"]),
                    "runner": number(capacity["runner_cpu_seconds"]),
                },
            }
        )
    lost = report["lost"]
    items.append(
        {
            "kind": "lost",
            "count": lost["count"],
            "text": _(
                "Không mất gì: %(count)s hồ sơ máy chủ đã xác nhận đều có trên máy chủ, với đủ "
                "các bước đã làm."
            )
            % {"count": number(lost["acknowledged"])}
            if lost["count"] == 0
            else _("MẤT DỮ LIỆU: %(count)s mục đã được xác nhận nhưng máy chủ không có.")
            % {"count": number(lost["count"])},
        }
    )
    return items


def _window_finding(report: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of the window: dossiers submitted, received and returned in it."""
    scenario, totals = report["scenario"], report["totals"]
    start, end = (datetime.fromisoformat(moment) for moment in scenario["window"])
    return {
        "kind": "window",
        "submitted": totals["submitted_in_window"],
        "received": totals["received_in_window"],
        "returned": totals["returned_in_window"],
        "text": _(
            "Trong khung giờ %(start)s–%(end)s ngày %(date)s: %(submitted)s hồ sơ được nộp, "
            "%(received)s hồ sơ được tiếp nhận, %(returned)s hồ sơ được trả kết quả."
        )
        % {
            "start": f"{start:%H:%M}",
            "end": f"{end:%H:%M}",
            "date": report_date(start.date()),
            "submitted": number(totals["submitted_in_window"]),
            "received": number(totals["received_in_window"]),
            "returned": number(totals["returned_in_window"]),
        },
    }


def _fault_finding(fault: dict[str, Any]) -> dict[str, Any]:
    kind = fault["kind"]
    if not fault["available"]:
        return {
            "kind": "fault",
            "fault": kind,
            "text": _(
                "Sự cố “%(kind)s” (%(at)s): chỉ giả lập được trên máy chủ diễn tập riêng (chạy "
                "không có --target), chưa thử."
            )
            % {"kind": fault_label(kind), "at": fault["at"][11:16]},
        }
    if kind == "payment_notification_lost":
        text = _(
            "Mất thông báo thanh toán từ %(at)s: %(affected)s khoản thanh toán không có thông "
            "báo, %(settled)s khoản vẫn được ghi nhận khi người nộp quay về (đối soát); "
            "trung bình %(slow)s phút so với %(normal)s phút bình thường."
        ) % {
            "at": fault["at"][11:16],
            "affected": number(fault["payments_affected"]),
            "settled": number(fault["settled_anyway"]),
            "slow": number(fault["mean_settle_minutes_affected"]),
            "normal": number(fault["mean_settle_minutes_normal"]),
        }
        failed = fault.get("payment_calls_failed") or {}
        if failed:
            text += " " + _(
                "%(count)s khoản không đi hết các bước trả tiền vì lần gọi bị lỗi (%(calls)s), "
                "không phải vì mất thông báo."
            ) % {
                "count": number(sum(failed.values())),
                "calls": ", ".join(f"“{call}”: {number(n)}" for call, n in sorted(failed.items())),
            }
        if fault.get("not_recorded"):
            text += " " + _(
                "%(count)s khoản đã trả trên cổng thanh toán nhưng chưa được ghi nhận khi người "
                "nộp quay về."
            ) % {"count": number(fault["not_recorded"])}
        if fault.get("paid_later") or fault.get("unpaid_at_end"):
            text += " " + _(
                "Trong các khoản chưa được ghi nhận lúc đó, %(paid)s khoản đã thu xong về sau "
                "(nộp tại quầy hoặc đối soát), %(unpaid)s khoản chưa thu khi kết thúc."
            ) % {"paid": number(fault["paid_later"]), "unpaid": number(fault["unpaid_at_end"])}
        return {"kind": "fault", "fault": kind, "text": text + _overlap_text(fault)}
    figures = {
        "at": fault["at"][11:16],
        "until": (fault.get("restored_at") or fault["until"])[11:16],
        "detail": fault["detail"],
        "waiting": number(fault["messages_waiting"]),
        "delayed": number(fault["messages_delayed"]),
        "mean": number(fault["mean_delay_minutes"]),
        "max": number(fault["max_delay_minutes"]),
        "failed": number(fault["failed_calls"]),
        "undelivered": fault["messages_undelivered"],
    }
    if kind == "worker_killed":
        text = _(
            "Tắt đột ngột tiến trình lúc %(at)s (%(detail)s): %(waiting)s tin liên thông phải "
            "chờ tiến trình thay thế, %(delayed)s tin chậm hơn bình thường, chậm trung bình "
            "%(mean)s phút; %(failed)s lần gọi API lỗi, %(retried)s hồ sơ được gửi lại (cùng "
            "khóa chống trùng), %(duplicates)s hồ sơ bị nhân đôi."
        ) % (
            figures
            | {
                "retried": number(fault["retried_submissions"]),
                "duplicates": number(fault["duplicates"]),
            }
        )
    elif kind == "portal_down":
        text = (
            _(
                "Cổng DVCQG ngừng từ %(at)s đến %(until)s: %(waiting)s tin trạng thái phải chờ, "
                "%(delayed)s tin chậm hơn bình thường, chậm trung bình %(mean)s phút (lâu nhất "
                "%(max)s phút); %(failed)s lần gọi API lỗi."
            )
            % figures
        )
    else:
        text = (
            _(
                "Cổng DVCQG trả lời chậm từ %(at)s đến %(until)s (%(detail)s): %(waiting)s tin "
                "trạng thái phải chờ, %(delayed)s tin chậm hơn bình thường, chậm trung bình "
                "%(mean)s phút (lâu nhất %(max)s phút); %(failed)s lần gọi API lỗi."
            )
            % figures
        )
    if figures["undelivered"]:
        text += " " + _("Còn %(count)s tin chưa gửi được.") % {
            "count": number(figures["undelivered"])
        }
    else:
        text += " " + _("Không mất tin nào.")
    return {"kind": "fault", "fault": kind, "text": text + _overlap_text(fault)}


def _overlap_text(fault: dict[str, Any]) -> str:
    overlaps = fault.get("overlaps") or []
    if not overlaps:
        return ""
    return " " + _(
        "Sự cố này trùng thời gian với %(others)s: các con số trên gồm cả ảnh hưởng của sự cố "
        "đó, không cộng dồn được."
    ) % {"others": ", ".join(f"“{fault_label(o['kind'])}” ({o['at'][11:16]})" for o in overlaps)}


def number(value: float | None) -> str:
    """``value`` as the report's language writes it, at most 2 decimals: thousands grouped and
    the decimal comma in Vietnamese (1.018; 6,7), the other way round in English (1,018; 6.7).
    Django's Vietnamese format names the separators but no grouping: the grouping is given
    here."""
    if value is None:
        return "—"
    rounded = round(value, 2)
    return numberformat.format(
        int(rounded) if rounded == int(rounded) else rounded,
        str(formats.get_format("DECIMAL_SEPARATOR")),
        grouping=3,
        thousand_sep=str(formats.get_format("THOUSAND_SEPARATOR")),
        force_grouping=True,
    )


def report_date(day: date) -> str:
    """A day of the report: 25/06/2025 in Vietnamese, 25 June 2025 in English (never the ISO
    form, which Vietnamese readers do not use, nor 06/25, which they would misread)."""
    if (translation.get_language() or "vi").startswith("vi"):
        return day.strftime("%d/%m/%Y")
    return dateformat.format(day, "j F Y")


def _reconciliation_finding(reconciliation: dict[str, Any]) -> dict[str, Any]:
    dossiers = reconciliation["dossiers"]
    outbox = reconciliation["outbox"]
    portal = reconciliation["portal"]
    payments = reconciliation["payments"]
    figures = {
        "on_server": number(dossiers["on_server"]),
        "created": number(dossiers["created"]),
        "messages": number(outbox["messages"]),
        "undelivered": number(outbox["undelivered"]),
        "settled": number(payments["settled"]),
        "fees": number(payments["with_fee"]),
    }
    if portal["checked"]:
        text = _(
            "Đối soát: %(on_server)s/%(created)s hồ sơ đã tạo có trên máy chủ; hộp thư đi có "
            "%(messages)s tin, còn %(undelivered)s tin chưa gửi; Cổng DVCQG giả lập giữ đúng "
            "trạng thái mới nhất của %(arrived)s/%(owed)s hồ sơ; %(settled)s/%(fees)s khoản "
            "lệ phí đã thu."
        ) % (figures | {"arrived": number(portal["arrived"]), "owed": number(portal["owed"])})
    else:
        text = (
            _(
                "Đối soát: %(on_server)s/%(created)s hồ sơ đã tạo có trên máy chủ; hộp thư đi có "
                "%(messages)s tin, còn %(undelivered)s tin chưa gửi; %(settled)s/%(fees)s khoản "
                "lệ phí đã thu (không đối chiếu được với Cổng DVCQG của máy chủ khác)."
            )
            % figures
        )
    return {"kind": "reconciliation", "text": text}


def state_counts(records: list[Record]) -> dict[str, int]:
    return dict(Counter(str(r.server.get("state", "unknown")) for r in records))
