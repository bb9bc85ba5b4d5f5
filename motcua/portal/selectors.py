"""Reads behind the citizen portal: procedures on offer, service centers, a citizen's dossier.

Every page here is public, so each read is shaped to what the page may show and to a fixed
number of queries whatever the size of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from motcua.catalog.eform import label_of
from motcua.catalog.models import DeadlineKind, FeeItem, Procedure
from motcua.catalog.selectors import list_current_procedures
from motcua.core.errors import NotFound
from motcua.core.text import search_key
from motcua.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    FileKind,
    SubStep,
    SubStepKind,
    TransferPurpose,
)
from motcua.dossiers.states import ACTION_LABELS, State
from motcua.org.models import SERVICE_CENTER_KINDS, Agency, AgencyKind

CENTER_SEARCH_LIMIT = 30
NOTICE_KINDS = (FileKind.SUPPLEMENT_NOTICE, FileKind.REFUSAL_NOTICE, FileKind.APOLOGY)
SUPPLEMENT_ACTIONS = frozenset({"request_supplement", "request_supplement_after_appraisal"})
# Notes written to or by the applicant; the others (appraisal, sending back) are internal. The
# reason of a rescheduling is the apology addressed to the applicant (Mẫu 04).
APPLICANT_NOTE_ACTIONS = SUPPLEMENT_ACTIONS | {
    "refuse",
    "supplement",
    "stop",
    "withdraw",
    "reschedule",
}


# --- procedures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeSummaryLine:
    name: str
    amount: int
    per: str  # label of the form field that multiplies the amount, "" for a flat fee
    is_example: bool


@dataclass(frozen=True)
class ProcedureCard:
    procedure: Procedure
    time_limit: str
    fees: list[FeeSummaryLine]


def time_limit_of(procedure: Procedure) -> str:
    if procedure.deadline_kind == DeadlineKind.SAME_DAY:
        return str(DeadlineKind.SAME_DAY.label)
    days = Decimal(procedure.statutory_days).normalize()
    return str(_("%(days)s ngày làm việc") % {"days": f"{days:f}"})


def fee_summary(procedure: Procedure, items: list[FeeItem]) -> list[FeeSummaryLine]:
    fields = {spec["name"]: spec for spec in procedure.form_schema}
    lines = []
    for item in items:
        spec = fields.get(item.quantity_field)
        lines.append(
            FeeSummaryLine(
                name=item.name_en if _english() else item.name_vi,
                amount=item.amount,
                per=label_of(spec) if spec else "",
                is_example=item.is_example,
            )
        )
    return lines


def list_procedure_cards(on: date) -> list[ProcedureCard]:
    """The current procedures with their time limit and the fees in force ``on`` (2 queries)."""
    province = settings.MOTCUA_PROVINCE_CODE
    in_force = FeeItem.objects.filter(
        Q(province_code__isnull=True) | Q(province_code=province),
        Q(valid_to__isnull=True) | Q(valid_to__gte=on),
        valid_from__lte=on,
    )
    procedures = list_current_procedures().prefetch_related(
        Prefetch("fee_items", queryset=in_force, to_attr="fees_in_force")
    )
    return [
        ProcedureCard(
            procedure=procedure,
            time_limit=time_limit_of(procedure),
            fees=fee_summary(procedure, _one_per_key(procedure.fees_in_force)),
        )
        for procedure in procedures
    ]


def _one_per_key(items: list[FeeItem]) -> list[FeeItem]:
    # The same choice as catalog.selectors.fee_items_in_force, over rows already loaded: the
    # province's own item replaces the national one of its key, the latest version wins.
    chosen: dict[str, FeeItem] = {}
    for item in sorted(items, key=lambda i: (i.province_code is not None, i.valid_from)):
        chosen[item.key] = item
    return list(chosen.values())


def _english() -> bool:
    from django.utils import translation

    return translation.get_language() == "en"


# --- service centers --------------------------------------------------------------------------


def _centers() -> QuerySet[Agency]:
    return Agency.objects.filter(
        kind__in=SERVICE_CENTER_KINDS, province_id=settings.MOTCUA_PROVINCE_CODE
    ).select_related("ward")


def search_centers(query: str, limit: int = CENTER_SEARCH_LIMIT) -> list[Agency]:
    """Service centers of the province whose name or commune matches ``query``, with or without
    diacritics and spaces ("Plei Ku" finds "Phường Pleiku"). The provincial center comes first.
    An empty query finds nothing."""
    key = search_key(query)
    if not key:
        return []
    matches = _centers().filter(Q(search_key__contains=key) | Q(ward__search_key__contains=key))
    centers = list(matches.order_by("name")[:limit])
    centers.sort(key=lambda agency: agency.kind != AgencyKind.PROVINCE_CENTER)
    return centers


def get_center(slug: str) -> Agency | None:
    if not slug:
        return None
    return _centers().filter(slug=slug).first()


def get_province_center() -> Agency | None:
    return _centers().filter(kind=AgencyKind.PROVINCE_CENTER).first()


def center_as_dict(agency: Agency) -> dict[str, Any]:
    return {
        "slug": agency.slug,
        "name": agency.name,
        "former_province": agency.get_former_province_display(),
        "provincial": agency.kind == AgencyKind.PROVINCE_CENTER,
    }


# --- a citizen's dossier ------------------------------------------------------------------------


def get_dossier_by_token(access_token: str) -> Dossier:
    """The dossier behind a citizen's private link, with what its page shows preloaded."""
    dossier = (
        Dossier.objects.select_related(
            "procedure", "receiving_agency", "competent_agency", "invoice"
        )
        .prefetch_related(
            "invoice__lines",
            Prefetch("events", queryset=DossierEvent.objects.select_related("agency")),
            "files",
            "supplements",
            "procedure__documents",
            # The tax step of a two-appointment land dossier: when the first appointment was
            # kept (sent to the tax authority) and whether the second is counted yet.
            Prefetch(
                "substeps",
                queryset=SubStep.objects.filter(kind=SubStepKind.TAX).order_by("requested_at"),
                to_attr="tax_steps",
            ),
            # Mẫu 02, 03 and 04, listed together among the downloads.
            Prefetch(
                "files",
                queryset=DossierFile.objects.filter(kind__in=NOTICE_KINDS),
                to_attr="notice_files",
            ),
        )
        .filter(access_token=access_token)
        .first()
    )
    if dossier is None or not access_token:
        raise NotFound(_("Không tìm thấy hồ sơ."), code="dossier_not_found")
    return dossier


