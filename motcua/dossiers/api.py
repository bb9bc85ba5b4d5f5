"""API of the dossier lifecycle.

Three audiences, three ways in:

- anyone: submit a dossier online (``POST /dossiers``) and follow it by its code
  (``GET /dossiers/track/{code}``, no personal data);
- the applicant: their own dossier by the access token handed out at submission
  (header ``X-Dossier-Token``): read it, supplement it, withdraw it, download its files;
- officers (session or bearer key): the worklist, the dossier desk, every action of the
  lifecycle, registration at the counter, the custody of the paper file (transfers and their
  receipt) and consultations of other agencies. A dossier outside the officer's units answers
  404.

Each endpoint parses its input, calls one service of ``motcua.dossiers.services`` and answers
with a schema; the rules (transitions, roles, deadlines, fees) live in the services.
"""

import base64
import binascii
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, get_args

from django.conf import settings
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.http import FileResponse, HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.security import APIKeyHeader

from motcua.catalog.eform import validate_form_data
from motcua.catalog.selectors import get_current_procedure
from motcua.core import clock, refcache
from motcua.core.errors import InvalidInput, InvalidInputs, MotcuaError, NotFound
from motcua.core.pagination import Pages
from motcua.dossiers import routing, services
from motcua.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    SubStep,
    Transfer,
    TransferMeans,
)
from motcua.dossiers.permissions import (
    allowed_actions,
    count_visible,
    memberships_of,
    visible_to,
)
from motcua.dossiers.states import ACTION_LABELS, OPEN_FOR_PROCESSING, State
from motcua.dossiers.uploads import Upload
from motcua.org.api import NotAuthenticated, officer_auth, officer_of
from motcua.org.models import SERVICE_CENTER_KINDS, Agency

router = Router(tags=["Hồ sơ"])

# Notes the applicant reads on their own timeline: the reasons given to them. Officers' working
# notes (proposal, sending back) stay on the desk.
APPLICANT_NOTES = frozenset(
    {
        "refuse",
        "request_supplement",
        "request_supplement_after_appraisal",
        "supplement",
        "stop",
        "withdraw",
    }
)


def _not_found() -> NotFound:
    return NotFound(_("Không tìm thấy hồ sơ."), code="dossier_not_found")


def _label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


# --- schemas shared by the views ---------------------------------------------------------------


class AttachmentIn(Schema):
    name: str = Field(..., min_length=1, max_length=255, description="tên tệp, vd. cccd.pdf")
    component: str = Field(
        "", max_length=40, description="khóa thành phần hồ sơ của thủ tục, vd. identity_document"
    )
    content_base64: str = Field(..., description="nội dung tệp (PDF, JPEG, PNG) mã hóa base64")


class AgencyRef(Schema):
    id: int
    slug: str
    code: str
    name: str


class ProcedureRef(Schema):
    code: str
    name: str


class InvoiceLineOut(Schema):
    key: str
    name: str
    unit_amount: int
    quantity: int
    amount: int
    is_example: bool

    @staticmethod
    def resolve_key(obj: Any) -> str:
        return str(obj.fee_key)

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.name_en if translation.get_language() == "en" else obj.name_vi)


