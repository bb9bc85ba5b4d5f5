"""``motcua due``: argv through argparse to ``run``, output captured.

The procedure catalog is replaced by a fake lookup, so these run without a database.
"""

import argparse
import json
from decimal import Decimal

import pytest
from django.apps import apps

from motcua.deadlines import cli

# Two procedures as the catalog would describe them.
RULES = {
    "2.000635": ("same_day", None),  # copy of a civil-status extract
    "1.012795": ("working_days", Decimal("2.5")),
}


def fake_catalog(code: str) -> tuple[str, Decimal | None]:
    return RULES[code]


def motcua(argv: list[str], procedure_rule: cli.ProcedureRule | None = fake_catalog) -> int:
    """Parse ``argv`` the way the main console script does and run the subcommand."""
    parser = argparse.ArgumentParser(prog="motcua")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    handler = args.handler
    assert handler is cli.run
    return handler(args, procedure_rule=procedure_rule)


def test_days_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = motcua(["due", "--received", "2026-02-13T16:45", "--days", "3", "--json"])

    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["received_at"] == "2026-02-13T16:45:00+07:00"
    assert out["counting_starts"] == "2026-02-23"
    assert out["due_at"] == "2026-02-25T17:00:00+07:00"
    assert [item["date"] for item in out["explanation"]] == [
        f"2026-02-{day}" for day in range(14, 23)
    ]
    assert out["explanation"][2] == {
        "kind": "holiday",
        "date": "2026-02-16",
        "reason_vi": "Giao thừa Tết Nguyên Đán",
        "reason_en": "Lunar New Year's Eve",
        "source": None,
    }


def test_same_day_procedure_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = motcua(["due", "--procedure", "2.000635", "--received", "2026-02-13T15:30", "--json"])

    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["counting_starts"] == "2026-02-23"
    assert out["due_at"] == "2026-02-23T17:00:00+07:00"
    assert out["explanation"][0]["kind"] == "note"
    assert out["explanation"][0]["code"] == "after_cutoff"
    assert out["explanation"][0]["reason_en"].startswith("Received after 15:00")


def test_working_day_procedure(capsys: pytest.CaptureFixture[str]) -> None:
    code = motcua(["due", "--procedure", "1.012795", "--received", "2026-03-02T09:00", "--json"])

    assert code == 0
    assert json.loads(capsys.readouterr().out)["due_at"] == "2026-03-05T11:30:00+07:00"


def test_aware_receipt_and_decimal_comma(capsys: pytest.CaptureFixture[str]) -> None:
    code = motcua(["due", "--received", "2026-03-02T02:00+00:00", "--days", "0,5", "--json"])

    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["received_at"] == "2026-03-02T09:00:00+07:00"
    assert out["due_at"] == "2026-03-03T11:30:00+07:00"


def test_readable_vietnamese_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code = motcua(["due", "--received", "2026-02-13T17:45", "--days", "3"])

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[:4] == [
        "Thời điểm tiếp nhận:   17:45 ngày 13/02/2026 (+07:00)",
        "Tính là tiếp nhận lúc: 07:30 ngày 23/02/2026 (+07:00)",
        "Bắt đầu tính từ ngày:  24/02/2026",
        "Hạn trả kết quả:       17:00 ngày 26/02/2026 (+07:00)",
    ]
    assert out[4].startswith("Ghi chú: Nhận sau giờ hành chính")
    assert out[5] == "Ngày nghỉ không tính:"
    assert "  - 17/02/2026: Tết Nguyên Đán" in out


@pytest.mark.parametrize(
    ("argv", "options", "rule"),
    [
        (["--received", "13/02/2026", "--days", "3"], ("--received",), "ISO 8601"),
        (["--received", "2026-02-13T16:45", "--days", "-1"], ("--days",), "multiple of 0.5"),
        (["--received", "2026-02-13T16:45", "--days", "1.25"], ("--days",), "multiple of 0.5"),
        (["--received", "2026-02-13T16:45", "--days", "ba"], ("--days",), "multiple of 0.5"),
        (["--received", "2026-02-13T16:45", "--days", "5000"], ("--days",), "from 0 to 1000"),
        (["--received", "2026-02-13T16:45"], ("--days", "--procedure"), "exactly one"),
        (["--days", "1", "--procedure", "2.000635"], ("--days", "--procedure"), "exactly one"),
        (["--procedure", "9.999999"], ("--procedure",), "no such procedure"),
    ],
)
def test_bad_input_exits_2_naming_the_option(
    capsys: pytest.CaptureFixture[str], argv: list[str], options: tuple[str, ...], rule: str
) -> None:
    code = motcua(["due", *argv])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    vietnamese, english = captured.err.strip().splitlines()
    assert vietnamese.startswith("Lỗi: ")
    assert english.startswith("Error: ")
    assert all(option in vietnamese and option in english for option in options)
    assert rule in english


def test_default_lookup_asks_the_catalog(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if not apps.ready:
        pytest.skip("the catalog needs a configured Django project")
    from motcua.catalog import selectors
    from motcua.core.errors import NotFound

    def get_deadline_rule(code: str) -> tuple[str, Decimal | None]:
        if code not in RULES:
            raise NotFound()
        return RULES[code]

    monkeypatch.setattr(selectors, "get_deadline_rule", get_deadline_rule)
    argv = ["due", "--procedure", "2.000635", "--received", "2026-02-13T14:30", "--json"]
    assert motcua(argv, procedure_rule=None) == 0
    assert json.loads(capsys.readouterr().out)["due_at"] == "2026-02-13T17:00:00+07:00"
    assert motcua(["due", "--procedure", "0.000000"], procedure_rule=None) == 2
    assert "--procedure '0.000000'" in capsys.readouterr().err