def get_dossier_file(access_token: str, file_id: int) -> DossierFile:
    """A file of the dossier behind ``access_token``; another dossier's file is not found."""
    record = (
        DossierFile.objects.filter(pk=file_id, dossier__access_token=access_token)
        .only("file", "original_name", "content_type", "dossier_id")
        .first()
    )
    if record is None or not access_token:
        raise NotFound(_("Không tìm thấy tệp."), code="file_not_found")
    return record


def files_by_kind(dossier: Dossier) -> dict[str, list[DossierFile]]:
    grouped: dict[str, list[DossierFile]] = {kind: [] for kind in FileKind.values}
    for record in dossier.files.all():
        grouped.setdefault(record.kind, []).append(record)
    return grouped


def open_supplement_request(dossier: Dossier) -> Any:
    if dossier.state != State.SUPPLEMENT_REQUESTED:
        return None
    pending = [s for s in dossier.supplements.all() if s.completed_at is None]
    return pending[-1] if pending else None


# --- the public status page ---------------------------------------------------------------------


def find_dossier_by_code(code: str) -> Dossier | None:
    """The dossier with ``code`` for the public status page (no personal data is used)."""
    code = code.strip().upper()
    if not code:
        return None
    return (
        Dossier.objects.select_related("procedure", "receiving_agency")
        .prefetch_related(
            Prefetch("events", queryset=DossierEvent.objects.select_related("agency"))
        )
        .filter(code=code)
        .first()
    )