class InvoiceOut(Schema):
    amount: int = Field(description="tổng số tiền, VND")
    status: str = Field(description="unpaid, paid hoặc not_due")
    paid_at: datetime | None
    receipt_number: str | None
    lines: list[InvoiceLineOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class FileOut(Schema):
    id: int
    kind: str = Field(description="attachment, receipt_slip, result, supplement_notice, …")
    component: str
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime

    @staticmethod
    def resolve_component(obj: DossierFile) -> str:
        return obj.component_key

    @staticmethod
    def resolve_name(obj: DossierFile) -> str:
        return obj.original_name


class SupplementOut(Schema):
    stage: str = Field(description="reception hoặc appraisal")
    requested_at: datetime
    items: list[str]
    reason: str
    completed_at: datetime | None


class ApplicantOut(Schema):
    name: str
    id_number: str
    phone: str
    email: str
    address: str

    @staticmethod
    def resolve_name(obj: Dossier) -> str:
        return obj.applicant_name

    @staticmethod
    def resolve_id_number(obj: Dossier) -> str:
        return obj.applicant_id_number

    @staticmethod
    def resolve_phone(obj: Dossier) -> str:
        return obj.applicant_phone

    @staticmethod
    def resolve_email(obj: Dossier) -> str:
        return obj.applicant_email

    @staticmethod
    def resolve_address(obj: Dossier) -> str:
        return obj.applicant_address


class StatusFields(Schema):
    """What every view of a dossier shows about where it stands."""

    code: str
    procedure: ProcedureRef
    state: str
    state_label: str
    national_status: int = Field(description="TrangThaiHoSo của Cổng DVCQG (1–10)")
    submitted_at: datetime
    received_at: datetime | None = Field(description="thời điểm tiếp nhận (bắt đầu tính hạn)")
    due_at: datetime | None = Field(description="hạn trả kết quả")
    finished_at: datetime | None
    returned_at: datetime | None

    @staticmethod
    def resolve_state_label(obj: Dossier) -> str:
        return str(State(obj.state).label)

    @staticmethod
    def resolve_received_at(obj: Dossier) -> datetime | None:
        return obj.accepted_at


# --- submission --------------------------------------------------------------------------------


class SubmissionIn(Schema):
    procedure: str = Field(..., max_length=30, description="mã thủ tục, vd. 2.000635")
    center: int | str = Field(..., description="Trung tâm tiếp nhận: id hoặc slug")
    form: dict[str, Any] = Field(..., description="dữ liệu biểu mẫu điện tử của thủ tục")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class SubmittedOut(Schema):
    id: int
    code: str
    state: str
    national_status: int
    access_token: str = Field(description="gửi lại trong tiêu đề X-Dossier-Token; giữ bí mật")
    invoice: InvoiceOut | None

    @staticmethod
    def resolve_invoice(obj: Dossier) -> Any:
        return getattr(obj, "invoice", None)


@router.post(
    "/dossiers",
    response={200: SubmittedOut, 201: SubmittedOut},
    url_name="dossier-submit",
)
def submit(
    request: HttpRequest,
    payload: SubmissionIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # noqa: B008
) -> Status[Dossier]:
    """Submit a dossier online at any service center of the province (201). A repeat with the
    same ``Idempotency-Key`` answers the first dossier with 200 and writes nothing."""
    key = _idempotency_key(idempotency_key)
    uploads = _decode_attachments(payload.attachments)
    replay = key is not None and Dossier.objects.filter(idempotency_key=key).exists()
    # The center and then the procedure come from the per-process copies under one stamp read.
    with _api_field_names(form=True), refcache.one_stamp():
        center = routing.get_receiving_center(payload.center)
        dossier = services.submit_online(
            procedure_code=payload.procedure,
            center_id=center.pk,
            form_data=payload.form,
            uploads=uploads,
            idempotency_key=key,
        )
    return Status(200 if replay else 201, dossier)


def form_errors_of(body: dict[str, Any]) -> list[InvalidInput]:
    """The e-form's own errors in a submission refused for a schema error elsewhere (a field
    of the wrong type, a missing center), so that every error comes back in one answer: none
    when the procedure is not a known code or ``form`` is not an object."""
    code, form = body.get("procedure"), body.get("form")
    if not isinstance(code, str) or not isinstance(form, dict):
        return []
    try:
        procedure = get_current_procedure(code)
        validate_form_data(procedure.form_schema, form)
    except InvalidInputs as error:
        for item in error.errors:
            item.field = _api_field(item.field, form=True)
        return list(error.errors)
    except MotcuaError:
        return []
    return []


def _idempotency_key(value: str | None) -> str | None:
    key = (value or "").strip()
    return key or None


def _decode_attachments(items: list[AttachmentIn]) -> list[Upload]:
    uploads: list[Upload] = []
    errors: list[InvalidInput] = []
    for index, item in enumerate(items):
        try:
            content = base64.b64decode("".join(item.content_base64.split()), validate=True)
        except (binascii.Error, ValueError):
            errors.append(
                InvalidInput(
                    _("Tệp “%(name)s”: nội dung không phải base64 hợp lệ."),
                    field=f"attachments[{index}]",
                    code="base64",
                    name=item.name,
                )
            )
            continue
        uploads.append(Upload(name=item.name, content=content, component_key=item.component))
    if errors:
        raise InvalidInputs(errors)
    return uploads


@contextmanager
def _api_field_names(*, form: bool = False) -> Iterator[None]:
    """Name fields as the request body does: the services' ``files[i]`` are our
    ``attachments[i]``; with ``form``, e-form fields are ``form.<name>``."""
    try:
        yield
    except MotcuaError as error:
        for item in error.errors if isinstance(error, InvalidInputs) else [error]:
            item.field = _api_field(item.field, form=form)
        raise


def _api_field(field: str | None, *, form: bool) -> str | None:
    if field is None:
        return None
    if field == "files" or field.startswith("files["):
        return "attachments" + field.removeprefix("files")
    if field == "idempotency_key":
        return "Idempotency-Key"
    if form and field not in ("procedure", "center", "channel") and ":" not in field:
        return f"form.{field}"
    return field


# --- public tracking ---------------------------------------------------------------------------


class TimelineOut(Schema):
    at: datetime
    action: str
    label: str
    state: str
    state_label: str

    @staticmethod
    def resolve_label(obj: DossierEvent) -> str:
        return _label(obj.action)

    @staticmethod
    def resolve_state(obj: DossierEvent) -> str:
        return obj.to_state

    @staticmethod
    def resolve_state_label(obj: DossierEvent) -> str:
        return str(State(obj.to_state).label)


class TrackOut(StatusFields):
    center: str
    timeline: list[TimelineOut]

    @staticmethod
    def resolve_center(obj: Dossier) -> str:
        return obj.receiving_agency.name

    @staticmethod
    def resolve_timeline(obj: Dossier) -> list[DossierEvent]:
        return list(obj.events.all())


@router.get("/dossiers/track/{code}", response=TrackOut, url_name="dossier-track")
def track(request: HttpRequest, code: str) -> Dossier:
    """Where a dossier stands, for anyone who has its code: no names, no notes, no documents."""
    dossier = (
        Dossier.objects.select_related("procedure", "receiving_agency")
        .prefetch_related(Prefetch("events", queryset=DossierEvent.objects.order_by("at", "pk")))
        .filter(code=code.strip())
        .first()
    )
    if dossier is None:
        raise _not_found()
    return dossier


# --- the applicant's own dossier ---------------------------------------------------------------


class DossierTokenAuth(APIKeyHeader):
    """``X-Dossier-Token``: the access token handed out at submission."""

    param_name = "X-Dossier-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> str:
        if not key or not key.strip():
            raise NotAuthenticated(
                _("Cần gửi mã truy cập hồ sơ trong tiêu đề X-Dossier-Token."),
                code="dossier_token_required",
            )
        return key.strip()


dossier_token = DossierTokenAuth()


def _token_of(request: HttpRequest) -> str:
    token: str = request.auth  # type: ignore[attr-defined]  # set by DossierTokenAuth
    return token


class ApplicantTimelineOut(TimelineOut):
    note: str

    @staticmethod
    def resolve_note(obj: DossierEvent) -> str:
        return obj.note if obj.action in APPLICANT_NOTES else ""


class ApplicantDossierOut(StatusFields):
    id: int
    center: AgencyRef
    competent_agency: AgencyRef
    channel: int = Field(description="KenhThucHien: 1 trực tiếp, 2 trực tuyến, 3 bưu chính")
    applicant: ApplicantOut
    form: dict[str, Any]
    closed_at: datetime | None
    decision_note: str = Field(description="lý do từ chối, dừng xử lý hoặc rút hồ sơ")
    supplement_requests: list[SupplementOut]
    files: list[FileOut]
    invoice: InvoiceOut | None
    timeline: list[ApplicantTimelineOut]

    @staticmethod
    def resolve_center(obj: Dossier) -> Any:
        return obj.receiving_agency

    @staticmethod
    def resolve_applicant(obj: Dossier) -> Dossier:
        return obj

    @staticmethod
    def resolve_form(obj: Dossier) -> dict[str, Any]:
        return dict(obj.form_data)

    @staticmethod
    def resolve_supplement_requests(obj: Dossier) -> list[Any]:
        return list(obj.supplements.all())

    @staticmethod
    def resolve_files(obj: Dossier) -> list[DossierFile]:
        return list(obj.files.all())

    @staticmethod
    def resolve_invoice(obj: Dossier) -> Any:
        return getattr(obj, "invoice", None)

    @staticmethod
    def resolve_timeline(obj: Dossier) -> list[DossierEvent]:
        return list(obj.events.all())


def _with_details(queryset: QuerySet[Dossier]) -> QuerySet[Dossier]:
    return queryset.select_related(
        "procedure", "receiving_agency", "competent_agency", "assignee", "invoice"
    ).prefetch_related(
        "invoice__lines",
        "files",
        "supplements",
        Prefetch(
            "events",
            queryset=DossierEvent.objects.select_related("actor", "agency").order_by("at", "pk"),
        ),
    )


def _dossier_of_token(token: str) -> Dossier:
    dossier = _with_details(Dossier.objects.filter(access_token=token)).first()
    if dossier is None:
        raise _not_found()
    return dossier


def _id_of_token(token: str) -> int:
    dossier_id = Dossier.objects.filter(access_token=token).values_list("pk", flat=True).first()
    if dossier_id is None:
        raise _not_found()
    return dossier_id


class SupplementIn(Schema):
    note: str = Field("", max_length=2000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=2000)


@router.get(
    "/dossiers/by-token",
    response=ApplicantDossierOut,
    auth=dossier_token,
    url_name="dossier-by-token",
)
def get_own_dossier(request: HttpRequest) -> Dossier:
    """The applicant's dossier in full: their data, files, fee, requests, reasons."""
    return _dossier_of_token(_token_of(request))


@router.post(
    "/dossiers/by-token/supplement",
    response=ApplicantDossierOut,
    auth=dossier_token,
    url_name="dossier-supplement",
)
def supplement(request: HttpRequest, payload: SupplementIn) -> Dossier:
    """Send what the officer asked for (files and/or a note)."""
    token = _token_of(request)
    dossier_id = _id_of_token(token)
    uploads = _decode_attachments(payload.attachments)
    with _api_field_names():
        services.supplement(dossier_id, access_token=token, uploads=uploads, note=payload.note)
    return _dossier_of_token(token)


@router.post(
    "/dossiers/by-token/withdraw",
    response=ApplicantDossierOut,
    auth=dossier_token,
    url_name="dossier-withdraw",
)
def withdraw(request: HttpRequest, payload: WithdrawIn) -> Dossier:
    """Withdraw the dossier, with a reason (national status 7)."""
    token = _token_of(request)
    services.withdraw(_id_of_token(token), access_token=token, reason=payload.reason)
    return _dossier_of_token(token)


@router.get(
    "/dossiers/by-token/files/{int:file_id}",
    auth=dossier_token,
    url_name="dossier-file-by-token",
    response={200: bytes},
)
def download_own_file(request: HttpRequest, file_id: int) -> FileResponse:
    """A file of the applicant's dossier: an attachment, the receipt slip or the result."""
    record = DossierFile.objects.filter(
        pk=file_id, dossier__access_token=_token_of(request)
    ).first()
    if record is None:
        raise NotFound(_("Không tìm thấy tệp."), code="file_not_found")
    return _file_response(record)


def _file_response(record: DossierFile) -> FileResponse:
    return FileResponse(
        record.file.open("rb"),
        as_attachment=True,
        filename=record.original_name,
        content_type=record.content_type,
    )


# --- officers: the worklist --------------------------------------------------------------------

WorklistTab = Literal[
    "all",
    "new",
    "supplement_requested",
    "awaiting_payment",
    "to_process",
    "mine",
    "awaiting_approval",
    "to_return",
    "due_today",
    "due_soon",
    "overdue",
    "incoming",
    "awaiting_obligations",
    "to_send_back",
    "asked",
]


class WorklistQuery(Schema):
    tab: WorklistTab = Field(
        "all",
        description=(
            "all; new (mới nộp); supplement_requested; awaiting_payment; to_process (chờ nhận "
            "xử lý); mine (tôi đang xử lý); awaiting_approval; to_return (chờ trả kết quả); "
            "due_today (đến hạn hôm nay); due_soon (sắp đến hạn, trong MOTCUA_DUE_SOON_HOURS "
            "giờ); overdue (quá hạn); incoming (hồ sơ hoặc kết quả đang chuyển đến đơn vị tôi); "
            "awaiting_obligations (chờ nghĩa vụ tài chính); to_send_back (kết quả chờ chuyển "
            "về nơi tiếp nhận); asked (đơn vị tôi được xin ý kiến hoặc xác định nghĩa vụ tài "
            "chính, chưa trả lời). Hồ sơ chờ nghĩa vụ tài chính không tính thời gian nên không "
            "đến hạn, không quá hạn."
        ),
    )


class UserRef(Schema):
    id: int
    username: str
    full_name: str


class WorklistItemOut(Schema):
    id: int
    code: str
    procedure: ProcedureRef
    summary: str
    applicant_name: str
    state: str
    state_label: str
    national_status: int
    channel: int
    receiving_agency: str
    competent_agency: str
    assignee: UserRef | None
    submitted_at: datetime
    due_at: datetime | None

    @staticmethod
    def resolve_state_label(obj: Dossier) -> str:
        return str(State(obj.state).label)

    @staticmethod
    def resolve_receiving_agency(obj: Dossier) -> str:
        return obj.receiving_agency.name

    @staticmethod
    def resolve_competent_agency(obj: Dossier) -> str:
        return obj.competent_agency.name


def _tab_filter(tab: str, user: Any, now: datetime) -> Q:
    """The tabs are filters on what the officer may see (``visible_to``): whatever the tab, a
    dossier outside the officer's units never shows."""
    # The tax authority's time is not counted (Đồng Tháp Decision 138/2025/QĐ-UBND, Art. 5(3)): such
    # dossiers are not due.
    in_time = Q(state__in=OPEN_FOR_PROCESSING - {State.AWAITING_OBLIGATIONS})
    local = clock.localtime(now)
    end_of_today = datetime.combine(local.date(), time.min, tzinfo=local.tzinfo) + timedelta(1)
    soon = now + timedelta(hours=getattr(settings, "MOTCUA_DUE_SOON_HOURS", 24))
    units = [m.agency_id for m in memberships_of(user)]
    incoming = Transfer.objects.filter(
        dossier_id=OuterRef("pk"), to_agency_id__in=units, received_at__isnull=True
    )
    asked = SubStep.objects.filter(
        dossier_id=OuterRef("pk"), agency_id__in=units, answered_at__isnull=True
    )
    filters = {
        "all": Q(),
        "new": Q(state=State.SUBMITTED),
        "supplement_requested": Q(state=State.SUPPLEMENT_REQUESTED),
        "awaiting_payment": Q(state=State.AWAITING_PAYMENT),
        "to_process": Q(state=State.ACCEPTED),
        "mine": Q(state__in=OPEN_FOR_PROCESSING) & Q(assignee=user),
        "awaiting_approval": Q(state=State.AWAITING_APPROVAL),
        "to_return": Q(state=State.APPROVED),
        "due_today": in_time & Q(due_at__gte=now, due_at__lt=end_of_today),
        "due_soon": in_time & Q(due_at__gte=now, due_at__lte=soon),
        "overdue": in_time & Q(due_at__lt=now),
        "incoming": Q(Exists(incoming)),
        "awaiting_obligations": Q(state=State.AWAITING_OBLIGATIONS),
        "to_send_back": Q(holder_id__in=units, state__in=(State.APPROVED, State.STOPPED))
        & ~Q(receiving_agency_id__in=units),
        "asked": Q(Exists(asked)),
    }
    return filters[tab]


class WorklistCountsOut(Schema):
    counts: dict[str, int] = Field(description="số hồ sơ trong mỗi ngăn")


@router.get(
    "/worklist/counts",
    response=WorklistCountsOut,
    auth=officer_auth,
    url_name="worklist_counts",
)
def worklist_counts(request: HttpRequest, tabs: str = "") -> dict[str, dict[str, int]]:
    """How many dossiers each tab holds (the tab badges), in one query: a client looks here
    before it reads a tab's rows. ``tabs``: the tabs to count, comma-separated (all when
    empty)."""
    user = officer_of(request)
    known = list(get_args(WorklistTab))
    asked = [name.strip() for name in tabs.split(",") if name.strip()] or known
    for name in asked:
        if name not in known:
            raise InvalidInput(
                _("Không có ngăn “%(tab)s” trong danh sách việc."),
                field="tabs",
                code="unknown_tab",
                tab=name[:40],
            )
    now = clock.now()
    conditions = {name: _tab_filter(name, user, now) for name in asked}
    return {"counts": count_visible(user, conditions)}


@router.get("/worklist", response=list[WorklistItemOut], auth=officer_auth, url_name="worklist")
@paginate(Pages, page_size=50)
def worklist(request: HttpRequest, filters: Query[WorklistQuery]) -> QuerySet[Dossier]:
    """The officer's dossiers in one tab, soonest due first."""
    user = officer_of(request)
    condition = _tab_filter(filters.tab, user, clock.now())
    return (
        visible_to(user)
        .filter(condition)
        .select_related("procedure", "receiving_agency", "competent_agency", "assignee")
        .order_by(F("due_at").asc(nulls_last=True), "submitted_at", "pk")
    )


# --- officers: the desk and the actions --------------------------------------------------------


class OfficerEventOut(TimelineOut):
    actor: UserRef | None
    agency: str | None
    note: str
    data: dict[str, Any]

    @staticmethod
    def resolve_agency(obj: DossierEvent) -> str | None:
        return obj.agency.name if obj.agency is not None else None


class TransferOut(Schema):
    """A hand-over of the paper file (``file``) or of the result (``result``) between units, with
    its transfer slip (phiếu chuyển)."""

    id: int
    dossier_id: int
    purpose: str = Field(description="file: đến cơ quan giải quyết; result: về nơi tiếp nhận")
    slip_number: str = Field(description="số phiếu chuyển")
    from_agency: AgencyRef
    to_agency: AgencyRef
    means: str = Field(description="in_person, postal, courier hoặc electronic")
    means_label: str
    items: list[str] = Field(description="giấy tờ chuyển kèm")
    note: str
    sent_at: datetime
    sent_by: UserRef
    received_at: datetime | None = Field(description="null: đang chuyển")
    received_by: UserRef | None

    @staticmethod
    def resolve_means_label(obj: Transfer) -> str:
        return str(TransferMeans(obj.means).label)


class SubStepOut(Schema):
    """The tax step (``tax``: no deadline, the tax authority's time is not counted) or a
    consultation of another agency (``consultation``) with its deadline and answer."""

    id: int
    dossier_id: int
    kind: str = Field(description="tax hoặc consultation")
    agency: AgencyRef
    question: str
    requested_at: datetime
    requested_by: UserRef
    due_at: datetime | None = Field(description="hạn trả lời; null với bước thuế")
    answer: str
    answered_at: datetime | None
    answered_by: UserRef | None
    late: bool = Field(description="trả lời sau hạn, hoặc chưa trả lời mà đã quá hạn")

    @staticmethod
    def resolve_late(obj: SubStep) -> bool:
        if obj.due_at is None:
            return False
        return (obj.answered_at or clock.now()) > obj.due_at


class OfficerDossierOut(ApplicantDossierOut):
    summary: str
    assignee: UserRef | None
    processing_note: str
    holder: AgencyRef | None = Field(
        description="đơn vị đang giữ hồ sơ giấy; null khi đang chuyển hoặc chưa tiếp nhận"
    )
    first_appointment_at: datetime | None = Field(
        description="hẹn lần 1 (thủ tục hai lần hẹn): thời điểm gửi thông tin sang cơ quan thuế"
    )
    original_due_at: datetime | None = Field(description="hạn trả trước khi hẹn lại (Mẫu 04)")
    rescheduled_at: datetime | None = Field(description="thời điểm xin lỗi, hẹn lại (một lần)")
    transfers: list[TransferOut]
    substeps: list[SubStepOut]
    allowed_actions: list[str] = Field(description="thao tác cán bộ này được làm lúc này")
    events: list[OfficerEventOut]

    @staticmethod
    def resolve_allowed_actions(obj: Dossier, context: dict[str, Any]) -> list[str]:
        return allowed_actions(context["request"].auth, obj)

    @staticmethod
    def resolve_events(obj: Dossier) -> list[DossierEvent]:
        return list(obj.events.all())

    @staticmethod
    def resolve_transfers(obj: Dossier) -> list[Transfer]:
        return list(obj.transfers.all())

    @staticmethod
    def resolve_substeps(obj: Dossier) -> list[SubStep]:
        return list(obj.substeps.all())


def _officer_dossier(user: Any, dossier_id: int) -> Dossier:
    queryset = (
        _with_details(visible_to(user))
        .select_related("holder")
        .prefetch_related(
            Prefetch(
                "transfers",
                queryset=Transfer.objects.select_related(
                    "from_agency", "to_agency", "sent_by", "received_by"
                ).order_by("sent_at", "pk"),
            ),
            Prefetch(
                "substeps",
                queryset=SubStep.objects.select_related(
                    "agency", "requested_by", "answered_by"
                ).order_by("requested_at", "pk"),
            ),
        )
    )
    dossier = queryset.filter(pk=dossier_id).first()
    if dossier is None:
        raise _not_found()
    return dossier


@router.get(
    "/dossiers/{int:dossier_id}",
    response=OfficerDossierOut,
    auth=officer_auth,
    url_name="dossier",
)
def get_dossier(request: HttpRequest, dossier_id: int) -> Dossier:
    """The dossier desk: everything about the dossier and what this officer may do now."""
    return _officer_dossier(officer_of(request), dossier_id)


@router.get(
    "/dossiers/{int:dossier_id}/files/{int:file_id}",
    auth=officer_auth,
    url_name="dossier-file",
    response={200: bytes},
)
def download_file(request: HttpRequest, dossier_id: int, file_id: int) -> FileResponse:
    record = DossierFile.objects.filter(
        pk=file_id, dossier__in=visible_to(officer_of(request)).filter(pk=dossier_id)
    ).first()
    if record is None:
        raise NotFound(_("Không tìm thấy tệp."), code="file_not_found")
    return _file_response(record)


class ActionIn(Schema):
    """The fields each action reads; the others are ignored."""

    reason: str = Field(
        "",
        max_length=2000,
        description="refuse, request_supplement, send_back, stop, reschedule (lý do, lời xin lỗi)",
    )
    items: list[str] = Field(
        default_factory=list, max_length=50, description="request_supplement: giấy tờ cần bổ sung"
    )
    note: str = Field(
        "",
        max_length=4000,
        description=(
            "submit_for_approval (bắt buộc), approve, send_to_tax (nội dung Phiếu chuyển thông "
            "tin, bắt buộc), record_obligations_met (chứng từ nghĩa vụ tài chính, bắt buộc)"
        ),
    )
    assignee: int | None = Field(None, description="assign: id của chuyên viên")
    new_date: date | None = Field(
        None,
        description=(
            "reschedule: ngày hẹn trả mới (YYYY-MM-DD), ngày làm việc sau hạn hiện tại; chỉ một "
            "lần, chậm nhất 01 ngày làm việc trước hạn"
        ),
    )


ActionHandler = Callable[[int, Any, ActionIn], Dossier]


def _reschedule(dossier_id: int, actor: Any, body: ActionIn) -> Dossier:
    if body.new_date is None:
        raise InvalidInput(
            _("“%(name)s” là bắt buộc."), field="new_date", code="required", name="new_date"
        )
    return services.reschedule(dossier_id, actor=actor, new_date=body.new_date, reason=body.reason)


def _request_supplement(dossier_id: int, actor: Any, body: ActionIn) -> Dossier:
    return services.request_supplement(
        dossier_id, actor=actor, items=body.items, reason=body.reason
    )


ACTIONS: dict[str, ActionHandler] = {
    "accept": lambda pk, actor, body: services.accept(pk, actor=actor),
    "refuse": lambda pk, actor, body: services.refuse(pk, actor=actor, reason=body.reason),
    "request_supplement": _request_supplement,
    "request_supplement_after_appraisal": _request_supplement,
    "start_processing": lambda pk, actor, body: services.start_processing(pk, actor=actor),
    "assign": lambda pk, actor, body: services.assign(
        pk, actor=actor, assignee_id=body.assignee or 0
    ),
    "submit_for_approval": lambda pk, actor, body: services.submit_for_approval(
        pk, actor=actor, note=body.note
    ),
    "send_back": lambda pk, actor, body: services.send_back(pk, actor=actor, reason=body.reason),
    "approve": lambda pk, actor, body: services.approve(pk, actor=actor, note=body.note),
    "stop": lambda pk, actor, body: services.stop(pk, actor=actor, reason=body.reason),
    "return_result": lambda pk, actor, body: services.return_result(pk, actor=actor),
    "record_cash_payment": lambda pk, actor, body: services.record_cash_payment(pk, actor=actor),
    "send_to_tax": lambda pk, actor, body: services.send_to_tax(pk, actor=actor, note=body.note),
    "record_obligations_met": lambda pk, actor, body: services.record_obligations_met(
        pk, actor=actor, note=body.note
    ),
    "reschedule": _reschedule,
}


@router.post(
    "/dossiers/{int:dossier_id}/actions/{action}",
    response=OfficerDossierOut,
    auth=officer_auth,
    url_name="dossier-action",
)
def act(
    request: HttpRequest, dossier_id: int, action: str, payload: ActionIn | None = None
) -> Dossier:
    """Take one action of the lifecycle on the dossier (the desk's buttons: see
    ``allowed_actions``). 404 outside the officer's units, 403 ``wrong_role`` without the role,
    409 when the dossier's state does not allow it, 422 when a required field is missing.

    Land dossiers: ``send_to_tax`` (``note``) sends the tax-information slip and closes the
    first appointment (national status 6; the tax authority's time is not counted);
    ``record_obligations_met`` (``note``) starts the second appointment; ``reschedule``
    (``new_date``, ``reason``) moves the due date once with an apology (Mẫu 04): 409
    ``already_rescheduled``, ``reschedule_too_late``, ``reschedule_not_applicable``, 422 on
    ``new_date``."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise NotFound(
            _("Không có thao tác “%(action)s”."),
            field="action",
            code="unknown_action",
            action=action,
        )
    handler(dossier_id, officer_of(request), payload or ActionIn.model_validate({}))
    return _officer_dossier(officer_of(request), dossier_id)


class CounterIn(Schema):
    procedure: str = Field(..., max_length=30)
    form: dict[str, Any]
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    channel: Literal[1, 3] = Field(1, description="1 trực tiếp tại quầy, 3 qua bưu chính công ích")


@router.post(
    "/dossiers/counter",
    response={201: OfficerDossierOut},
    auth=officer_auth,
    url_name="dossier-counter",
)
def register_at_counter(request: HttpRequest, payload: CounterIn) -> Status[Dossier]:
    """A receiving officer registers a dossier brought to the counter; it is received at once
    (or held for the fee, which can then be taken in cash)."""
    uploads = _decode_attachments(payload.attachments)
    with _api_field_names(form=True):
        dossier = services.register_at_counter(
            actor=officer_of(request),
            procedure_code=payload.procedure,
            form_data=payload.form,
            uploads=uploads,
            channel=payload.channel,
        )
    return Status(201, _officer_dossier(officer_of(request), dossier.pk))


# --- officers: custody of the paper file ---------------------------------------------------------


class TransferIn(Schema):
    means: Literal["in_person", "postal", "courier", "electronic"] = Field(
        ...,
        description=(
            "in_person (giao trực tiếp), postal (bưu chính công ích), courier (chuyển phát), "
            "electronic (điện tử)"
        ),
    )
    items: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="giấy tờ chuyển kèm; để trống thì phiếu liệt kê thành phần hồ sơ",
    )
    note: str = Field("", max_length=2000)


@router.post(
    "/dossiers/{int:dossier_id}/transfers",
    response={201: TransferOut},
    auth=officer_auth,
    url_name="dossier-transfer",
)
def send_file(request: HttpRequest, dossier_id: int, payload: TransferIn) -> Status[Transfer]:
    """The unit holding the paper file hands it on, with a transfer slip: the receiving center to
    the competent unit while the dossier is processed, the competent unit back to the center once
    there is a result (approved or stopped). 403 ``not_holder`` for any other unit, 409
    ``transfer_not_due`` when no hand-over is due."""
    transfer = services.send_file(
        dossier_id,
        actor=officer_of(request),
        means=payload.means,
        items=payload.items,
        note=payload.note,
    )
    return Status(201, _transfer(transfer.pk))


@router.post(
    "/transfers/{int:transfer_id}/receive",
    response=TransferOut,
    auth=officer_auth,
    url_name="transfer-receive",
)
def receive_file(request: HttpRequest, transfer_id: int) -> Transfer:
    """An officer of the recipient unit confirms the file (or the result) has arrived: that unit
    now holds it. 404 for anyone else, 409 ``already_received``."""
    if not Transfer.objects.filter(pk=transfer_id).exists():
        raise _not_found()
    services.receive_file(transfer_id, actor=officer_of(request))
    return _transfer(transfer_id)


def _transfer(transfer_id: int) -> Transfer:
    return Transfer.objects.select_related(
        "from_agency", "to_agency", "sent_by", "received_by"
    ).get(pk=transfer_id)


# --- officers: consultations ---------------------------------------------------------------------


class ConsultationIn(Schema):
    agency: int | str = Field(..., description="cơ quan được lấy ý kiến: id hoặc slug")
    question: str = Field(..., max_length=4000, description="nội dung xin ý kiến")
    days: int = Field(..., description="thời hạn trả lời, 1–30 ngày làm việc")


class AnswerIn(Schema):
    answer: str = Field(..., max_length=4000)


@router.post(
    "/dossiers/{int:dossier_id}/consultations",
    response={201: SubStepOut},
    auth=officer_auth,
    url_name="dossier-consultation",
)
def request_consultation(
    request: HttpRequest, dossier_id: int, payload: ConsultationIn
) -> Status[SubStep]:
    """The competent unit's specialist asks another agency of the province for its opinion,
    with a deadline in working days (Decree 61/2018 Art. 19). The consulted agency's officers
    then see the dossier. 403 ``wrong_role``, 422 on ``agency``, ``question`` or ``days``."""
    step = services.request_consultation(
        dossier_id,
        actor=officer_of(request),
        agency_id=_agency_id(payload.agency),
        question=payload.question,
        days=payload.days,
    )
    return Status(201, _substep(step.pk))


@router.post(
    "/consultations/{int:substep_id}/answer",
    response=SubStepOut,
    auth=officer_auth,
    url_name="consultation-answer",
)
def answer_consultation(request: HttpRequest, substep_id: int, payload: AnswerIn) -> SubStep:
    """An officer of the consulted agency answers; ``late`` says whether after the deadline.
    404 for anyone else, 409 ``already_answered``."""
    services.answer_consultation(substep_id, actor=officer_of(request), answer=payload.answer)
    return _substep(substep_id)


def _agency_id(value: int | str) -> int:
    """An agency of the province that may give an opinion (service centers receive, not
    decide), by id or slug."""
    lookup = {"pk": int(value)} if str(value).isdigit() else {"slug": str(value)}
    agencies = Agency.objects.filter(province_id=settings.MOTCUA_PROVINCE_CODE).exclude(
        kind__in=SERVICE_CENTER_KINDS
    )
    agency_id = agencies.filter(**lookup).values_list("pk", flat=True).first()
    if agency_id is None:
        raise InvalidInput(
            _("Không có cơ quan nào như đã chọn."), field="agency", code="unknown_agency"
        )
    return agency_id


def _substep(substep_id: int) -> SubStep:
    return SubStep.objects.select_related("agency", "requested_by", "answered_by").get(
        pk=substep_id
    )
