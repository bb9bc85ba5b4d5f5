"""One new appointment with an apology (Mẫu 04), Decree 61/2018 Art. 19.

At the latest one day before the due date the competent unit apologises and proposes a new
date; the appointment may be rescheduled only once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import DeadlineKind
from motcua.core import clock
from motcua.core.errors import InvalidInput, InvalidTransition
from motcua.deadlines.calendar import TZ, default_calendar
from motcua.dossiers.models import Dossier
from motcua.dossiers.services.lifecycle import act, require_text

MAX_POSTPONEMENT = timedelta(days=90)


def reschedule(dossier_id: int, *, actor: Any, new_date: date, reason: str) -> Dossier:
    """Move the appointment to the close of office hours on ``new_date``, once, with reasons,
    at least one working day before the current due date."""
    reason = require_text(reason, "reason")
    calendar = default_calendar()

    def change(dossier: Dossier, now: datetime) -> str:
        if dossier.procedure.deadline_kind != DeadlineKind.WORKING_DAYS:
            raise InvalidTransition(
                _("Thủ tục giải quyết trong ngày không hẹn lại theo Mẫu 04."),
                code="reschedule_not_applicable",
            )
        if dossier.rescheduled_at is not None:
            raise InvalidTransition(
                _("Hồ sơ đã được hẹn lại một lần; không được hẹn lại lần nữa."),
                code="already_rescheduled",
            )
        assert dossier.due_at is not None  # noqa: S101 (open dossiers have a due date)
        today, due_day = clock.localtime(now).date(), clock.localtime(dossier.due_at).date()
        if calendar.working_days_between(today, due_day) < 1:
            raise InvalidTransition(
                _("Phải xin lỗi, hẹn lại chậm nhất 01 ngày làm việc trước ngày hẹn trả."),
                code="reschedule_too_late",
            )
        # One rescheduling, to a date the unit can keep: at most MAX_POSTPONEMENT after the
        # current due date.
        too_far = new_date > due_day + MAX_POSTPONEMENT
        if new_date <= due_day or too_far or not calendar.is_working_day(new_date):
            raise InvalidInput(
                _(
                    "Ngày hẹn mới phải là ngày làm việc sau ngày hẹn trả hiện tại, "
                    "không quá 90 ngày sau ngày đó."
                ),
                field="new_date",
                code="new_date",
            )
        dossier.original_due_at = dossier.due_at
        dossier.due_at = datetime.combine(new_date, calendar.hours.afternoon_close, tzinfo=TZ)
        dossier.rescheduled_at = now
        return dossier.state

    dossier = act(
        dossier_id,
        "reschedule",
        actor=actor,
        change=change,
        note=reason,
        data={"new_date": new_date.isoformat()},
    )
    from motcua.dossiers import documents

    documents.issue_apology(dossier, signer=actor, reason=reason)
    return dossier
