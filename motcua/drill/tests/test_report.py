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
