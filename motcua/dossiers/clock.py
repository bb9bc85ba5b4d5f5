"""The legal clock applied to a dossier's procedure."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from motcua.catalog.models import DeadlineKind, Procedure
from motcua.deadlines.calendar import Deadline, default_calendar


def phase_days(procedure: Procedure, phase: int) -> Decimal:
    """Working days of appointment ``phase`` (1 or 2) of a two-appointment procedure, or of
    the whole procedure when it has a single appointment (phase 1).

    Phase 1 counts the counted steps up to the step that closes appointment 1; phase 2 the
    counted steps after it. Uncounted steps (the tax authority's time) are left out.
    """
    steps = list(procedure.steps.all())
    cut = next((i for i, step in enumerate(steps) if step.appointment == 1), None)
    if cut is None:
        return procedure.statutory_days
    chosen = steps[: cut + 1] if phase == 1 else steps[cut + 1 :]
    return sum((step.budget_days for step in chosen if step.counted), Decimal(0))


def has_two_appointments(procedure: Procedure) -> bool:
    return procedure.steps.filter(appointment=1).exists()


def deadline_for(procedure: Procedure, received_at: datetime, *, phase: int = 1) -> Deadline:
    """Due time of ``procedure`` for a complete dossier received at ``received_at`` (phase 1),
    or of its second appointment counted from ``received_at`` (phase 2)."""
    calendar = default_calendar()
    if procedure.deadline_kind == DeadlineKind.SAME_DAY:
        return calendar.same_day_due(received_at)
    return calendar.due_at(received_at, phase_days(procedure, phase))
