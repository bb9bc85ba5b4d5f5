"""The legal clock: working days, office hours and deadlines (thời hạn giải quyết).

Pure Python, no Django: other apps, the CLI and the benchmarks may import it without a
configured project. All times are Vietnam time (Asia/Ho_Chi_Minh, +07:00, no daylight saving).

A day is a working day when, in this order of precedence:

1. the province override table says so (``working_day``) or says not (``day_off``);
2. it is not a public holiday of the ``holidays`` package (VN) - Labour Code 45/2019/QH14
   Art. 112, with Tết and the National Day extra day fixed yearly by the Prime Minister
   (Art. 112(3)) and compensatory days off (Art. 111(3)) as the package ships them;
3. it is Monday to Friday, or a Saturday the package lists as a make-up working day
   (``weekend_workdays``). The Monday-Friday civil-service week is what the data shows; its
   legal basis is not confirmed by an official text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays
import yaml

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_OVERRIDES_PATH = Path(__file__).resolve().parent / "data" / "overrides.yaml"

# Law on Civil Status 60/2014/QH13 Art. 5(3): received after 15:00 and not doable at once,
# the result is returned the next working day.
CIVIL_STATUS_CUTOFF = time(15, 0)

# No published procedure takes anywhere near this long; the cap keeps a mistyped or hostile
# input from spinning the day-by-day count.
MAX_DAYS = Decimal(1000)

# The years whose days off the clock knows: the ``holidays`` package computes the lunar Tết
# only up to 2100 (its lunisolar table; later years come back without any holiday), and
# zoneinfo gives Vietnam its +07:00 only since 1975 (1900 reads +07:06:40, local mean time).
FIRST_YEAR = 2000
LAST_YEAR = 2100

OverrideKind = Literal["day_off", "working_day"]
SkipKind = Literal["weekend", "holiday", "override"]
NoteCode = Literal[
    "non_working_day", "before_opening", "lunch_break", "after_hours", "after_cutoff"
]
Days = Decimal | int | float

_WEEKEND_NAMES = {5: ("Thứ Bảy", "Saturday"), 6: ("Chủ Nhật", "Sunday")}
_OVERRIDE_KEYS = ("date", "kind", "reason_vi", "reason_en", "source")
_ONE_DAY = timedelta(days=1)


class OutsideCalendar(ValueError):
    """A receipt time (``what`` = "received_at") or a due date ("due_at") outside the years
    ``FIRST_YEAR``..``LAST_YEAR`` that the calendar knows."""

    def __init__(self, what: Literal["received_at", "due_at"], moment: date) -> None:
        self.what = what
        self.moment = moment
        super().__init__(
            f"{what} must fall in the years {FIRST_YEAR}-{LAST_YEAR} (the calendar knows the "
            f"days off of those years only), got {moment.isoformat()}"
        )


@dataclass(frozen=True)
class Override:
    """One row of the override table: a decision that makes ``day`` a day off or a working day."""

    day: date
    kind: OverrideKind
    reason_vi: str
    reason_en: str
    source: str


@dataclass(frozen=True)
class OfficeHours:
    """Opening hours of the one-stop desk (Bộ phận Một cửa): a morning and an afternoon session."""

    morning_open: time = time(7, 30)
    morning_close: time = time(11, 30)
    afternoon_open: time = time(13, 30)
    afternoon_close: time = time(17, 0)

    def __post_init__(self) -> None:
        ordered = (
            self.morning_open < self.morning_close <= self.afternoon_open < self.afternoon_close
        )
        if not ordered:
            raise ValueError("office hours must be two sessions in order: morning, afternoon")

    @property
    def sessions(self) -> tuple[tuple[time, time], tuple[time, time]]:
        return (self.morning_open, self.morning_close), (self.afternoon_open, self.afternoon_close)


@dataclass(frozen=True)
class SkippedDay:
    """A non-working day the clock passed over, with its reason in Vietnamese and English."""

    day: date
    kind: SkipKind
    reason_vi: str
    reason_en: str
    source: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "date": self.day.isoformat(),
            "reason_vi": self.reason_vi,
            "reason_en": self.reason_en,
            "source": self.source,
        }


@dataclass(frozen=True)
class Note:
    """A remark on how the receipt time was read (e.g. after hours, after the 15:00 cut-off)."""

    day: date
    code: NoteCode
    reason_vi: str
    reason_en: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kind": "note",
            "code": self.code,
            "date": self.day.isoformat(),
            "reason_vi": self.reason_vi,
            "reason_en": self.reason_en,
        }


@dataclass(frozen=True)
class Deadline:
    """A computed deadline and why it falls where it does.

    ``received_at`` is the receipt in Vietnam time; ``effective_received_at`` the moment the
    clock treats it as received (the next opening when received outside office hours);
    ``counting_starts`` the first day counted; ``explanation`` the notes, then every non-working
    day from the receipt date to the due date, in date order.
    """

    received_at: datetime
    effective_received_at: datetime
    counting_starts: date
    due_at: datetime
    explanation: list[SkippedDay | Note] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values: ISO 8601 strings, datetimes with their +07:00 offset."""
        return {
            "received_at": self.received_at.isoformat(),
            "effective_received_at": self.effective_received_at.isoformat(),
            "counting_starts": self.counting_starts.isoformat(),
            "due_at": self.due_at.isoformat(),
            "explanation": [item.as_dict() for item in self.explanation],
        }


