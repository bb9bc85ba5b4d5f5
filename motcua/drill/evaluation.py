"""The drill's evaluation: figures per unit and step, API latency, errors, faults, and findings
in plain Vietnamese (with their English translation in the catalog).

Everything here is computed from two sources that the evaluation compares: what the runner
did and was told (acknowledged submissions and actions), and what the server reports at the
end (each dossier by its code, with its timeline and dates, and the total it holds).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from motcua.drill.runner import Call, Drill, Record

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
    lost = _lost(drill)
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
        },
        "totals": totals,
        "units": units,
        "steps": steps,
        "latency": latency,
        "errors": errors,
        "faults": faults,
        "lost": lost,
    }
    report["findings"] = findings(report)
    return report


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


def _lost(drill: Drill) -> dict[str, Any]:
    """What the server does not have although the runner was told it had: must be nothing."""
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
    added = drill.server_total_after - drill.server_total_before
    return {
        "acknowledged": len(acknowledged),
        "server_new_dossiers": added,
        "missing_dossiers": missing,
        "missing_actions": actions_missing,
        "paid_but_unsettled": unpaid,
        "unacknowledged_on_server": max(0, added - len(acknowledged)),
        "count": len(missing) + len(actions_missing) + len(unpaid)
        + max(0, len(acknowledged) - added),
    }  # fmt: skip


def _faults(drill: Drill) -> list[dict[str, Any]]:
    rows = []
    for event in drill.fault_events:
        row: dict[str, Any] = {
            "kind": event.kind,
            "at": event.at.isoformat(timespec="minutes"),
            "until": event.until.isoformat(timespec="minutes"),
            "available": event.available,
            "detail": event.detail,
        }
        if event.kind == "payment_notification_lost":
            row.update(_cost_of_lost_notifications(drill.records))
        elif event.kind == "worker_killed" and event.available:
            failed = [
                c
                for c in drill.calls
                if (c.status == 0 or c.status >= 500)
                and abs((c.at - event.at).total_seconds()) <= 120 * max(1.0, drill.scenario.factor)
            ]
            retried = sum(1 for r in drill.records if r.submit_attempts > 1)
            duplicates = max(
                0,
                drill.server_total_after
                - drill.server_total_before
                - len([r for r in drill.records if r.submitted]),
            )
            row.update(
                {
                    "failed_calls": len(failed),
                    "retried_submissions": retried,
                    "duplicates": duplicates,
                }
            )
        rows.append(row)
    return rows


def _cost_of_lost_notifications(records: list[Record]) -> dict[str, Any]:
    affected = [r for r in records if r.ipn_lost and r.pay_started_at is not None]
    normal = [r for r in records if not r.ipn_lost and r.pay_started_at is not None]

    def minutes(items: list[Record]) -> float | None:
        values = [_minutes(r.pay_started_at, r.pay_settled_at) for r in items if r.pay_settled_at]
        clean = [v for v in values if v is not None]
        return round(statistics.fmean(clean), 1) if clean else None

    return {
        "payments_affected": len(affected),
        "settled_anyway": sum(1 for r in affected if r.paid_confirmed),
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
    items: list[dict[str, Any]] = []
    totals = report["totals"]
    items.append(
        {
            "kind": "summary",
            "text": _(
                "%(units)s đơn vị nhận %(submitted)s hồ sơ; đã trả kết quả %(returned)s, "
                "còn dở dang %(open)s."
            )
            % {
                "units": totals["units"],
                "submitted": totals["submitted"],
                "returned": totals["returned"],
                "open": totals["open_at_end"],
            },
        }
    )
    behind = [u for u in report["units"] if u["open_at_end"] or (u["on_time_share"] or 1) < 1]
    if behind:
        names = ", ".join(u["name"] for u in behind[:10])
        items.append(
            {
                "kind": "behind",
                "units": [u["ward"] for u in behind],
                "text": _("%(count)s đơn vị chậm (còn hồ sơ dở dang hoặc trả trễ hạn): %(names)s.")
                % {"count": len(behind), "names": names + ("…" if len(behind) > 10 else "")},
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
                    "mean": slowest["mean_minutes"],
                    "p95": slowest["p95_minutes"],
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
            else _("%(count)s lần gọi API bị lỗi; xem bảng lỗi và ví dụ.") % {"count": errors},
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
            % {"count": lost["acknowledged"]}
            if lost["count"] == 0
            else _("MẤT DỮ LIỆU: %(count)s mục đã được xác nhận nhưng máy chủ không có.")
            % {"count": lost["count"]},
        }
    )
    return items


def _fault_finding(fault: dict[str, Any]) -> dict[str, Any]:
    kind = fault["kind"]
    if not fault["available"]:
        return {
            "kind": "fault",
            "fault": kind,
            "text": _("Sự cố “%(kind)s” (%(at)s): chưa có cơ chế để giả lập, chưa thử.")
            % {"kind": kind, "at": fault["at"][11:16]},
        }
    if kind == "payment_notification_lost":
        return {
            "kind": "fault",
            "fault": kind,
            "text": _(
                "Mất thông báo thanh toán từ %(at)s: %(affected)s khoản thanh toán không có thông "
                "báo, %(settled)s khoản vẫn được ghi nhận khi người nộp quay về (đối soát); "
                "trung bình %(slow)s phút so với %(normal)s phút bình thường."
            )
            % {
                "at": fault["at"][11:16],
                "affected": fault["payments_affected"],
                "settled": fault["settled_anyway"],
                "slow": fault["mean_settle_minutes_affected"],
                "normal": fault["mean_settle_minutes_normal"],
            },
        }
    return {
        "kind": "fault",
        "fault": kind,
        "text": _(
            "Tắt một tiến trình máy chủ lúc %(at)s: %(failed)s lần gọi lỗi quanh thời điểm đó, "
            "%(retried)s hồ sơ được gửi lại (cùng khóa chống trùng), %(duplicates)s hồ sơ bị "
            "nhân đôi."
        )
        % {
            "at": fault["at"][11:16],
            "failed": fault["failed_calls"],
            "retried": fault["retried_submissions"],
            "duplicates": fault["duplicates"],
        },
    }


def state_counts(records: list[Record]) -> dict[str, int]:
    return dict(Counter(str(r.server.get("state", "unknown")) for r in records))