def find_dossier_for_download(code: str) -> Dossier | None:
    code = code.strip().upper()
    if not code:
        return None
    return (
        Dossier.objects.only("pk", "access_token", "applicant_id_number").filter(code=code).first()
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    label: str
    state_label: str
    agency: str
    note: str
    items: list[str]


# What the citizen reads for each step; the officer's wording stays in ACTION_LABELS.
_PLAIN_TEXT = {
    "submit": _("Hồ sơ đã được nộp"),
    "register_at_counter": _("Hồ sơ được tiếp nhận trực tiếp tại quầy"),
    "accept": _("Hồ sơ đã được tiếp nhận"),
    "refuse": _("Hồ sơ bị từ chối tiếp nhận"),
    "request_supplement": _("Cán bộ yêu cầu bổ sung hồ sơ"),
    "request_supplement_after_appraisal": _("Cơ quan giải quyết yêu cầu bổ sung hồ sơ"),
    "supplement": _("Người nộp đã bổ sung hồ sơ"),
    "settle_payment": _("Đã nhận phí, lệ phí; hồ sơ được tiếp nhận"),
    "start_processing": _("Chuyên viên bắt đầu xử lý hồ sơ"),
    "assign": _("Hồ sơ được phân công xử lý"),
    "submit_for_approval": _("Hồ sơ được trình lãnh đạo phê duyệt"),
    "send_back": _("Hồ sơ được trả lại để xử lý tiếp"),
    "approve": _("Đã có kết quả giải quyết"),
    "stop": _("Dừng giải quyết hồ sơ"),
    "return_result": _("Đã trả kết quả"),
    "withdraw": _("Người nộp đã rút hồ sơ"),
    "send_to_tax": _(
        "Thông tin hồ sơ được chuyển sang cơ quan thuế để xác định nghĩa vụ tài chính"
    ),
    "record_obligations_met": _("Đã nhận chứng từ hoàn thành nghĩa vụ tài chính"),
    "reschedule": _("Cơ quan giải quyết xin lỗi và hẹn lại ngày trả kết quả"),
    "request_consultation": _("Cơ quan giải quyết lấy ý kiến cơ quan liên quan"),
    "answer_consultation": _("Cơ quan liên quan đã có ý kiến"),
}
# Hand-overs read differently for the file and for the result.
_TRANSFER_TEXT = {
    ("send_file", TransferPurpose.FILE): _("Hồ sơ được chuyển đến cơ quan giải quyết"),
    ("receive_file", TransferPurpose.FILE): _("Cơ quan giải quyết đã nhận hồ sơ"),
    ("send_file", TransferPurpose.RESULT): _("Kết quả được chuyển về nơi tiếp nhận"),
    ("receive_file", TransferPurpose.RESULT): _("Nơi tiếp nhận đã nhận kết quả để trả"),
}
_ACCEPTED_AWAITING_PAYMENT = _("Hồ sơ hợp lệ, đang chờ nộp phí, lệ phí")


def _agency_of(event: DossierEvent, dossier: Dossier) -> str:
    if event.agency is not None:
        return event.agency.name
    # The applicant's own steps happen at the center where the dossier was filed.
    if event.action in ("submit", "supplement"):
        return dossier.receiving_agency.name
    return ""


def timeline(dossier: Dossier, *, public: bool) -> list[TimelineEntry]:
    """The dossier's events in plain words, never with an officer's name. The applicant reads
    the notes addressed to them or written by them; the public (``public``) reads which unit
    acted and when, and the reasons and items of supplement requests only."""
    entries = []
    for event in dossier.events.all():
        label = (
            _TRANSFER_TEXT.get((event.action, event.data.get("purpose", "")))
            or _PLAIN_TEXT.get(event.action)
            or ACTION_LABELS.get(event.action)
            or event.action
        )
        if event.action == "accept" and event.to_state == State.AWAITING_PAYMENT:
            label = _ACCEPTED_AWAITING_PAYMENT
        shown = SUPPLEMENT_ACTIONS if public else APPLICANT_NOTE_ACTIONS
        shows_note = event.action in shown
        entries.append(
            TimelineEntry(
                at=event.at,
                label=str(label),
                state_label=str(State(event.to_state).label) if event.to_state else "",
                agency=_agency_of(event, dossier),
                note=event.note if shows_note else "",
                items=list(event.data.get("items", []))
                if event.action in SUPPLEMENT_ACTIONS
                else [],
            )
        )
    return entries
