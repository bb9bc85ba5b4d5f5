"""Reads for the officers' pages: worklist tabs, deadline badges, the dossier desk.

Every list starts from ``permissions.visible_to(user)``; tabs only narrow it further, so an
officer never sees a dossier outside their units whatever the tab or the query string says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from motcua.catalog.eform import choice_label, label_of
from motcua.core import clock
from motcua.deadlines.calendar import Deadline, Note, default_calendar
from motcua.dossiers import permissions
from motcua.dossiers.clock import deadline_for, has_two_appointments, phase_days
from motcua.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    FileKind,
    SubStep,
    SubStepKind,
    SupplementRequest,
    Transfer,
    TransferPurpose,
)
from motcua.dossiers.states import ACTION_LABELS, OPEN_FOR_PROCESSING, State
from motcua.org.models import Agency, AgencyKind, Membership, Role, User
from motcua.payments.models import Invoice, InvoiceLine

# The clock runs in these; while the tax authority assesses the obligations it does not (its
# time is governed by tax law, Đồng Tháp Decision 138/2025/QĐ-UBND,
# Art. 5(3)), so such dossiers are neither due nor late.
COUNTING_STATES = frozenset(OPEN_FOR_PROCESSING - {State.AWAITING_OBLIGATIONS})
# Dossiers with an appointment the receiving unit keeps: still in processing, or approved and
# waiting to be handed over. "Overdue" counts only the unfinished ones: the national on-time rule
# compares the end of processing with the due time (Decision 766/QĐ-TTg's indicators).
APPOINTMENT_STATES = frozenset(COUNTING_STATES | {State.APPROVED})
RESULT_STATES = frozenset({State.APPROVED, State.STOPPED})
WORKLIST_RELATED = ("procedure", "receiving_agency", "competent_agency", "assignee")


def due_soon_lead() -> timedelta:
    """How long before its due time a dossier counts as "due soon" (24 hours by default):
    Decree 61/2018 Art. 19(9) wants a late dossier announced, with an apology, at least one
    day before the due date."""
    return timedelta(hours=getattr(settings, "MOTCUA_DUE_SOON_HOURS", 24))


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
    if dossier.state == State.AWAITING_OBLIGATIONS:
        return DeadlineBadge("", _("Tạm dừng chờ nghĩa vụ tài chính"))
    ended = dossier.finished_at or dossier.closed_at
    if ended is not None:
        if ended > dossier.due_at:
            return DeadlineBadge("late", _("Xong, trễ hạn"))
        return DeadlineBadge("ok", _("Xong, đúng hạn"))
    if now > dossier.due_at:
        return DeadlineBadge("late", _("Quá hạn"))
    if dossier.due_at - now <= due_soon_lead():
        return DeadlineBadge("soon", _("Sắp đến hạn"))
    return DeadlineBadge("ok", _("Trong hạn"))


# --- worklist tabs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Today:
    now: datetime
    start: datetime
    end: datetime
    soon: datetime  # "due soon" ends here

    @classmethod
    def at(cls, now: datetime) -> Today:
        local = clock.localtime(now)
        start = datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)
        return cls(now=now, start=start, end=start + timedelta(days=1), soon=now + due_soon_lead())


# Oldest first for dossiers waiting to be checked or handed over, soonest due first for the others.
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

# Units that decide paper-file procedures and so receive files and send results back (the land
# registration office and its branches, departments). Commune People's Committees decide from
# the electronic file; their officers are spared tabs that would stay empty.
CUSTODY_KINDS = frozenset({AgencyKind.LAND_OFFICE, AgencyKind.LAND_BRANCH, AgencyKind.DEPARTMENT})


def _due_today(today: Today) -> Q:
    return Q(due_at__gte=today.now, due_at__lt=today.end)


def _due_soon(today: Today) -> Q:
    return Q(due_at__gte=today.now, due_at__lte=today.soon)


def _overdue(today: Today) -> Q:
    return Q(due_at__lt=today.now)


def _incoming(agency: Agency, purpose: str) -> Q:
    """Dossiers with a transfer (of the file or of the result) on its way to ``agency``."""
    open_transfers = Transfer.objects.filter(
        dossier_id=OuterRef("pk"), to_agency=agency, purpose=purpose, received_at__isnull=True
    )
    return Q(Exists(open_transfers))


def _asked(agency: Agency, kind: str) -> Q:
    """Dossiers on which ``agency`` owes an answer (a consultation or the tax assessment)."""
    open_steps = SubStep.objects.filter(
        dossier_id=OuterRef("pk"), agency=agency, kind=kind, answered_at__isnull=True
    )
    return Q(Exists(open_steps))


def _receiver_tabs(user: User, agency: Agency, today: Today) -> list[Tab]:
    unit = Q(receiving_agency=agency)
    appointments = unit & Q(state__in=APPOINTMENT_STATES)
    unfinished = unit & Q(state__in=COUNTING_STATES)
    # A paper result is handed over only once it is back here (custody.result_is_at_...).
    result_here = Q(holder=agency) | Q(procedure__paper_file=False)

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
            "cho-chuyen-ho-so",
            pgettext_lazy("worklist", "Chờ chuyển hồ sơ"),
            unit & Q(holder=agency, state__in=OPEN_FOR_PROCESSING) & ~Q(competent_agency=agency),
            FIFO,
        ),
        tab(
            "ket-qua-chuyen-ve",
            pgettext_lazy("worklist", "Kết quả chuyển về"),
            unit & _incoming(agency, TransferPurpose.RESULT),
            FIFO,
        ),
        tab(
            "cho-tra-ket-qua",
            pgettext_lazy("worklist", "Chờ trả kết quả"),
            unit & Q(state=State.APPROVED) & result_here,
        ),
        tab(
            "tn-den-han",
            pgettext_lazy("worklist", "Đến hạn hôm nay"),
            appointments & _due_today(today),
        ),
        tab(
            "tn-sap-den-han",
            pgettext_lazy("worklist", "Sắp đến hạn"),
            appointments & _due_soon(today),
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


def _consultation_tab(role: str, agency: Agency) -> Tab:
    return Tab(
        "xin-y-kien",
        pgettext_lazy("worklist", "Xin ý kiến chờ trả lời"),
        role,
        agency,
        _asked(agency, SubStepKind.CONSULTATION),
        FIFO,
    )


def _specialist_tabs(user: User, agency: Agency, today: Today) -> list[Tab]:
    if agency.kind == AgencyKind.TAX_OFFICE:
        return _tax_office_tabs(user, agency, today)
    unit = Q(competent_agency=agency)
    # What the specialist answers for: dossiers nobody has taken yet, and their own.
    mine_or_free = unit & (Q(state=State.ACCEPTED) | Q(state=State.PROCESSING, assignee=user))
    # A paper dossier is taken up once its file has arrived ("Hồ sơ chuyển đến" until then).
    file_here = Q(holder=agency) | Q(procedure__paper_file=False)

    def tab(key: str, label: Promise, condition: Q, ordering: tuple[Any, ...] = BY_DUE) -> Tab:
        return Tab(key, label, Role.SPECIALIST, agency, condition, ordering)

    custody = agency.kind in CUSTODY_KINDS
    tabs = [
        tab(
            "ho-so-chuyen-den",
            pgettext_lazy("worklist", "Hồ sơ chuyển đến"),
            unit & _incoming(agency, TransferPurpose.FILE),
            FIFO,
        )
        if custody
        else None,
        tab(
            "cho-nhan-xu-ly",
            pgettext_lazy("worklist", "Chờ nhận xử lý"),
            unit & Q(state=State.ACCEPTED) & file_here,
        ),
        tab(
            "dang-xu-ly",
            pgettext_lazy("worklist", "Đang xử lý"),
            unit & Q(state=State.PROCESSING, assignee=user),
        ),
        tab(
            "cho-nghia-vu",
            pgettext_lazy("worklist", "Chờ nghĩa vụ tài chính"),
            unit & Q(state=State.AWAITING_OBLIGATIONS),
            FIFO,
        )
        if custody
        else None,
        _consultation_tab(Role.SPECIALIST, agency),
        tab(
            "cv-den-han",
            pgettext_lazy("worklist", "Đến hạn hôm nay"),
            mine_or_free & _due_today(today),
        ),
        tab(
            "cv-sap-den-han",
            pgettext_lazy("worklist", "Sắp đến hạn"),
            mine_or_free & _due_soon(today),
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
    return [t for t in tabs if t is not None]


def _tax_office_tabs(user: User, agency: Agency, today: Today) -> list[Tab]:
    """The tax authority answers the land office's tax-information slips (and consultations)."""
    return [
        Tab(
            "cho-xac-dinh-thue",
            pgettext_lazy("worklist", "Chờ xác định nghĩa vụ tài chính"),
            Role.SPECIALIST,
            agency,
            _asked(agency, SubStepKind.TAX),
            FIFO,
        ),
        _consultation_tab(Role.SPECIALIST, agency),
    ]


