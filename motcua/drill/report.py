"""The drill's report files: report.json (everything), report.csv (one row per unit) and a
self-contained report.html (no external file: styles inline, charts as inline SVG)."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from motcua.drill.evaluation import number

CSV_COLUMNS = (
    "ward",
    "name",
    "arrivals",
    "submitted",
    "submitted_in_window",
    "received_in_window",
    "returned_in_window",
    "returned",
    "open_at_end",
    "on_time",
    "with_due",
    "on_time_share",
    "mean_lead_minutes",
)
COLORS = {"submitted": "#6c8ebf", "received": "#82b366", "returned": "#d79b00", "fault": "#b85450"}


def write_report(report: dict[str, Any], folder: Path) -> Path:
    """Write the three files into ``folder``; returns the HTML's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    with (folder / "report.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(report["units"])
    html = render_to_string("drill/report.html", html_context(report))
    path = folder / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def html_context(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "LANGUAGE_CODE": translation.get_language(),
        "report": report,
        "unit_chart": unit_chart(report["units"]),
        "step_chart": step_chart(report["steps"]),
        "latency_chart": latency_chart(report["latency"]),
        "timeline_chart": timeline_chart(report),
        **fault_table(report["faults"]),
    }


# --- the fault table ---------------------------------------------------------------------------

# The figure columns of the fault table: messages of the outbox that waited during the fault,
# those of them later than usual, their mean delay, and the API calls that failed meanwhile.
FAULT_COLUMNS = ("messages_waiting", "messages_delayed", "mean_delay_minutes", "failed_calls")
MESSAGE_COLUMNS = FAULT_COLUMNS[:3]
# Why a cell holds "—" instead of a figure (the mark refers to a footnote under the table).
NOT_APPLICABLE, NOT_RUN, NO_MESSAGE = "1", "2", "3"


def _footnote(mark: str) -> str:
    if mark == NOT_APPLICABLE:
        return _(
            "Không áp dụng: thông báo thanh toán là lời gọi của cổng thanh toán đến hệ thống, "
            "không phải tin trong hộp thư đi; thiệt hại của sự cố ghi ở cột Ghi chú."
        )
    if mark == NOT_RUN:
        return _(
            "Không đo: sự cố này chỉ giả lập được trên máy chủ diễn tập riêng (chạy không có "
            "--target)."
        )
    return _("Không có tin nào phải chờ nên không có thời gian chậm trung bình.")


def fault_table(faults: list[dict[str, Any]]) -> dict[str, Any]:
    """Each fault's row: its figures, or "—" with the footnote saying why there is none (never
    a blank, nor a 0 that was not measured), and what its notes add; then the footnotes used."""
    rows, used = [], set()
    for fault in faults:
        cells = []
        for column in FAULT_COLUMNS:
            if not fault["available"]:
                mark = NOT_RUN
            elif fault["kind"] == "payment_notification_lost" and column in MESSAGE_COLUMNS:
                mark = NOT_APPLICABLE
            elif fault.get(column) is None:
                mark = NO_MESSAGE
            else:
                cells.append({"text": number(fault[column]), "mark": ""})
                continue
            used.add(mark)
            cells.append({"text": "—", "mark": mark})
        rows.append({"fault": fault, "cells": cells, "notes": _fault_notes(fault)})
    marks = (NOT_APPLICABLE, NOT_RUN, NO_MESSAGE)
    footnotes = [{"mark": mark, "text": _footnote(mark)} for mark in marks if mark in used]
    return {"fault_rows": rows, "fault_footnotes": footnotes}


def _fault_notes(fault: dict[str, Any]) -> list[str]:
    if not fault["available"]:
        return []
    if fault["kind"] == "payment_notification_lost":
        return [
            _(
                "%(affected)s khoản thanh toán không có thông báo, %(settled)s khoản vẫn được "
                "ghi nhận khi người nộp quay về; ghi nhận sau trung bình %(slow)s phút (bình "
                "thường %(normal)s phút)."
            )
            % {
                "affected": number(fault["payments_affected"]),
                "settled": number(fault["settled_anyway"]),
                "slow": number(fault["mean_settle_minutes_affected"]),
                "normal": number(fault["mean_settle_minutes_normal"]),
            }
        ]
    if fault["kind"] == "worker_killed" and fault.get("resumed_at"):
        return [
            _("Tiến trình thay thế gửi lại được từ %(time)s.")
            % {"time": fault["resumed_at"][11:19]}
        ]
    return []


# --- charts ------------------------------------------------------------------------------------


def _svg(width: int, height: int, body: list[str], title: str) -> SafeString:
    return mark_safe(  # noqa: S308 (every text inside went through escape())
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: Any, *, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(str(text))}</text>"
    )


def _rect(x: float, y: float, w: float, h: float, color: str, label: str = "") -> str:
    tip = f"<title>{escape(label)}</title>" if label else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" '
        f'fill="{color}">{tip}</rect>'
    )