@functools.cache
def _year_table(year: int) -> tuple[Mapping[date, tuple[str, str]], frozenset[date]]:
    """Public holidays of ``year`` (date -> Vietnamese and English name) and its make-up Saturdays.

    Cached per year: building a ``holidays`` object costs about a millisecond, and benchmarks
    compute thousands of deadlines.
    """
    in_vi = holidays.country_holidays("VN", years=year, language="vi")
    in_en = holidays.country_holidays("VN", years=year, language="en_US")
    names = {day: (name, in_en.get(day) or name) for day, name in in_vi.items()}
    makeup = frozenset(day for day in in_vi.weekend_workdays if day.year == year)
    return names, makeup


def to_local(moment: datetime) -> datetime:
    """``moment`` in Vietnam time; a naive datetime is read as Vietnam time already."""
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ)


def _check_received(received_at: datetime) -> None:
    """OutsideCalendar unless ``received_at`` falls in the years the calendar knows.

    The year as given is checked loosely first: the last hour of year 9999 in UTC cannot even
    be converted to Vietnam time.
    """
    near = FIRST_YEAR - 1 <= received_at.year <= LAST_YEAR + 1
    if not near or not FIRST_YEAR <= to_local(received_at).year <= LAST_YEAR:
        raise OutsideCalendar("received_at", received_at)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=TZ)


def half_days(days: Days) -> int:
    """``days`` as a count of half days; ValueError unless a multiple of 0.5 in [0, MAX_DAYS]."""
    amount = Decimal(str(days)) if isinstance(days, float) else Decimal(days)
    doubled = amount * 2
    if not amount.is_finite() or not 0 <= amount <= MAX_DAYS or doubled % 1 != 0:
        raise ValueError(f"days must be a multiple of 0.5 from 0 to {MAX_DAYS}, got {days!r}")
    return int(doubled)


