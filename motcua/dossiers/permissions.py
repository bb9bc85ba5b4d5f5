"""Who may see and act on a dossier: one policy, used by every list, page and endpoint."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Func, IntegerField, Q, QuerySet, Subquery

from motcua.core.errors import Forbidden
from motcua.dossiers.models import Dossier, SubStep
from motcua.dossiers.states import Transition
from motcua.org.models import Membership, Role, User


def memberships_of(user: Any) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached: list[Membership] | None = getattr(user, "_motcua_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("agency"))
        user._motcua_memberships = cached
    return cached


def is_province_admin(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or any(
        m.role == Role.ADMIN for m in memberships_of(user)
    )


def visible_to(user: Any, queryset: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    """Dossiers ``user`` may see: received by or routed to one of their units, or on which one
    of their units is asked for its part (the tax step, a consultation)."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    if is_province_admin(user):
        return queryset
    agency_ids = {m.agency_id for m in memberships_of(user)}
    if not agency_ids:
        return queryset.none()
    # ``pk IN (…)`` rather than a correlated EXISTS: each of the three terms then reads an
    # index (SQLite's planner ORs them index by index; with EXISTS it read every dossier).
    asked = SubStep.objects.filter(agency_id__in=agency_ids).values("dossier_id")
    return queryset.filter(
        Q(receiving_agency_id__in=agency_ids)
        | Q(competent_agency_id__in=agency_ids)
        | Q(pk__in=asked)
    )


def count_visible(user: Any, conditions: dict[str, Q]) -> dict[str, int]:
    """How many of the dossiers ``user`` may see meet each condition (the worklist's tab
    badges), in one query of one counting subquery per condition.

    Each tab's condition names its unit and (but for a few custody tabs) open states, so each
    subquery reads an index and the dossiers it counts, never the units' whole history: one
    aggregate with a filter per tab would read every dossier the user may see (a land branch
    sees a hundred thousand in a year and a half)."""
    if not conditions:
        return {}
    visible = visible_to(user).order_by()
    names = list(conditions)
    counts = {
        f"t{index}": Subquery(
            visible.filter(conditions[name])
            .annotate(n=Func(F("pk"), function="COUNT"))
            .values("n"),
            output_field=IntegerField(),
        )
        for index, name in enumerate(names)
    }
    row = User.objects.filter(pk=user.pk).annotate(**counts).values_list(*counts).get()
    return {name: row[index] or 0 for index, name in enumerate(names)}


def is_officer_of(user: Any, agency_id: int) -> bool:
    """``user`` holds any role in the agency."""
    return any(m.agency_id == agency_id for m in memberships_of(user))


def has_role(user: Any, dossier: Dossier, role: str, unit: str) -> bool:
    agency_id = dossier.receiving_agency_id if unit == "receiving" else dossier.competent_agency_id
    return any(m.role == role and m.agency_id == agency_id for m in memberships_of(user))


def check_officer_may(user: Any, dossier: Dossier, transition: Transition) -> None:
    """Raise ``Forbidden`` unless ``user`` holds the transition's role in the right unit."""
    if transition.role is None or not has_role(user, dossier, transition.role, transition.unit):
        raise Forbidden(code="wrong_role")


def may_collect_cash(user: Any, dossier: Dossier) -> bool:
    """A receiver of the receiving unit takes an unpaid fee at the counter while the dossier is
    open. Not a transition: the dossier's state does not change."""
    from motcua.dossiers.states import TERMINAL
    from motcua.payments.models import InvoiceStatus

    invoice = getattr(dossier, "invoice", None)
    return (
        invoice is not None
        and invoice.status == InvoiceStatus.UNPAID
        and dossier.state not in TERMINAL
        and has_role(user, dossier, Role.RECEIVER, "receiving")
    )


def allowed_actions(user: Any, dossier: Dossier) -> list[str]:
    """Officer actions that ``user`` may take on ``dossier`` now (buttons on the desk), the
    counter cash payment last when it applies."""
    from motcua.dossiers.states import TRANSITIONS

    actions = [
        t.action
        for t in TRANSITIONS.values()
        if t.role is not None
        and dossier.state in t.sources
        and has_role(user, dossier, t.role, t.unit)
        and _applies(t.action, dossier)
    ]
    if may_collect_cash(user, dossier):
        actions.append("record_cash_payment")
    return actions


def _applies(action: str, dossier: Dossier) -> bool:
    """Actions that exist only for some procedures or only once."""
    from motcua.catalog.models import DeadlineKind
    from motcua.dossiers.clock import has_two_appointments

    if action in ("start_processing", "assign"):
        return not dossier.procedure.paper_file or dossier.competent_received_at is not None
    if action == "send_to_tax":
        return has_two_appointments(dossier.procedure) and not dossier.substeps.exists()
    if action == "submit_for_approval":
        from motcua.dossiers.services.substeps import obligations_met

        return obligations_met(dossier)
    if action == "reschedule":
        working_days = dossier.procedure.deadline_kind == DeadlineKind.WORKING_DAYS
        return working_days and dossier.rescheduled_at is None
    return True