def unit_chart(units: list[dict[str, Any]]) -> SafeString:
    """Per unit, three bars: submitted, received and returned within the window."""
    label_width, bar_area, row = 190, 420, 16
    height = 30 + row * len(units)
    peak = max([u["submitted_in_window"] for u in units] + [1])
    body = [
        _text(label_width, 14, _("nộp / tiếp nhận / trả kết quả trong khung giờ"), size=11),
    ]
    for index, unit in enumerate(units):
        y = 24 + index * row
        body.append(_text(label_width - 6, y + 10, unit["name"], anchor="end", size=10))
        for offset, key, color, label in (
            (0, "submitted_in_window", COLORS["submitted"], _("nộp")),
            (4, "received_in_window", COLORS["received"], _("tiếp nhận")),
            (8, "returned_in_window", COLORS["returned"], _("trả kết quả")),
        ):
            width = bar_area * unit[key] / peak
            tip = f"{label}: {number(unit[key])}"
            body.append(_rect(label_width, y + offset, width, 4, color, tip))
        body.append(
            _text(
                label_width + bar_area + 6,
                y + 10,
                f"{number(unit['submitted_in_window'])}/{number(unit['received_in_window'])}/"
                f"{number(unit['returned_in_window'])}",
                size=10,
            )
        )
    return _svg(label_width + bar_area + 80, height, body, _("Kết quả theo đơn vị"))


def step_chart(steps: list[dict[str, Any]]) -> SafeString:
    """Mean and 95th percentile minutes of each step."""
    label_width, bar_area, row = 120, 400, 34
    peak = max([s["p95_minutes"] or 0 for s in steps] + [1])
    body = []
    for index, step in enumerate(steps):
        y = 10 + index * row
        body.append(_text(label_width - 6, y + 14, step["label"], anchor="end"))
        mean, p95 = step["mean_minutes"] or 0, step["p95_minutes"] or 0
        body.append(
            _rect(label_width, y, bar_area * mean / peak, 10, COLORS["received"], _("trung bình"))
        )
        body.append(
            _rect(label_width, y + 12, bar_area * p95 / peak, 10, COLORS["returned"], "p95")
        )
        shown = _("%(mean)s / %(p95)s phút") % {
            "mean": number(step["mean_minutes"]),
            "p95": number(step["p95_minutes"]),
        }
        body.append(_text(label_width + bar_area + 6, y + 14, shown))
    title = _("Thời gian từng khâu")
    return _svg(label_width + bar_area + 110, 20 + row * len(steps), body, title)


def latency_chart(rows: list[dict[str, Any]]) -> SafeString:
    """p50, p95 and p99 latency of each endpoint (ms)."""
    label_width, bar_area, row = 230, 360, 30
    peak = max([r["p99_ms"] for r in rows] + [1.0])
    body = []
    for index, item in enumerate(rows):
        y = 8 + index * row
        body.append(_text(label_width - 6, y + 13, item["endpoint"], anchor="end", size=10))
        for offset, key, color in (
            (0, "p50_ms", COLORS["received"]),
            (8, "p95_ms", COLORS["returned"]),
            (16, "p99_ms", COLORS["fault"]),
        ):
            body.append(_rect(label_width, y + offset, bar_area * item[key] / peak, 7, color, key))
        body.append(
            _text(
                label_width + bar_area + 6,
                y + 13,
                " / ".join(number(round(item[key])) for key in ("p50_ms", "p95_ms", "p99_ms"))
                + " ms",
                size=10,
            )
        )
    return _svg(label_width + bar_area + 150, 16 + row * len(rows), body, _("Độ trễ API"))


def timeline_chart(report: dict[str, Any]) -> SafeString:
    """The scenario's day from the window's start to the end of work, with each fault's span."""
    scenario = report["scenario"]
    start = datetime.fromisoformat(scenario["window"][0])
    end = datetime.fromisoformat(scenario["work_until"])
    window_end = datetime.fromisoformat(scenario["window"][1])
    left, width = 20, 640
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return left + width * (moment - start).total_seconds() / span

    body = [
        _rect(left, 20, x(window_end) - left, 10, COLORS["submitted"], _("khung giờ")),
        _text(left, 14, start.strftime("%H:%M")),
        _text(x(window_end), 14, window_end.strftime("%H:%M"), anchor="middle"),
        _text(left + width, 14, end.strftime("%H:%M"), anchor="end"),
    ]
    for index, fault in enumerate(report["faults"]):
        begin, until = datetime.fromisoformat(fault["at"]), datetime.fromisoformat(fault["until"])
        y = 40 + index * 22
        color = COLORS["fault"] if fault["available"] else "#999999"
        body.append(_rect(x(begin), y, max(x(until) - x(begin), 3), 10, color, fault["kind"]))
        body.append(_text(x(begin) + 6, y + 20, f"{begin:%H:%M} {fault['kind']}", size=10))
    return _svg(left * 2 + width, 50 + 22 * len(report["faults"]), body, _("Diễn biến sự cố"))