class WorkingCalendar:
    """Working days and office hours of the civil service, with deadline arithmetic.

    ``overrides`` is the province override table (see ``load_overrides``); ``hours`` the office
    hours, 07:30-11:30 and 13:30-17:00 by default. Instances memoise per date and are cheap to
    share; use ``default_calendar()`` for the shipped override table.
    """

    def __init__(
        self, overrides: Iterable[Override] = (), hours: OfficeHours | None = None
    ) -> None:
        self.hours = hours or OfficeHours()
        self.overrides: dict[date, Override] = {}
        for override in overrides:
            if override.day in self.overrides:
                raise ValueError(f"two overrides for {override.day.isoformat()}")
            self.overrides[override.day] = override
        self._day_off_memo: dict[date, SkippedDay | None] = {}

    # -- days ---------------------------------------------------------------------------------

    def day_off(self, day: date) -> SkippedDay | None:
        """Why ``day`` is not a working day, or None when it is one.

        ``day`` is a date; a datetime raises TypeError (take ``to_local(moment).date()``), as its
        calendar day would depend on its time zone.
        """
        try:
            return self._day_off_memo[day]
        except KeyError:
            if isinstance(day, datetime):
                raise TypeError("expected a date, got a datetime") from None
            reason = self._day_off_memo[day] = self._day_off_reason(day)
            return reason

    def _day_off_reason(self, day: date) -> SkippedDay | None:
        override = self.overrides.get(day)
        if override is not None:
            if override.kind == "working_day":
                return None
            return SkippedDay(
                day, "override", override.reason_vi, override.reason_en, override.source
            )

        names, makeup = _year_table(day.year)
        if day in names:
            return SkippedDay(day, "holiday", *names[day])
        if day.weekday() in _WEEKEND_NAMES and day not in makeup:
            return SkippedDay(day, "weekend", *_WEEKEND_NAMES[day.weekday()])
        return None

    def is_working_day(self, day: date) -> bool:
        """True when the one-stop desk works on ``day``."""
        return self.day_off(day) is None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        day -= _ONE_DAY
        while not self.is_working_day(day):
            day -= _ONE_DAY
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (before it when ``n`` < 0); ``start`` if 0.

        ``start`` itself is never counted, working day or not.
        """
        step = self.next_working_day if n >= 0 else self.previous_working_day
        day = start
        for _ in range(abs(n)):
            day = step(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (``start``, ``end``]; negative when ``end`` is before ``start``.

        The inverse of ``add_working_days``: ``working_days_between(d, add_working_days(d, n))``
        is ``n``.
        """
        if end < start:
            return -self.working_days_between(end, start)
        span = (end - start).days
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, span + 1))

    def days_off_between(self, first: date, last: date) -> list[SkippedDay]:
        """Every non-working day from ``first`` to ``last``, both included, in date order."""
        span = (last - first).days
        days = (self.day_off(first + timedelta(days=i)) for i in range(span + 1))
        return [reason for reason in days if reason is not None]

    # -- hours --------------------------------------------------------------------------------

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time between two moments: only sessions of working days count.

        Negative when ``end`` is before ``start``. Hours: ``.total_seconds() / 3600``. Used for
        on-time statistics (Decision 766 indicators), where supplement time is subtracted by
        the caller.
        """
        start, end = to_local(start), to_local(end)
        if end < start:
            return -self.working_time_between(end, start)

        total = timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                total += self._office_time_on(day, start, end)
            day += _ONE_DAY
        return total

    def _office_time_on(self, day: date, start: datetime, end: datetime) -> timedelta:
        total = timedelta()
        for opens, closes in self.hours.sessions:
            overlap = min(end, _at(day, closes)) - max(start, _at(day, opens))
            total += max(overlap, timedelta())
        return total

    def effective_receipt(self, received_at: datetime) -> tuple[datetime, Note | None]:
        """When the clock treats a receipt as made, and a note if that differs from the receipt.

        Outside office hours counts from the next opening: a non-working day or after the
        afternoon close moves to the next working day's opening, before the morning opening to
        that opening, the lunch break to the afternoon opening the same day. This is the
        product's convention; no official text sets the hour-level rule.
        ``OutsideCalendar`` (a ValueError) when received outside ``FIRST_YEAR``..``LAST_YEAR``.
        """
        _check_received(received_at)
        local = to_local(received_at)
        day, clock, hours = local.date(), local.time(), self.hours
        if not self.is_working_day(day):
            opening = _at(self.next_working_day(day), hours.morning_open)
            return opening, _note(day, "non_working_day", opening)
        if clock > hours.afternoon_close:
            opening = _at(self.next_working_day(day), hours.morning_open)
            return opening, _note(day, "after_hours", opening)
        if clock < hours.morning_open:
            opening = _at(day, hours.morning_open)
            return opening, _note(day, "before_opening", opening)
        if hours.morning_close < clock < hours.afternoon_open:
            opening = _at(day, hours.afternoon_open)
            return opening, _note(day, "lunch_break", opening)
        return local, None

    # -- deadlines ----------------------------------------------------------------------------

    def due_at(self, received_at: datetime, days: Days) -> Deadline:
        """The deadline of a procedure that takes ``days`` working days.

        ``days`` in steps of 0.5 from 0 to ``MAX_DAYS`` (ValueError otherwise). The day of
        receipt is not counted (periods in days start the next day, Civil Code 91/2015/QH13
        Art. 147(1)): counting starts the working day after the effective receipt and ends at
        the afternoon close of the N-th working day. N = k + 0.5 ends at the morning close of
        working day k + 1 (half-day budgets: [ĐT-138] Art. 12, 16, 30; their conversion to
        hours is unconfirmed). N = 0 ends at the afternoon close of the effective receipt day.
        ``OutsideCalendar`` (a ValueError) when the receipt or the due date falls outside
        ``FIRST_YEAR``..``LAST_YEAR``, whose days off the calendar does not know.
        """
        count = half_days(days)
        _check_received(received_at)
        local = to_local(received_at)
        effective, note = self.effective_receipt(local)

        received_day = effective.date()
        if count == 0:
            counting_starts, due = received_day, _at(received_day, self.hours.afternoon_close)
        else:
            whole, half = divmod(count, 2)
            counting_starts = self.next_working_day(received_day)
            due_day = self.add_working_days(received_day, whole + half)
            due = _at(due_day, self.hours.morning_close if half else self.hours.afternoon_close)
        return self._deadline(local, effective, counting_starts, due, [note])

    def same_day_due(self, received_at: datetime, cutoff: time = CIVIL_STATUS_CUTOFF) -> Deadline:
        """The deadline of a civil-status matter done the same day (Law on Civil Status Art. 5(3)).

        Effective receipt at or before ``cutoff`` (15:00) on a working day: due at that day's
        afternoon close. After it: due at the afternoon close of the next working day.
        ``OutsideCalendar`` as for ``due_at``.
        """
        _check_received(received_at)
        local = to_local(received_at)
        effective, note = self.effective_receipt(local)

        notes = [note]
        day = effective.date()
        if effective.time() > cutoff:
            day = self.next_working_day(day)
            notes.append(_note(effective.date(), "after_cutoff", _at(day, cutoff)))
        due = _at(day, self.hours.afternoon_close)
        return self._deadline(local, effective, day, due, notes)

    def _deadline(
        self,
        received_at: datetime,
        effective: datetime,
        counting_starts: date,
        due: datetime,
        notes: list[Note | None],
    ) -> Deadline:
        if due.year > LAST_YEAR:
            raise OutsideCalendar("due_at", due.date())
        explanation: list[SkippedDay | Note] = [n for n in notes if n is not None]
        explanation.extend(self.days_off_between(received_at.date(), due.date()))
        return Deadline(received_at, effective, counting_starts, due, explanation)


def _note(day: date, code: NoteCode, moment: datetime) -> Note:
    """A note on the receipt of ``day``; ``moment`` fills in the time the note refers to."""
    clock, when = moment.strftime("%H:%M"), moment.strftime("%d/%m/%Y")
    texts: dict[NoteCode, tuple[str, str]] = {
        "non_working_day": (
            f"Nhận vào ngày nghỉ, tính từ giờ mở cửa kế tiếp ({clock} ngày {when})",
            f"Received on a non-working day, counted from the next opening ({clock} on {when})",
        ),
        "after_hours": (
            f"Nhận sau giờ hành chính, tính từ giờ mở cửa kế tiếp ({clock} ngày {when})",
            f"Received after office hours, counted from the next opening ({clock} on {when})",
        ),
        "before_opening": (
            f"Nhận trước giờ mở cửa, tính từ {clock} cùng ngày",
            f"Received before opening, counted from {clock} the same day",
        ),
        "lunch_break": (
            f"Nhận trong giờ nghỉ trưa, tính từ {clock} cùng ngày",
            f"Received during the lunch break, counted from {clock} the same day",
        ),
        "after_cutoff": (
            f"Nhận sau {clock}, trả kết quả vào ngày làm việc kế tiếp ({when})",
            f"Received after {clock}, returned the next working day ({when})",
        ),
    }
    return Note(day, code, *texts[code])


# -- the override table ---------------------------------------------------------------------


def load_overrides(path: Path | str = DEFAULT_OVERRIDES_PATH) -> tuple[Override, ...]:
    """Read an override table (YAML, key ``overrides``); ValueError names a bad entry."""
    with open(path, encoding="utf-8") as stream:
        document = yaml.safe_load(stream) or {}
    if not isinstance(document, dict) or not isinstance(document.get("overrides") or [], list):
        raise ValueError(f"{path}: expected a mapping with an 'overrides' list")
    entries = document.get("overrides") or []
    return tuple(_parse_override(index, entry) for index, entry in enumerate(entries))


def _parse_override(index: int, entry: object) -> Override:
    if not isinstance(entry, dict):
        raise ValueError(f"override #{index}: expected a mapping")
    missing = [key for key in _OVERRIDE_KEYS if not entry.get(key)]
    if missing:
        raise ValueError(f"override #{index}: missing {', '.join(missing)}")
    if entry["kind"] not in ("day_off", "working_day"):
        raise ValueError(f"override #{index}: kind must be day_off or working_day")

    day = _parse_date(entry["date"])
    if day is None:
        raise ValueError(f"override #{index}: date must be YYYY-MM-DD, got {entry['date']!r}")
    reasons = str(entry["reason_vi"]), str(entry["reason_en"])
    return Override(day, entry["kind"], *reasons, str(entry["source"]))


def _parse_date(value: object) -> date | None:
    """A YAML date (parsed already, or a quoted string) as a date; None if it is not one."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, date) and not isinstance(value, datetime) else None


