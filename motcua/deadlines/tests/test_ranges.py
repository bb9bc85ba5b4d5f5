"""The years the legal clock knows (2000–2100), and what the CLI and the API answer outside them.

The ``holidays`` package gives no lunar Tết after 2100 and zoneinfo no +07:00 before 1975, so a
receipt outside those years is refused with a ValueError that names the rule, never computed
wrongly or left to crash in date arithmetic (year 9999 overflows ``date``).
"""

import argparse
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.test import Client

from motcua.deadlines import cli
from motcua.deadlines.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    TZ,
    OutsideCalendar,
    WorkingCalendar,
)

CALENDAR = WorkingCalendar()


def motcua_due(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="motcua")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["due", *argv])
    return cli.run(args, procedure_rule=lambda code: ("same_day", None))


class TestCalendar:
    def test_the_years_it_knows(self) -> None:
        assert (FIRST_YEAR, LAST_YEAR) == (2000, 2100)

    @pytest.mark.parametrize(
        "received",
        [
            datetime.fromisoformat("9999-12-31T10:00"),  # naive: read as Vietnam time
            datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
            datetime(1900, 1, 2, 9, 0, tzinfo=TZ),
            datetime.fromisoformat("0001-01-01T00:00"),
            datetime(1999, 12, 31, 16, 59, tzinfo=UTC),  # 23:59 in Vietnam, still 1999
            datetime(2100, 12, 31, 17, 0, tzinfo=UTC),  # already 2101 in Vietnam
            datetime.fromisoformat("2101-01-02T09:00"),
        ],
    )
    def test_a_receipt_outside_them_is_refused_naming_the_rule(self, received: datetime) -> None:
        for compute in (
            lambda: CALENDAR.due_at(received, 3),
            lambda: CALENDAR.same_day_due(received),
            lambda: CALENDAR.effective_receipt(received),
        ):
            with pytest.raises(ValueError, match="must fall in the years 2000-2100") as caught:
                compute()
            assert isinstance(caught.value, OutsideCalendar)
            assert (caught.value.what, caught.value.moment) == ("received_at", received)

    def test_their_first_and_last_moments_are_computed(self) -> None:
        # Received on Saturday 1 January 2000: Monday 3 was New Year's day off (observed), so the
        # receipt counts from Tuesday 4 at opening and the one day is Wednesday 5.
        first = CALENDAR.due_at(datetime(2000, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=7))), 1)
        last = CALENDAR.due_at(datetime(2100, 12, 20, 10, 0, tzinfo=TZ), 3)

        assert first.due_at == datetime(2000, 1, 5, 17, 0, tzinfo=TZ)
        assert last.due_at == datetime(2100, 12, 23, 17, 0, tzinfo=TZ)

    def test_a_due_date_past_the_last_year_is_refused(self) -> None:
        with pytest.raises(OutsideCalendar, match="due_at must fall in the years") as caught:
            CALENDAR.due_at(datetime(2100, 12, 28, 10, 0, tzinfo=TZ), 10)

        assert caught.value.what == "due_at"
        assert caught.value.moment == date(2101, 1, 11)


class TestCli:
    def test_a_receipt_in_year_9999_exits_2_with_both_languages(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code = motcua_due(["--received", "9999-12-31T10:00", "--days", "3"])

        captured = capsys.readouterr()
        assert (code, captured.out) == (2, "")
        assert captured.err.splitlines() == [
            "Lỗi: --received '9999-12-31T10:00' phải trong các năm 2000–2100 "
            "(lịch ngày nghỉ chỉ có cho các năm này).",
            "Error: --received '9999-12-31T10:00' must fall in the years 2000–2100 "
            "(the calendar knows the days off of those years only).",
        ]

    def test_a_same_day_procedure_in_1900_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        code = motcua_due(["--received", "1900-01-02T09:00", "--procedure", "2.000635"])

        vietnamese, english = capsys.readouterr().err.splitlines()
        assert code == 2
        assert vietnamese.startswith("Lỗi: --received '1900-01-02T09:00' phải trong các năm")
        assert english.startswith("Error: --received '1900-01-02T09:00' must fall in the years")

    def test_a_due_date_past_2100_exits_2_naming_days(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code = motcua_due(["--received", "2100-06-01T10:00", "--days", "1000"])

        captured = capsys.readouterr()
        assert code == 2
        assert captured.err.splitlines() == [
            "Lỗi: --days: hạn giải quyết (04/04/2104) rơi sau năm 2100, "
            "năm cuối cùng có lịch ngày nghỉ.",
            "Error: --days: the due date (2104-04-04) falls after 2100, "
            "the last year whose days off the calendar knows.",
        ]


@pytest.mark.django_db
class TestApi:
    @pytest.mark.parametrize(
        "query",
        [
            "received=9999-12-31T10:00&days=3",
            "received=0001-01-01T00:00&days=0",
            "received=1900-01-02T09:00&procedure=2.000635",
            "received=9999-12-31T23:59:00-12:00&days=1",
        ],
    )
    def test_a_receipt_outside_the_years_is_a_422_on_received(self, query: str) -> None:
        response = Client().get(f"/api/deadlines/due?{query}")

        assert response.status_code == 422
        assert response.json() == {
            "code": "date_range",
            "field": "received",
            "message": "“received” phải trong các năm 2000–2100, những năm có lịch ngày nghỉ.",
        }

    def test_a_due_date_past_2100_is_a_422_on_days(self) -> None:
        response = Client().get("/api/deadlines/due?received=2100-06-01T10:00&days=1000")

        assert response.status_code == 422
        assert response.json() == {
            "code": "date_range",
            "field": "days",
            "message": "Hạn giải quyết rơi sau năm 2100, năm cuối cùng có lịch ngày nghỉ.",
        }
