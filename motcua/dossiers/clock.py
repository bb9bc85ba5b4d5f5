"""The legal clock applied to a dossier's procedure."""

from __future__ import annotations

from datetime import datetime

from motcua.catalog.models import DeadlineKind, Procedure
from motcua.deadlines.calendar import Deadline, default_calendar


def deadline_for(procedure: Procedure, received_at: datetime) -> Deadline:
    """Due time of ``procedure`` for a complete dossier received at ``received_at``."""
    calendar = default_calendar()
    if procedure.deadline_kind == DeadlineKind.SAME_DAY:
        return calendar.same_day_due(received_at)
    return calendar.due_at(received_at, procedure.statutory_days)