def _leader_tabs(user: User, agency: Agency, today: Today) -> list[Tab]:
    in_unit = Q(competent_agency=agency, state__in=OPEN_FOR_PROCESSING)
    counting = Q(competent_agency=agency, state__in=COUNTING_STATES)

    def tab(key: str, label: Promise, condition: Q, ordering: tuple[Any, ...] = BY_DUE) -> Tab:
        return Tab(key, label, Role.LEADER, agency, condition, ordering)

    tabs = [
        tab(
            "cho-phe-duyet",
            pgettext_lazy("worklist", "Chờ phê duyệt"),
            Q(competent_agency=agency, state=State.AWAITING_APPROVAL),
        ),
        tab(
            "ket-qua-chuyen-tra",
            pgettext_lazy("worklist", "Kết quả chờ chuyển trả"),
            Q(competent_agency=agency, holder=agency, state__in=RESULT_STATES)
            & ~Q(receiving_agency=agency),
            FIFO,
        )
        if agency.kind in CUSTODY_KINDS
        else None,
        tab("dang-giai-quyet", pgettext_lazy("worklist", "Đang giải quyết tại đơn vị"), in_unit),
        tab(
            "ld-sap-den-han", pgettext_lazy("worklist", "Sắp đến hạn"), counting & _due_soon(today)
        ),
        Tab(
            "ld-qua-han",
            pgettext_lazy("worklist", "Quá hạn"),
            Role.LEADER,
            agency,
            counting & _overdue(today),
            urgent=True,
        ),
    ]
    return [t for t in tabs if t is not None]