@functools.cache
def default_calendar() -> WorkingCalendar:
    """The calendar with the shipped override table, loaded once per process."""
    return WorkingCalendar(load_overrides())


# -- shortcuts on the default calendar, for other apps --------------------------------------


def is_working_day(day: date) -> bool:
    """See ``WorkingCalendar.is_working_day``."""
    return default_calendar().is_working_day(day)


def next_working_day(day: date) -> date:
    """See ``WorkingCalendar.next_working_day``."""
    return default_calendar().next_working_day(day)


def previous_working_day(day: date) -> date:
    """See ``WorkingCalendar.previous_working_day``."""
    return default_calendar().previous_working_day(day)


def add_working_days(start: date, n: int) -> date:
    """See ``WorkingCalendar.add_working_days``."""
    return default_calendar().add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    """See ``WorkingCalendar.working_days_between``."""
    return default_calendar().working_days_between(start, end)


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """See ``WorkingCalendar.working_time_between``."""
    return default_calendar().working_time_between(start, end)


def due_at(received_at: datetime, days: Days) -> Deadline:
    """See ``WorkingCalendar.due_at``."""
    return default_calendar().due_at(received_at, days)


def same_day_due(received_at: datetime, cutoff: time = CIVIL_STATUS_CUTOFF) -> Deadline:
    """See ``WorkingCalendar.same_day_due``."""
    return default_calendar().same_day_due(received_at, cutoff)
