"""``motcua due``: compute a deadline from the command line.

The main ``motcua`` console script registers the subcommand with ``add_parser`` and calls
``run`` with the parsed arguments. Examples::

    motcua due --received 2026-02-13T16:45 --days 3 --json
    motcua due --procedure 2.000635 --received 2026-02-13T15:30 --json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from motcua.deadlines.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_DAYS,
    TZ,
    Deadline,
    Note,
    OutsideCalendar,
    default_calendar,
    half_days,
)

# ("same_day", None) or ("working_days", Decimal), as motcua.catalog.selectors returns it.
DeadlineRule = tuple[str, Decimal | None]
ProcedureRule = Callable[[str], DeadlineRule]

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command-line input; the message is bilingual and names the option."""


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register the ``due`` subcommand and return its parser (defaults carry ``handler=run``)."""
    parser = subparsers.add_parser(
        "due",
        help="Tính hạn giải quyết / compute a deadline",
        description="Tính hạn giải quyết theo ngày làm việc / compute a working-day deadline.",
    )
    parser.add_argument(
        "--received",
        metavar="YYYY-MM-DDTHH:MM",
        help="thời điểm tiếp nhận (ISO 8601; không ghi múi giờ = giờ Việt Nam); mặc định: bây giờ",
    )
    parser.add_argument("--days", metavar="N", help="số ngày làm việc (bội số của 0,5)")
    parser.add_argument("--procedure", metavar="CODE", help="mã thủ tục hành chính, vd. 2.000635")
    parser.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace, procedure_rule: ProcedureRule | None = None) -> int:
    """Print the deadline for ``args``; return the exit code (2 on bad input, message on stderr).

    ``procedure_rule`` maps a procedure code to ``("same_day", None)`` or
    ``("working_days", Decimal)`` and raises ``LookupError`` for an unknown code; by default the
    procedure catalog answers.
    """
    try:
        deadline = _compute(args, procedure_rule or _catalog_rule)
    except UsageError as error:
        sys.stderr.write(f"{error}\n")
        return EXIT_USAGE

    if args.json:
        sys.stdout.write(json.dumps(deadline.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write("".join(f"{line}\n" for line in _describe(deadline)))
    return 0


def _compute(args: argparse.Namespace, procedure_rule: ProcedureRule) -> Deadline:
    received = _parse_received(args.received)
    if (args.days is None) == (args.procedure is None):
        raise UsageError(
            "Lỗi: cần đúng một trong hai tuỳ chọn --days hoặc --procedure.\n"
            "Error: give exactly one of --days or --procedure."
        )

    calendar = default_calendar()
    try:
        if args.days is not None:
            return calendar.due_at(received, _parse_days(args.days))
        kind, days = _lookup(procedure_rule, args.procedure)
        if kind == "same_day":
            return calendar.same_day_due(received)
        if kind == "working_days" and days is not None:
            return calendar.due_at(received, days)
    except OutsideCalendar as error:
        raise _outside_calendar(error, args.received) from None
    raise ValueError(f"catalog rule for {args.procedure!r} is malformed: {(kind, days)!r}")


def _outside_calendar(error: OutsideCalendar, received: str | None) -> UsageError:
    years = f"{FIRST_YEAR}–{LAST_YEAR}"
    if error.what == "received_at":
        return UsageError(
            f"Lỗi: --received {received!r} phải trong các năm {years} "
            f"(lịch ngày nghỉ chỉ có cho các năm này).\n"
            f"Error: --received {received!r} must fall in the years {years} "
            f"(the calendar knows the days off of those years only)."
        )
    return UsageError(
        f"Lỗi: --days: hạn giải quyết ({error.moment:%d/%m/%Y}) rơi sau năm {LAST_YEAR}, "
        f"năm cuối cùng có lịch ngày nghỉ.\n"
        f"Error: --days: the due date ({error.moment.isoformat()}) falls after {LAST_YEAR}, "
        f"the last year whose days off the calendar knows."
    )


def _parse_received(value: str | None) -> datetime:
    if value is None:
        return datetime.now(TZ)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"Lỗi: --received {value!r} không phải thời điểm ISO 8601 (vd. 2026-02-13T16:45).\n"
            f"Error: --received {value!r} is not an ISO 8601 date-time (e.g. 2026-02-13T16:45)."
        ) from None


def _parse_days(value: str) -> Decimal:
    try:
        days = Decimal(value.replace(",", "."))  # Vietnamese writes 2,5
        half_days(days)
    except (InvalidOperation, ValueError):
        pass
    else:
        return days
    raise UsageError(
        f"Lỗi: --days {value!r} phải là bội số của 0,5, từ 0 đến {MAX_DAYS} (vd. 3 hoặc 2,5).\n"
        f"Error: --days {value!r} must be a multiple of 0.5 from 0 to {MAX_DAYS} (e.g. 3 or 2.5)."
    )


def _lookup(procedure_rule: ProcedureRule, code: str) -> DeadlineRule:
    try:
        return procedure_rule(code)
    except LookupError:
        raise UsageError(
            f"Lỗi: --procedure {code!r}: không tìm thấy thủ tục trong danh mục.\n"
            f"Error: --procedure {code!r}: no such procedure in the catalog."
        ) from None


def _catalog_rule(code: str) -> DeadlineRule:
    """The catalog's rule for ``code``; its NotFound becomes a LookupError."""
    # Imported here: the catalog needs a configured Django project, this module does not.
    from motcua.catalog.selectors import get_deadline_rule
    from motcua.core.errors import NotFound

    try:
        rule: DeadlineRule = get_deadline_rule(code)
    except NotFound as error:
        raise LookupError(code) from error
    return rule


def _describe(deadline: Deadline) -> list[str]:
    """The deadline as readable Vietnamese lines."""
    lines = [
        f"Thời điểm tiếp nhận:   {_clock(deadline.received_at)}",
        f"Tính là tiếp nhận lúc: {_clock(deadline.effective_received_at)}",
        f"Bắt đầu tính từ ngày:  {deadline.counting_starts:%d/%m/%Y}",
        f"Hạn trả kết quả:       {_clock(deadline.due_at)}",
    ]
    notes = [item for item in deadline.explanation if isinstance(item, Note)]
    skipped = [item for item in deadline.explanation if not isinstance(item, Note)]
    lines += [f"Ghi chú: {note.reason_vi}" for note in notes]
    if skipped:
        lines.append("Ngày nghỉ không tính:")
        lines += [f"  - {day.day:%d/%m/%Y}: {day.reason_vi}" for day in skipped]
    return lines


def _clock(moment: datetime) -> str:
    """``moment`` (already Vietnam time) as "16:45 ngày 13/02/2026 (+07:00)"."""
    return f"{moment:%H:%M} ngày {moment:%d/%m/%Y} ({moment.isoformat()[-6:]})"
