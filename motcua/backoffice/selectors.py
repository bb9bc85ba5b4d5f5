"""Reads for the officers' pages: worklist tabs, deadline badges, the dossier desk.

Every list starts from ``permissions.visible_to(user)``; tabs only narrow it further, so an
officer never sees a dossier outside their units whatever the tab or the query string says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from motcua.catalog.eform import choice_label, label_of
from motcua.core import clock
from motcua.dossiers import permissions
from motcua.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    FileKind,
    SupplementRequest,
)
from motcua.dossiers.states import ACTION_LABELS, OPEN_FOR_PROCESSING, State
from motcua.org.models import Agency, Membership, Role, User
from motcua.payments.models import Invoice, InvoiceLine

# A dossier is "due soon" within a day of its due time: Decree 61/2018 Art. 19(9) wants a late
# dossier announced (with an apology) at least one day before the due date.
DUE_SOON = timedelta(days=1)

# Dossiers with an appointment the receiving unit keeps: still in processing, or approved and
# waiting to be handed over. "Overdue" counts only the unfinished ones: the national on-time rule
# compares the end of processing with the due time (DOMAIN.md §2.8).
APPOINTMENT_STATES = frozenset(OPEN_FOR_PROCESSING | {State.APPROVED})
WORKLIST_RELATED = ("procedure", "receiving_agency", "competent_agency", "assignee")


# --- deadline badges ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineBadge:
    """``kind`` is a CSS class of site.css: "late" (red), "soon" (amber), "ok" (green) or ""."""

    kind: str
    label: str | Promise


def state_class(state: str) -> str:
    """CSS class of a state label: finished states green, closed ones grey."""
    if state in (State.APPROVED, State.RETURNED):
        return "done"
    if state in (State.REFUSED, State.STOPPED, State.WITHDRAWN):
        return "closed"
    return ""


def deadline_badge(dossier: Dossier, now: datetime) -> DeadlineBadge | None:
    """Where ``dossier`` stands against its due time at ``now``; None before the clock starts.

    A finished dossier is judged by its end of processing (the national on-time rule), an open
    one by how much time is left.
    """
    if dossier.due_at is None:
        return None
    if dossier.state == State.SUPPLEMENT_REQUESTED:
        return DeadlineBadge("", _("Tạm dừng chờ bổ sung"))
    ended = dossier.finished_at or dossier.closed_at
    if ended is not None:
        if ended > dossier.due_at:
            return DeadlineBadge("late", _("Xong, trễ hạn"))
        return DeadlineBadge("ok", _("Xong, đúng hạn"))
    if now > dossier.due_at:
        return DeadlineBadge("late", _("Quá hạn"))
    if dossier.due_at - now <= DUE_SOON:
        return DeadlineBadge("soon", _("Sắp đến hạn"))
    return DeadlineBadge("ok", _("Trong hạn"))


# --- worklist tabs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Today:
    now: datetime
    start: datetime
    end: datetime

    @classmethod
    def at(cls, now: datetime) -> Today:
        local = clock.localtime(now)
        start = datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)
        return cls(now=now, start=start, end=start + timedelta(days=1))


# Oldest first for dossiers waiting to be checked, soonest due first for the others.
FIFO = ("submitted_at",)
BY_DUE = (F("due_at").asc(nulls_last=True), "submitted_at")


@dataclass(frozen=True)
class Tab:
    """One tab of the worklist: a named filter within one of the officer's units."""

    key: str
    label: str | Promise
    role: str
    agency: Agency
    condition: Q
    ordering: tuple[Any, ...] = BY_DUE
    urgent: bool = False  # overdue tabs: a non-zero count is shown in red

    @property
    def ident(self) -> str:
        return f"{self.key}-{self.agency.pk}"


@dataclass
class TabGroup:
    """The tabs of one membership (a role in a unit)."""

    membership: Membership
    tabs: list[Tab] = field(default_factory=list)


TabBuilder = Callable[[User, Agency, Today], list[Tab]]


def _due_today(today: Today) -> Q:
    return Q(due_at__gte=today.now, due_at__lt=today.end)


def _overdue(today: Today) -> Q:
    return Q(due_at__lt=today.now)