def _admin_tabs(user: User, agency: Agency, today: Today) -> list[Tab]:
    return [
        Tab("tat-ca", pgettext_lazy("worklist", "Tất cả hồ sơ"), Role.ADMIN, agency, Q(), FIFO),
        Tab(
            "qt-qua-han",
            pgettext_lazy("worklist", "Quá hạn"),
            Role.ADMIN,
            agency,
            Q(state__in=COUNTING_STATES) & _overdue(today),
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
    """How many dossiers each tab holds, in one query (``permissions.count_visible``)."""
    return permissions.count_visible(user, {tab.ident: tab.condition for tab in tabs})


def list_tab(user: User, tab: Tab) -> QuerySet[Dossier]:
    """The rows of ``tab``, with what each row shows joined in."""
    queryset = permissions.visible_to(user).filter(tab.condition)
    return queryset.select_related(*WORKLIST_RELATED).order_by(*tab.ordering, "pk")


def user_units(user: Any) -> list[Agency]:
    """The units ``user`` holds a role in, each once, by name (for the dossier register)."""
    units = {m.agency_id: m.agency for m in permissions.memberships_of(user)}
    return sorted(units.values(), key=lambda agency: agency.name)


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
        "holder",
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


@dataclass(frozen=True)
class TransferEntry:
    """A hand-over of the paper file or of the result, with its transfer slip (PDF)."""

    transfer: Transfer
    slip: DossierFile | None


@dataclass(frozen=True)
class SubStepEntry:
    """The tax step or a consultation. ``late``: answered after its due time, or still open
    past it."""

    step: SubStep
    late: bool


@dataclass(frozen=True)
class SupplementEntry:
    request: SupplementRequest
    notice: DossierFile | None  # Mẫu 02


@dataclass(frozen=True)
class Custody:
    """Where the paper file is: with ``holder``, or on its way (``in_transit``)."""

    holder: Agency | None
    in_transit: Transfer | None


@dataclass(frozen=True)
class Reckoning:
    """How one due time was computed: the explanation ``motcua due`` prints."""

    title: str | Promise
    start_label: str | Promise
    started_at: datetime
    effective_at: datetime
    counting_starts: date
    due_at: datetime
    days: str
    notes: list[str]
    skipped: list[tuple[date, str]]


@dataclass(frozen=True)
class Rescheduling:
    """The one new appointment, with its apology (Mẫu 04)."""

    at: datetime
    original_due_at: datetime
    new_due_at: datetime
    reason: str
    apology: DossierFile | None
    skipped: list[tuple[date, str]]


@dataclass
class DeskData:
    """Everything the desk shows besides the dossier itself."""

    attachments: list[FileEntry]
    receipt_slip: DossierFile | None
    results: list[DossierFile]
    refusal_notice: DossierFile | None
    timeline: list[TimelineEntry]
    supplements: list[SupplementEntry]
    invoice: Invoice | None
    invoice_lines: list[InvoiceLine]
    transfers: list[TransferEntry]
    substeps: list[SubStepEntry]
    custody: Custody | None  # None: the procedure has no paper file to follow
    two_appointments: bool
    reckonings: list[Reckoning]
    second_phase_days: str
    rescheduling: Rescheduling | None

    @property
    def open_transfers(self) -> list[Transfer]:
        return [e.transfer for e in self.transfers if e.transfer.received_at is None]

    @property
    def tax_step(self) -> SubStep | None:
        """The latest tax step: sent (first appointment kept), then answered (proof received)."""
        steps = [e.step for e in self.substeps if e.step.kind == SubStepKind.TAX]
        return steps[-1] if steps else None

    @property
    def open_consultations(self) -> list[SubStep]:
        return [
            e.step
            for e in self.substeps
            if e.step.kind == SubStepKind.CONSULTATION and e.step.answered_at is None
        ]


def desk_data(dossier: Dossier, now: datetime | None = None) -> DeskData:
    now = now or clock.now()
    files = list(dossier.files.all())
    names = {d.key: d.name for d in dossier.procedure.documents.all()}
    invoice: Invoice | None = getattr(dossier, "invoice", None)
    events = list(dossier.events.select_related("actor", "agency").order_by("at", "pk"))
    supplements = dossier.supplements.select_related("requested_by").order_by("requested_at")
    transfers = dossier.transfers.select_related(
        "from_agency", "to_agency", "sent_by", "received_by"
    ).order_by("sent_at", "pk")
    substeps = dossier.substeps.select_related("agency", "requested_by", "answered_by")
    by_kind = _files_by_kind(files)
    two_appointments = has_two_appointments(dossier.procedure)
    transfer_entries = _transfer_entries(list(transfers), by_kind[FileKind.TRANSFER_SLIP])
    return DeskData(
        attachments=[
            FileEntry(f, names.get(f.component_key, "")) for f in by_kind[FileKind.ATTACHMENT]
        ],
        receipt_slip=_last(by_kind[FileKind.RECEIPT_SLIP]),
        results=by_kind[FileKind.RESULT],
        refusal_notice=_last(by_kind[FileKind.REFUSAL_NOTICE]),
        timeline=[_timeline_entry(event) for event in events],
        supplements=[
            SupplementEntry(request, notice)
            for request, notice in _pair(list(supplements), by_kind[FileKind.SUPPLEMENT_NOTICE])
        ],
        invoice=invoice,
        invoice_lines=list(invoice.lines.all()) if invoice is not None else [],
        transfers=transfer_entries,
        substeps=[SubStepEntry(step, _is_late(step, now)) for step in substeps],
        custody=_custody(dossier, transfer_entries),
        two_appointments=two_appointments,
        reckonings=reckonings(dossier, events, two_appointments=two_appointments),
        second_phase_days=_days_text(dossier, 2) if two_appointments else "",
        rescheduling=_rescheduling(dossier, events, by_kind[FileKind.APOLOGY]),
    )


def _files_by_kind(files: list[DossierFile]) -> dict[str, list[DossierFile]]:
    grouped: dict[str, list[DossierFile]] = {kind: [] for kind in FileKind.values}
    for record in files:
        grouped.setdefault(record.kind, []).append(record)
    return grouped


def _last(files: list[DossierFile]) -> DossierFile | None:
    return files[-1] if files else None


def _pair(
    requests: list[SupplementRequest], notices: list[DossierFile]
) -> list[tuple[SupplementRequest, DossierFile | None]]:
    """Each supplement request with its Mẫu 02: both are issued once per request, in order."""
    return [
        (request, notices[index] if index < len(notices) else None)
        for index, request in enumerate(requests)
    ]


def _transfer_entries(transfers: list[Transfer], slips: list[DossierFile]) -> list[TransferEntry]:
    by_name = {record.original_name: record for record in slips}
    return [TransferEntry(t, by_name.get(f"{t.slip_number}.pdf")) for t in transfers]


def _is_late(step: SubStep, now: datetime) -> bool:
    if step.due_at is None:
        return False
    return (step.answered_at or now) > step.due_at


def _custody(dossier: Dossier, transfers: list[TransferEntry]) -> Custody | None:
    if not dossier.procedure.paper_file:
        return None
    moving = [e.transfer for e in transfers if e.transfer.received_at is None]
    return Custody(holder=dossier.holder, in_transit=moving[-1] if moving else None)


# --- every due date explains itself ------------------------------------------------------------


def _starts_clock(event: DossierEvent) -> bool:
    """The events at which ``reception.start_clock`` ran: receipt (or the fee that completed
    it), and a complete supplement after appraisal, which restarts the clock from zero."""
    if event.action in ("accept", "settle_payment"):
        return event.to_state == State.ACCEPTED
    return event.action == "supplement" and event.to_state == State.PROCESSING


def reckonings(
    dossier: Dossier, events: list[DossierEvent], *, two_appointments: bool
) -> list[Reckoning]:
    """How the dossier's due times were computed, from the events that started its clock: one
    for a single appointment, the first and (once the obligations are met) the second for a
    two-appointment procedure. Empty before the clock starts."""
    start: DossierEvent | None = None
    second: DossierEvent | None = None
    for event in events:
        if _starts_clock(event):
            start, second = event, None
        elif event.action == "record_obligations_met":
            second = event
    if start is None:
        return []
    if start.action == "supplement":
        start_label: Promise = _("Nhận đủ hồ sơ bổ sung (tính lại từ đầu)")
    elif start.action == "settle_payment":
        start_label = _("Nộp đủ phí, lệ phí (hoàn tất tiếp nhận)")
    else:
        start_label = _("Tiếp nhận hồ sơ")
    first_title = (
        _("Hẹn lần 1: gửi thông tin sang cơ quan thuế")
        if two_appointments
        else _("Hẹn trả kết quả")
    )
    result = [_reckon(dossier, start.at, 1, first_title, start_label)]
    if two_appointments and second is not None:
        result.append(
            _reckon(
                dossier,
                second.at,
                2,
                _("Hẹn lần 2: trả kết quả"),
                _("Nhận chứng từ hoàn thành nghĩa vụ tài chính"),
            )
        )
    return result


def _reckon(
    dossier: Dossier, started_at: datetime, phase: int, title: Promise, start_label: Promise
) -> Reckoning:
    deadline: Deadline = deadline_for(dossier.procedure, started_at, phase=phase)
    english = translation.get_language() == "en"
    notes = [
        item.reason_en if english else item.reason_vi
        for item in deadline.explanation
        if isinstance(item, Note)
    ]
    skipped = [
        (item.day, item.reason_en if english else item.reason_vi)
        for item in deadline.explanation
        if not isinstance(item, Note)
    ]
    return Reckoning(
        title=title,
        start_label=start_label,
        started_at=started_at,
        effective_at=deadline.effective_received_at,
        counting_starts=deadline.counting_starts,
        due_at=deadline.due_at,
        days=_days_text(dossier, phase),
        notes=notes,
        skipped=skipped,
    )


def _days_text(dossier: Dossier, phase: int) -> str:
    from motcua.catalog.models import DeadlineKind

    procedure = dossier.procedure
    if procedure.deadline_kind == DeadlineKind.SAME_DAY:
        return str(_("Trong ngày (nhận sau 15:00 thì trả ngày làm việc kế tiếp)"))
    days = phase_days(procedure, phase).normalize()
    return str(_("%(days)s ngày làm việc") % {"days": f"{days:f}"})


def _rescheduling(
    dossier: Dossier, events: list[DossierEvent], apologies: list[DossierFile]
) -> Rescheduling | None:
    if dossier.rescheduled_at is None or dossier.original_due_at is None:
        return None
    assert dossier.due_at is not None  # noqa: S101 (a rescheduled dossier has a due time)
    event = next((e for e in reversed(events) if e.action == "reschedule"), None)
    english = translation.get_language() == "en"
    original_day = clock.localtime(dossier.original_due_at).date()
    new_day = clock.localtime(dossier.due_at).date()
    days_off = default_calendar().days_off_between(original_day + timedelta(days=1), new_day)
    return Rescheduling(
        at=dossier.rescheduled_at,
        original_due_at=dossier.original_due_at,
        new_due_at=dossier.due_at,
        reason=event.note if event is not None else "",
        apology=_last(apologies),
        skipped=[(d.day, d.reason_en if english else d.reason_vi) for d in days_off],
    )


# --- actions besides the transitions ----------------------------------------------------------


def may_send_file(user: Any, dossier: Dossier) -> bool:
    """The unit holding the paper file hands it on when the hand-over is due: the receiving
    center to the competent unit while the dossier is in processing, the competent unit back to
    the center once there is a result (approved or stopped)."""
    holder_id = dossier.holder_id
    if holder_id is None or not permissions.is_officer_of(user, holder_id):
        return False
    if dossier.receiving_agency_id == dossier.competent_agency_id:
        return False
    if holder_id == dossier.receiving_agency_id:
        return dossier.state in OPEN_FOR_PROCESSING
    return holder_id == dossier.competent_agency_id and dossier.state in RESULT_STATES


def receivable_transfers(user: Any, transfers: list[Transfer]) -> list[Transfer]:
    """Open transfers addressed to one of ``user``'s units."""
    return [t for t in transfers if permissions.is_officer_of(user, t.to_agency_id)]


def answerable_consultations(user: Any, steps: list[SubStep]) -> list[SubStep]:
    """Open consultations addressed to one of ``user``'s units."""
    return [s for s in steps if permissions.is_officer_of(user, s.agency_id)]


def may_request_consultation(user: Any, dossier: Dossier) -> bool:
    return dossier.state == State.PROCESSING and permissions.has_role(
        user, dossier, Role.SPECIALIST, "competent"
    )


def extra_actions(user: Any, dossier: Dossier, data: DeskData) -> tuple[list[str], list[str]]:
    """Desk actions that are not transitions of the dossier (custody, consultations), split
    into those shown before the transitions and those shown after them."""
    before, after = [], []
    if receivable_transfers(user, data.open_transfers):
        before.append("receive_file")
    if may_send_file(user, dossier):
        before.append("send_file")
    if answerable_consultations(user, data.open_consultations):
        before.append("answer_consultation")
    if may_request_consultation(user, dossier):
        after.append("request_consultation")
    return before, after


def consultable_agencies(dossier: Dossier) -> list[Agency]:
    """Agencies of the province a competent unit may ask for an opinion: any but itself and
    the service centers (which receive, not decide)."""
    return list(
        Agency.objects.filter(province_id=dossier.competent_agency.province_id)
        .exclude(pk=dossier.competent_agency_id)
        .exclude(kind__in=(AgencyKind.PROVINCE_CENTER, AgencyKind.COMMUNE_CENTER))
        .order_by("kind", "name")
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
