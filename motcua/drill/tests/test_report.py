"""The report as a reader sees it: figures grouped by thousands in the report's language, days
written as Vietnamese readers write them, the window's headline figures first among the
findings, and the fault table without a blank or a misleading figure."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.utils import translation

from motcua.drill.evaluation import evaluate, number, report_date
from motcua.drill.report import write_report
from motcua.drill.runner import Call, Drill, FaultEvent
from motcua.drill.tests.test_evaluation import MESSAGES, at, drill_with, iso, message


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("vi", 1018, "1.018"),
        ("en", 1018, "1,018"),
        ("vi", 1234567, "1.234.567"),
        ("vi", 6.7, "6,7"),
        ("en", 6.7, "6.7"),
        ("vi", 1234.5, "1.234,5"),
        ("en", 1234.5, "1,234.5"),
        ("vi", 999, "999"),
        ("vi", 12.0, "12"),
        ("vi", None, "—"),
    ],
)
def test_numbers_are_grouped_in_the_reports_language(
    language: str, value: float | None, shown: str
) -> None:
    with translation.override(language):
        assert number(value) == shown


def test_days_are_day_month_year() -> None:
    day = at(0).date()
    with translation.override("vi"):
        assert report_date(day) == "25/06/2025"
    with translation.override("en"):
        assert report_date(day) == "25 June 2025"


def findings_shown(html: str) -> list[str]:
    return [
        unescape(text) for text in re.findall(r'<li data-kind="[a-z]+"[^>]*>(.*?)</li>', html, re.S)
    ]


def test_a_thousand_messages_are_written_grouped_in_findings_and_page(tmp_path: Path) -> None:
    # 1,018 outbox messages, all delivered at once (the pilot's count).
    messages = [message(pk, "A-1", pk, 1, 1.5) for pk in range(1, 1019)]
    report = evaluate(drill_with(messages, None))
    html = write_report(report, tmp_path).read_text(encoding="utf-8")
    texts = {f["kind"]: f["text"] for f in report["findings"]}
    assert "hộp thư đi có 1.018 tin, còn 0 tin chưa gửi" in texts["reconciliation"]
    assert findings_shown(html) == [f["text"] for f in report["findings"]]
    assert "<td>1.018 / 1.018 / 0 / 0</td>" in html
    # The CSV stays machine-readable: plain integers.
    assert (
        (tmp_path / "report.csv")
        .read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith("23575,Phường Pleiku,2,2,")
    )
    with translation.override("en"):
        english = evaluate(drill_with(messages, None))
    reconciliation = next(f["text"] for f in english["findings"] if f["kind"] == "reconciliation")
    assert "1,018" in reconciliation and "1.018" not in reconciliation


def test_the_window_figures_come_first_and_the_day_is_written_as_in_vietnam(
    tmp_path: Path,
) -> None:
    drill = drill_with(MESSAGES, None)
    first, second = drill.records
    # submitted 14:01, accepted 14:10, returned 14:50 (all in the window 14:00–15:00);
    # submitted 14:02, accepted 14:30, returned 15:20 (after the window).
    first.server = {
        "state": "returned",
        "timeline": [
            {"action": "submit", "at": iso(1)},
            {"action": "accept", "at": iso(10)},
            {"action": "return_result", "at": iso(50)},
        ],
    }
    second.server = {
        "state": "returned",
        "timeline": [
            {"action": "submit", "at": iso(2)},
            {"action": "accept", "at": iso(30)},
            {"action": "return_result", "at": iso(80)},
        ],
    }
    report = evaluate(drill)
    headline = report["findings"][0]
    assert (
        headline["kind"],
        headline["submitted"],
        headline["received"],
        headline["returned"],
    ) == (
        "window",
        2,
        2,
        1,
    )
    assert headline["text"] == (
        "Trong khung giờ 14:00–15:00 ngày 25/06/2025: 2 hồ sơ được nộp, 2 hồ sơ được tiếp "
        "nhận, 1 hồ sơ được trả kết quả."
    )
    html = write_report(report, tmp_path).read_text(encoding="utf-8")
    assert findings_shown(html) == [f["text"] for f in report["findings"]]
    assert "Ngày 25/06/2025, khung giờ 14:00–15:00" in html
    assert "2025-06-25" not in html.split("<body>")[1]

    with translation.override("en"):
        english = evaluate(drill)
        html_en = write_report(english, tmp_path / "en").read_text(encoding="utf-8")
    assert english["findings"][0]["text"] == (
        "In the window 14:00–15:00 on 25 June 2025: dossiers submitted 2, received 2, "
        "returned with their result 1."
    )
    assert "25 June 2025" in html_en and "2025-06-25" not in html_en.split("<body>")[1]
    assert '<html lang="en">' in html_en and '<html lang="vi">' in html
    # The charts speak the report's language too: titles, legends, tooltips and units.
    for title in ("Results per unit", "Time per step", "API latency"):
        assert f"<title>{title}</title>" in html_en
    assert "submitted / received / returned within the window" in html_en
    for vietnamese in ("Kết quả theo đơn vị", "Thời gian từng khâu", "Độ trễ API", "khung giờ",
                       "phút", "trung bình", ">nộp:", "tiếp nhận:"):  # fmt: skip
        assert vietnamese not in html_en, vietnamese


def killed_worker_drill(*, with_portal_down: bool) -> Drill:
    """The worker killed at 14:40 (replaced at 14:40:12); the outbox was empty then. Two status
    messages queued while the replacement started went out with its first delivery at 14:43."""
    drill = drill_with(
        [
            *MESSAGES[:4],
            message(6, "A-1", 10, 40.5, 43),
            message(7, "A-2", 11, 41, 43),
            message(8, "A-2", 12, 50, 50.5),  # long after: not the fault's
        ],
        None,
    )
    drill.fault_events = [
        FaultEvent("worker_killed", at(40), at(40), True, "pid 1", began_at=at(40.2)),
        FaultEvent("payment_notification_lost", at(21), at(25), True, "share 1"),
        FaultEvent("slow_peer", at(55), at(58), False),
    ]
    if with_portal_down:
        drill.fault_events.append(
            FaultEvent("portal_down", at(42), at(44), True, "pid 2", at(42.1), at(44.5))
        )
    drill.calls = [Call("POST /dossiers", 0, 5.0, at(22))]  # during the lost notifications
    return drill


def test_messages_queued_while_the_worker_restarts_waited_for_it() -> None:
    report = evaluate(killed_worker_drill(with_portal_down=False))
    killed = next(f for f in report["faults"] if f["kind"] == "worker_killed")
    # Nothing was in the outbox at the kill itself, yet messages 6 and 7 waited 2.5 and 2 min.
    assert killed["messages_waiting"] == 2
    assert killed["mean_delay_minutes"] == 2.25
    assert killed["resumed_at"] == at(43).isoformat(timespec="seconds")
    # Another fault that holds messages back takes over from its start: 6 and 7 are counted
    # (queued before it), the cost of the portal's outage is not.
    report = evaluate(killed_worker_drill(with_portal_down=True))
    killed = next(f for f in report["faults"] if f["kind"] == "worker_killed")
    assert (killed["messages_waiting"], killed["resumed_at"]) == (2, None)
    assert killed["overlaps"] == []


def test_the_fault_table_has_a_figure_or_a_dash_with_its_footnote(tmp_path: Path) -> None:
    report = evaluate(killed_worker_drill(with_portal_down=False))
    html = write_report(report, tmp_path).read_text(encoding="utf-8")
    rows = {
        kind: re.findall(r"<td>([^<]*)(?:<sup>(\d)</sup>)?</td>", row)[-4:]
        for kind, row in re.findall(r'<tr data-fault="([a-z_]+)">(.*?)</tr>', html, re.S)
    }
    # Lost notifications: no outbox message is theirs (1); one call failed meanwhile.
    assert rows["payment_notification_lost"] == [("—", "1"), ("—", "1"), ("—", "1"), ("1", "")]
    # The killed worker: two messages waited, 2,25 minutes on average; before it, messages
    # took up to 15 minutes (the 95th percentile), so neither was later than usual.
    assert rows["worker_killed"] == [("2", ""), ("0", ""), ("2,25", ""), ("0", "")]
    # Not run (a fault of the drill's own server, here unavailable): nothing measured (2).
    assert rows["slow_peer"] == [("—", "2")] * 4
    footnotes = re.search(r'<p class="footnotes" id="fault-footnotes">(.*?)</p>', html, re.S)
    assert footnotes is not None
    assert "<sup>1</sup> Không áp dụng" in footnotes.group(1)
    assert "<sup>2</sup> Không đo" in footnotes.group(1)
    assert "<sup>3</sup>" not in footnotes.group(1)
    assert "0 khoản thanh toán không có thông báo, 0 khoản vẫn được ghi nhận" in html
    assert "Tiến trình thay thế gửi lại được từ 14:43:00." in html


def test_no_message_waited_means_no_mean_delay(tmp_path: Path) -> None:
    report = evaluate(drill_with([], None))  # the portal down 14:20–14:31, an empty outbox
    html = write_report(report, tmp_path).read_text(encoding="utf-8")
    row = re.search(r'<tr data-fault="portal_down">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r"<td>([^<]*)(?:<sup>(\d)</sup>)?</td>", row.group(1))[-4:]
    assert cells == [("0", ""), ("0", ""), ("—", "3"), ("0", "")]
    assert "<sup>3</sup> Không có tin nào phải chờ" in html