def _receiver_tabs(user: User, agency: Agency, today: Today) -> list[Tab]:
    unit = Q(receiving_agency=agency)
    appointments = unit & Q(state__in=APPOINTMENT_STATES)
    unfinished = unit & Q(state__in=OPEN_FOR_PROCESSING)

    def tab(key: str, label: Promise, condition: Q, ordering: tuple[Any, ...] = BY_DUE) -> Tab:
        return Tab(key, label, Role.RECEIVER, agency, condition, ordering)

    return [
        tab("moi-nop", pgettext_lazy("worklist", "Mới nộp"), unit & Q(state=State.SUBMITTED), FIFO),
        tab(
            "cho-bo-sung",
            pgettext_lazy("worklist", "Chờ bổ sung"),
            unit & Q(state=State.SUPPLEMENT_REQUESTED),
            FIFO,
        ),
        tab(
            "cho-nop-phi",
            pgettext_lazy("worklist", "Chờ nộp phí"),
            unit & Q(state=State.AWAITING_PAYMENT),
            FIFO,
        ),
        tab(
            "cho-tra-ket-qua",
            pgettext_lazy("worklist", "Chờ trả kết quả"),
            unit & Q(state=State.APPROVED),
        ),
        tab(
            "tn-den-han",
            pgettext_lazy("worklist", "Đến hạn hôm nay"),
            appointments & _due_today(today),
        ),
        Tab(
            "tn-qua-han",
            pgettext_lazy("worklist", "Quá hạn"),
            Role.RECEIVER,
            agency,
            unfinished & _overdue(today),
            urgent=True,
        ),
    ]


def _specialist_tabs(user: User, agency: Agency, today: Today) -> list[Tab]:
    unit = Q(competent_agency=agency)
    # What the specialist answers for: dossiers nobody has taken yet, and their own.
    mine_or_free = unit & (Q(state=State.ACCEPTED) | Q(state=State.PROCESSING, assignee=user))

    def tab(key: str, label: Promise, condition: Q) -> Tab:
        return Tab(key, label, Role.SPECIALIST, agency, condition)

    return [
        tab(
            "cho-nhan-xu-ly",
            pgettext_lazy("worklist", "Chờ nhận xử lý"),
            unit & Q(state=State.ACCEPTED),
        ),
        tab(
            "dang-xu-ly",
            pgettext_lazy("worklist", "Đang xử lý"),
            unit & Q(state=State.PROCESSING, assignee=user),
        ),
        tab(
            "cv-den-han",
            pgettext_lazy("worklist", "Đến hạn hôm nay"),
            mine_or_free & _due_today(today),
        ),
        Tab(
            "cv-qua-han",
            pgettext_lazy("worklist", "Quá hạn"),
            Role.SPECIALIST,
            agency,
            mine_or_free & _overdue(today),
            urgent=True,
        ),
    ]


def _leader_tabs(user: User, agency: Agency, today: Today) -> list[Tab]:
    in_unit = Q(competent_agency=agency, state__in=OPEN_FOR_PROCESSING)

    def tab(key: str, label: Promise, condition: Q) -> Tab:
        return Tab(key, label, Role.LEADER, agency, condition)

    return [
        tab(
            "cho-phe-duyet",
            pgettext_lazy("worklist", "Chờ phê duyệt"),
            Q(competent_agency=agency, state=State.AWAITING_APPROVAL),
        ),
        tab("dang-giai-quyet", pgettext_lazy("worklist", "Đang giải quyết tại đơn vị"), in_unit),
        Tab(
            "ld-qua-han",
            pgettext_lazy("worklist", "Quá hạn"),
            Role.LEADER,
            agency,
            in_unit & _overdue(today),
            urgent=True,
        ),
    ]


def _admin_tabs(user: User, agency: Agency, today: Today) -> list[Tab]:
    return [
        Tab("tat-ca", pgettext_lazy("worklist", "Tất cả hồ sơ"), Role.ADMIN, agency, Q(), FIFO),
        Tab(
            "qt-qua-han",
            pgettext_lazy("worklist", "Quá hạn"),
            Role.ADMIN,
            agency,
            Q(state__in=OPEN_FOR_PROCESSING) & _overdue(today),
            urgent=True,
        ),
    ]


TAB_BUILDERS: dict[str, TabBuilder] = {
    Role.RECEIVER: _receiver_tabs,
    Role.SPECIALIST: _specialist_tabs,
    Role.LEADER: _leader_tabs,
    Role.ADMIN: _admin_tabs,
}
ROLE_ORDER = [Role.RECEIVER, Role.SPECIALIST, Role.LEADER, Role.ADMIN]


def tab_groups_for(user: User, now: datetime) -> list[TabGroup]:
    """The worklist tabs of ``user``, one group per membership, receivers first."""
    today = Today.at(now)
    memberships = sorted(
        (m for m in permissions.memberships_of(user) if m.role in TAB_BUILDERS),
        key=lambda m: (ROLE_ORDER.index(Role(m.role)), m.agency.name),
    )
    return [TabGroup(m, TAB_BUILDERS[m.role](user, m.agency, today)) for m in memberships]


def count_tabs(user: User, tabs: list[Tab]) -> dict[str, int]:
    """How many dossiers each tab holds, in one query."""
    if not tabs:
        return {}
    aggregates = {f"t{index}": Count("pk", filter=tab.condition) for index, tab in enumerate(tabs)}
    counts = permissions.visible_to(user).aggregate(**aggregates)
    return {tab.ident: counts[f"t{index}"] or 0 for index, tab in enumerate(tabs)}


