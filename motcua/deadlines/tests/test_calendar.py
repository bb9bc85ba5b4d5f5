"""The legal clock, checked against the product spec's examples and the holidays package.

Plain pytest functions, no database: the calendar is pure Python.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import holidays
import pytest

from motcua.deadlines.calendar import (
    DEFAULT_OVERRIDES_PATH,
    TZ,
    Note,
    OfficeHours,
    Override,
    SkippedDay,
    WorkingCalendar,
    default_calendar,
    load_overrides,
)

VN_2025_2026 = holidays.country_holidays("VN", years=[2025, 2026], language="vi")
VN_2025_2026_EN = holidays.country_holidays("VN", years=[2025, 2026], language="en_US")

# A commune people's committee closing its desk for a local event, and opening it on a Saturday.
DAY_OFF = Override(
    date(2026, 3, 3), "day_off", "Nghỉ theo quyết định của tỉnh", "Provincial day off", "12/QĐ-UBND"
)
SATURDAY_OPEN = Override(
    date(2026, 3, 7), "working_day", "Làm việc bù", "Make-up working day", "13/QĐ-UBND"
)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def vn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)


def naive(text: str) -> datetime:
    """A wall-clock time without a zone, as a form or the CLI supplies it."""
    return datetime.fromisoformat(text)


def skipped(deadline_explanation: list[SkippedDay | Note]) -> list[date]:
    return [item.day for item in deadline_explanation if isinstance(item, SkippedDay)]


def notes(deadline_explanation: list[SkippedDay | Note]) -> list[str]:
    return [item.code for item in deadline_explanation if isinstance(item, Note)]


# -- working days ---------------------------------------------------------------------------


def test_working_days_agree_with_the_holidays_package(calendar: WorkingCalendar) -> None:
    day = date(2025, 1, 1)
    while day.year < 2027:
        assert calendar.is_working_day(day) == VN_2025_2026.is_working_day(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 8, 22), True),  # make-up Saturday for 31/8/2026
        (date(2026, 8, 31), False),  # day off substituted from 22/8/2026
        (date(2025, 4, 26), True),  # make-up Saturday for 2/5/2025
        (date(2025, 5, 2), False),
        (date(2026, 4, 27), False),  # Hùng Kings' day fell on a Sunday: observed Monday
        (date(2026, 2, 23), True),
        (date(2026, 2, 21), False),
    ],
)
def test_known_days(calendar: WorkingCalendar, day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working


def test_holiday_reasons_in_both_languages(calendar: WorkingCalendar) -> None:
    reason = calendar.day_off(date(2026, 2, 17))

    assert reason == SkippedDay(date(2026, 2, 17), "holiday", "Tết Nguyên Đán", "Lunar New Year")
    assert reason.reason_vi == VN_2025_2026[date(2026, 2, 17)]
    assert reason.reason_en == VN_2025_2026_EN[date(2026, 2, 17)]
    assert calendar.day_off(date(2026, 3, 1)) == SkippedDay(
        date(2026, 3, 1), "weekend", "Chủ Nhật", "Sunday"
    )
    assert calendar.day_off(date(2026, 2, 23)) is None


def test_a_datetime_is_not_a_day(calendar: WorkingCalendar) -> None:
    with pytest.raises(TypeError, match="expected a date"):
        calendar.is_working_day(vn(2026, 3, 2, 9))


def test_next_and_previous_working_day_jump_over_tet(calendar: WorkingCalendar) -> None:
    assert calendar.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert calendar.previous_working_day(date(2026, 2, 23)) == date(2026, 2, 13)
    assert calendar.next_working_day(date(2026, 8, 21)) == date(2026, 8, 22)


def test_add_working_days_matches_the_holidays_package(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(date(2025, 1, 24), 3) == date(2025, 2, 5)
    start = date(2025, 12, 20)
    for n in (1, 5, 15, 30, 60):
        assert calendar.add_working_days(start, n) == VN_2025_2026.get_nth_working_day(start, n)
    assert calendar.add_working_days(start, 0) == start  # ours: 0 means "no days added"
    assert calendar.add_working_days(date(2026, 2, 23), -1) == date(2026, 2, 13)


def test_working_days_between_is_the_inverse_of_add(calendar: WorkingCalendar) -> None:
    start = date(2026, 2, 10)
    for n in range(0, 40, 3):
        end = calendar.add_working_days(start, n)
        assert calendar.working_days_between(start, end) == n
        assert calendar.working_days_between(end, start) == -n
    expected = VN_2025_2026.get_working_days_count(date(2026, 2, 14), date(2026, 3, 31))
    assert calendar.working_days_between(date(2026, 2, 13), date(2026, 3, 31)) == expected


def test_working_time_between_counts_office_sessions_only(calendar: WorkingCalendar) -> None:
    monday = date(2026, 3, 2)
    assert calendar.working_time_between(vn(2026, 3, 2, 7, 30), vn(2026, 3, 2, 17)) == timedelta(
        hours=7, minutes=30
    )
    assert calendar.working_time_between(vn(2026, 3, 2, 11), vn(2026, 3, 2, 14)) == timedelta(
        hours=1
    )
    friday_to_monday = calendar.working_time_between(vn(2026, 2, 27, 16), vn(2026, 3, 2, 8, 30))
    assert friday_to_monday == timedelta(hours=2)
    assert calendar.working_time_between(vn(2026, 3, 2, 9), vn(2026, 3, 2, 8)) == -timedelta(
        hours=1
    )
    utc_start = datetime.combine(monday, time(0, 30), tzinfo=UTC)  # 07:30 in Vietnam
    assert calendar.working_time_between(utc_start, vn(2026, 3, 2, 9)) == timedelta(
        hours=1, minutes=30
    )
    # Tết week: nothing but the Friday before and the Monday after.
    tet = calendar.working_time_between(vn(2026, 2, 13, 7, 30), vn(2026, 2, 23, 17))
    assert tet == timedelta(hours=15)


# -- deadlines: the product spec's examples --------------------------------------------------


def test_three_days_from_friday_afternoon_before_tet(calendar: WorkingCalendar) -> None:
    deadline = calendar.due_at(naive("2026-02-13T16:45"), 3)

    assert deadline.received_at == vn(2026, 2, 13, 16, 45)
    assert deadline.effective_received_at == vn(2026, 2, 13, 16, 45)
    assert deadline.counting_starts == date(2026, 2, 23)
    assert deadline.due_at == vn(2026, 2, 25, 17, 0)
    assert deadline.due_at.isoformat() == "2026-02-25T17:00:00+07:00"
    tet = [day for day in VN_2025_2026 if date(2026, 2, 14) <= day <= date(2026, 2, 22)]
    weekends = [date(2026, 2, 14), date(2026, 2, 15), date(2026, 2, 21), date(2026, 2, 22)]
    assert skipped(deadline.explanation) == sorted(tet + weekends)
    assert [item.kind for item in deadline.explanation][:2] == ["weekend", "weekend"]
    assert notes(deadline.explanation) == []


def test_civil_status_same_day_before_the_cutoff(calendar: WorkingCalendar) -> None:
    deadline = calendar.same_day_due(naive("2026-02-13T14:30"))

    assert deadline.due_at == vn(2026, 2, 13, 17, 0)
    assert deadline.counting_starts == date(2026, 2, 13)
    assert deadline.explanation == []


def test_civil_status_after_the_cutoff_goes_to_the_next_working_day(
    calendar: WorkingCalendar,
) -> None:
    deadline = calendar.same_day_due(naive("2026-02-13T15:30"))

    assert deadline.due_at == vn(2026, 2, 23, 17, 0)
    assert notes(deadline.explanation) == ["after_cutoff"]
    note = deadline.explanation[0]
    assert isinstance(note, Note)
    assert note.reason_en == "Received after 15:00, returned the next working day (23/02/2026)"
    assert len(skipped(deadline.explanation)) == 9


def test_civil_status_cutoff_is_inclusive_and_configurable(calendar: WorkingCalendar) -> None:
    assert calendar.same_day_due(vn(2026, 3, 2, 15, 0)).due_at == vn(2026, 3, 2, 17)
    assert calendar.same_day_due(vn(2026, 3, 2, 15, 1)).due_at == vn(2026, 3, 3, 17)
    assert calendar.same_day_due(vn(2026, 3, 2, 14), cutoff=time(11)).due_at == vn(2026, 3, 3, 17)


def test_civil_status_received_on_saturday_is_done_monday(calendar: WorkingCalendar) -> None:
    deadline = calendar.same_day_due(vn(2026, 2, 28, 9))

    assert deadline.effective_received_at == vn(2026, 3, 2, 7, 30)
    assert deadline.due_at == vn(2026, 3, 2, 17)
    assert notes(deadline.explanation) == ["non_working_day"]


def test_make_up_saturday_counts(calendar: WorkingCalendar) -> None:
    deadline = calendar.due_at(vn(2026, 8, 21, 10), 1)

    assert deadline.counting_starts == date(2026, 8, 22)
    assert deadline.due_at == vn(2026, 8, 22, 17)


def test_national_day_and_its_substitute_are_skipped(calendar: WorkingCalendar) -> None:
    deadline = calendar.due_at(vn(2026, 8, 28, 10), 1)

    assert deadline.due_at == vn(2026, 9, 3, 17)
    expected = VN_2025_2026.get_nth_working_day(date(2026, 8, 28), 1)
    assert deadline.due_at.date() == expected
    assert skipped(deadline.explanation)[-3:] == [
        date(2026, 8, 31),
        date(2026, 9, 1),
        date(2026, 9, 2),
    ]


def test_make_up_saturday_2025(calendar: WorkingCalendar) -> None:
    deadline = calendar.due_at(vn(2025, 4, 25, 9), 1)

    assert deadline.due_at == vn(2025, 4, 26, 17)


@pytest.mark.parametrize(
    ("days", "due"),
    [
        (Decimal("2.5"), vn(2026, 3, 5, 11, 30)),
        (2.5, vn(2026, 3, 5, 11, 30)),
        (Decimal("0.5"), vn(2026, 3, 3, 11, 30)),
        (1, vn(2026, 3, 3, 17)),
        (Decimal("3"), vn(2026, 3, 5, 17)),
        (0, vn(2026, 3, 2, 17)),
    ],
)
def test_half_and_whole_days(
    calendar: WorkingCalendar, days: Decimal | float, due: datetime
) -> None:
    deadline = calendar.due_at(vn(2026, 3, 2, 9), days)

    assert deadline.due_at == due


def test_receipt_on_sunday_counts_from_monday_opening(calendar: WorkingCalendar) -> None:
    deadline = calendar.due_at(vn(2026, 3, 1, 10), 1)

    assert deadline.effective_received_at == vn(2026, 3, 2, 7, 30)
    assert deadline.counting_starts == date(2026, 3, 3)
    assert deadline.due_at == vn(2026, 3, 3, 17)
    assert notes(deadline.explanation) == ["non_working_day"]
    assert skipped(deadline.explanation) == [date(2026, 3, 1)]


def test_receipt_in_the_evening_counts_from_next_morning(calendar: WorkingCalendar) -> None:
    deadline = calendar.due_at(naive("2026-03-02T20:00"), 1)

    assert deadline.effective_received_at == vn(2026, 3, 3, 7, 30)
    assert deadline.counting_starts == date(2026, 3, 4)
    assert deadline.due_at == vn(2026, 3, 4, 17)
    assert notes(deadline.explanation) == ["after_hours"]


def test_receipt_during_lunch_and_before_opening_stays_the_same_day(
    calendar: WorkingCalendar,
) -> None:
    lunch = calendar.due_at(vn(2026, 3, 2, 12, 15), 1)
    early = calendar.due_at(vn(2026, 3, 2, 6, 45), 1)

    assert lunch.effective_received_at == vn(2026, 3, 2, 13, 30)
    assert early.effective_received_at == vn(2026, 3, 2, 7, 30)
    assert lunch.due_at == early.due_at == vn(2026, 3, 3, 17)
    assert notes(lunch.explanation) == ["lunch_break"]
    assert notes(early.explanation) == ["before_opening"]


def test_aware_utc_receipt_is_converted(calendar: WorkingCalendar) -> None:
    in_hours = calendar.due_at(datetime(2026, 3, 2, 8, 30, tzinfo=UTC), 1)  # 15:30 in Vietnam
    after_hours = calendar.due_at(datetime(2026, 3, 2, 10, 30, tzinfo=UTC), 1)  # 17:30

    assert in_hours.received_at.isoformat() == "2026-03-02T15:30:00+07:00"
    assert in_hours.due_at == vn(2026, 3, 3, 17)
    assert after_hours.effective_received_at == vn(2026, 3, 3, 7, 30)
    assert after_hours.due_at == vn(2026, 3, 4, 17)


def test_due_dates_are_working_days_n_days_after_receipt(calendar: WorkingCalendar) -> None:
    moment = vn(2025, 1, 1, 6, 10)
    while moment.year < 2027:
        deadline = calendar.due_at(moment, 7)
        start = deadline.effective_received_at.date()
        assert calendar.is_working_day(deadline.due_at.date())
        assert calendar.working_days_between(start, deadline.due_at.date()) == 7
        assert deadline.due_at.date() == VN_2025_2026.get_nth_working_day(start, 7)
        moment += timedelta(hours=17, minutes=40)


@pytest.mark.parametrize("days", [-1, Decimal("1.25"), 0.3, Decimal("NaN"), 1001])
def test_bad_day_counts_are_refused(calendar: WorkingCalendar, days: Decimal | float) -> None:
    with pytest.raises(ValueError, match="multiple of 0.5"):
        calendar.due_at(vn(2026, 3, 2, 9), days)


def test_as_dict_is_json_ready() -> None:
    deadline = WorkingCalendar().due_at(naive("2026-02-27T18:00"), Decimal("0.5"))

    assert deadline.as_dict() == {
        "received_at": "2026-02-27T18:00:00+07:00",
        "effective_received_at": "2026-03-02T07:30:00+07:00",
        "counting_starts": "2026-03-03",
        "due_at": "2026-03-03T11:30:00+07:00",
        "explanation": [
            {
                "kind": "note",
                "code": "after_hours",
                "date": "2026-02-27",
                "reason_vi": "Nhận sau giờ hành chính, tính từ giờ mở cửa kế tiếp "
                "(07:30 ngày 02/03/2026)",
                "reason_en": "Received after office hours, counted from the next opening "
                "(07:30 on 02/03/2026)",
            },
            {
                "kind": "weekend",
                "date": "2026-02-28",
                "reason_vi": "Thứ Bảy",
                "reason_en": "Saturday",
                "source": None,
            },
            {
                "kind": "weekend",
                "date": "2026-03-01",
                "reason_vi": "Chủ Nhật",
                "reason_en": "Sunday",
                "source": None,
            },
        ],
    }


# -- configuration: overrides and office hours ----------------------------------------------


def test_injected_overrides_move_days() -> None:
    calendar = WorkingCalendar([DAY_OFF, SATURDAY_OPEN])

    assert not calendar.is_working_day(date(2026, 3, 3))
    assert calendar.is_working_day(date(2026, 3, 7))
    deadline = calendar.due_at(vn(2026, 3, 2, 9), 4)  # Wed 4, Thu 5, Fri 6, Sat 7
    assert deadline.counting_starts == date(2026, 3, 4)
    assert deadline.due_at == vn(2026, 3, 7, 17)
    assert deadline.explanation == [
        SkippedDay(
            date(2026, 3, 3),
            "override",
            "Nghỉ theo quyết định của tỉnh",
            "Provincial day off",
            "12/QĐ-UBND",
        )
    ]


def test_working_day_override_beats_a_public_holiday() -> None:
    opened = Override(date(2026, 2, 20), "working_day", "Trực", "On duty", "1/QĐ-UBND")
    calendar = WorkingCalendar([opened])

    assert calendar.next_working_day(date(2026, 2, 13)) == date(2026, 2, 20)


def test_duplicate_overrides_are_refused() -> None:
    with pytest.raises(ValueError, match="two overrides for 2026-03-03"):
        WorkingCalendar([DAY_OFF, DAY_OFF])


def test_office_hours_are_configurable() -> None:
    hours = OfficeHours(time(8), time(12), time(13), time(16, 30))
    calendar = WorkingCalendar(hours=hours)

    # 16:45 is after this desk's 16:30 close: received Tue 08:00, counted from Wed.
    assert calendar.due_at(vn(2026, 3, 2, 16, 45), Decimal("1.5")).due_at == vn(2026, 3, 5, 12)
    assert calendar.working_time_between(vn(2026, 3, 2), vn(2026, 3, 3)) == timedelta(hours=7.5)
    with pytest.raises(ValueError, match="two sessions"):
        OfficeHours(time(13), time(12))


def test_shipped_override_table_changes_nothing() -> None:
    assert load_overrides(DEFAULT_OVERRIDES_PATH) == ()
    assert default_calendar() is default_calendar()
    assert default_calendar().overrides == {}


def test_load_overrides_from_yaml(tmp_path: Path) -> None:
    table = tmp_path / "overrides.yaml"
    table.write_text(
        "overrides:\n"
        "  - date: 2026-03-03\n"
        "    kind: day_off\n"
        "    reason_vi: Nghỉ theo quyết định của tỉnh\n"
        "    reason_en: Provincial day off\n"
        "    source: 12/QĐ-UBND\n"
        "  - {date: '2026-03-07', kind: working_day, reason_vi: Làm việc bù,\n"
        "     reason_en: Make-up working day, source: 13/QĐ-UBND}\n",
        encoding="utf-8",
    )

    assert load_overrides(table) == (DAY_OFF, SATURDAY_OPEN)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "overrides:\n  - {date: 2026-03-03, kind: holiday, reason_vi: a, reason_en: b, "
            "source: c}\n",
            "kind must be day_off or working_day",
        ),
        ("overrides:\n  - {date: 2026-03-03, kind: day_off}\n", "missing reason_vi"),
        (
            "overrides:\n  - {date: soon, kind: day_off, reason_vi: a, reason_en: b, source: c}\n",
            "date must be YYYY-MM-DD",
        ),
        ("overrides: 3\n", "expected a mapping"),
    ],
)
def test_bad_override_tables_are_refused(tmp_path: Path, body: str, message: str) -> None:
    table = tmp_path / "overrides.yaml"
    table.write_text(body, encoding="utf-8")

    with pytest.raises(ValueError, match=message):
        load_overrides(table)