def list_tab(user: User, tab: Tab) -> QuerySet[Dossier]:
    """The rows of ``tab``, with what each row shows joined in."""
    queryset = permissions.visible_to(user).filter(tab.condition)
    return queryset.select_related(*WORKLIST_RELATED).order_by(*tab.ordering, "pk")


# --- the desk -----------------------------------------------------------------------------------


def get_visible_dossier(user: Any, dossier_id: int) -> Dossier:
    """The dossier with what its desk header shows; 404 when missing or outside the user's
    units (a forbidden dossier answers like a missing one)."""
    queryset = permissions.visible_to(user).select_related(
        "procedure",
        "receiving_agency__ward",
        "competent_agency__ward",
        "assignee",
        "invoice",
    )
    dossier = queryset.filter(pk=dossier_id).first()
    if dossier is None:
        raise Http404
    return dossier


def get_visible_file(user: Any, dossier_id: int, file_id: int) -> DossierFile:
    dossier = get_visible_dossier(user, dossier_id)
    record = DossierFile.objects.filter(dossier=dossier, pk=file_id).first()
    if record is None:
        raise Http404
    return record


@dataclass(frozen=True)
class FormRow:
    label: str
    value: str


def form_rows(dossier: Dossier) -> list[FormRow]:
    """The e-form data with the labels of the procedure's form, in the form's order."""
    rows = []
    for spec in dossier.procedure.form_schema:
        value = dossier.form_data.get(spec["name"])
        if value in (None, ""):
            continue
        rows.append(FormRow(label_of(spec), _display_value(spec, value)))
    return rows


def _display_value(spec: dict[str, Any], value: Any) -> str:
    if spec["type"] == "choice":
        return choice_label(spec, str(value))
    if spec["type"] == "date":
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    return str(value)


@dataclass(frozen=True)
class TimelineEntry:
    event: DossierEvent
    action: str | Promise
    actor: str | Promise
    state: str | Promise


@dataclass(frozen=True)
class FileEntry:
    file: DossierFile
    component: str


@dataclass
class DeskData:
    """Everything the desk shows besides the dossier itself."""

    attachments: list[FileEntry]
    receipt_slip: DossierFile | None
    results: list[DossierFile]
    timeline: list[TimelineEntry]
    supplements: list[SupplementRequest]
    invoice: Invoice | None
    invoice_lines: list[InvoiceLine]


def desk_data(dossier: Dossier) -> DeskData:
    files = list(dossier.files.all())
    names = {d.key: d.name for d in dossier.procedure.documents.all()}
    invoice: Invoice | None = getattr(dossier, "invoice", None)
    events = dossier.events.select_related("actor", "agency").order_by("at", "pk")
    supplements = dossier.supplements.select_related("requested_by").order_by("requested_at")
    slips = [f for f in files if f.kind == FileKind.RECEIPT_SLIP]
    return DeskData(
        attachments=[
            FileEntry(f, names.get(f.component_key, ""))
            for f in files
            if f.kind == FileKind.ATTACHMENT
        ],
        receipt_slip=slips[-1] if slips else None,
        results=[f for f in files if f.kind == FileKind.RESULT],
        timeline=[_timeline_entry(event) for event in events],
        supplements=list(supplements),
        invoice=invoice,
        invoice_lines=list(invoice.lines.all()) if invoice is not None else [],
    )


def _timeline_entry(event: DossierEvent) -> TimelineEntry:
    if event.actor is not None:
        actor: str | Promise = str(event.actor)
    elif event.actor_label == "applicant":
        actor = _("Người nộp hồ sơ")
    else:
        actor = _("Hệ thống")
    state = State(event.to_state).label if event.to_state in State.values else event.to_state
    return TimelineEntry(event, ACTION_LABELS.get(event.action, event.action), actor, state)


def invoice_of(dossier: Dossier) -> Invoice | None:
    """The dossier's fee invoice as it stands now (after a payment, not the cached one)."""
    return Invoice.objects.filter(dossier=dossier).first()


def is_boundaryless(dossier: Dossier) -> bool:
    """Received in one commune, decided in another (tiếp nhận không phụ thuộc địa giới)."""
    return dossier.receiving_agency.ward_id != dossier.competent_agency.ward_id


def specialists_of(agency: Agency) -> list[User]:
    """The specialists of ``agency``, for the leader's assignment list."""
    memberships = Membership.objects.filter(agency=agency, role=Role.SPECIALIST)
    users = User.objects.filter(pk__in=memberships.values("user_id"), is_active=True).order_by(
        "full_name", "username"
    )
    return list(users)


def receiving_center_of(user: Any) -> Agency | None:
    """The service center where ``user`` receives dossiers, if they are a receiver."""
    for membership in permissions.memberships_of(user):
        if membership.role == Role.RECEIVER and membership.agency.is_service_center:
            return membership.agency
    return None
