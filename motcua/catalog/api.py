"""API of the procedure catalog, and of the legal clock applied to it (``/deadlines/due``)."""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Count, Window
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from motcua.catalog.models import FeeItem, Procedure, ProcedureStep
from motcua.catalog.selectors import (
    fee_items_in_force,
    get_current_procedure,
    get_deadline_rule,
    list_current_procedures,
)
from motcua.core import clock
from motcua.core.errors import InvalidInput
from motcua.core.pagination import MAX_PAGE
from motcua.deadlines.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_DAYS,
    Deadline,
    OutsideCalendar,
    default_calendar,
    half_days,
)

router = Router(tags=["Thủ tục"])


def _english() -> bool:
    return translation.get_language() == "en"


def _localised(obj: Any, attribute: str) -> str:
    return str(getattr(obj, f"{attribute}_en" if _english() else f"{attribute}_vi"))


# --- procedures --------------------------------------------------------------------------------


class ProcedureOut(Schema):
    code: str
    version: int
    name: str
    field: str
    level: str
    competent_kind: str
    boundaryless: bool
    deadline_kind: str = Field(description="same_day hoặc working_days")
    statutory_days: float
    online_level: str

    @staticmethod
    def resolve_field(obj: Procedure) -> str:
        return obj.field_name


class StepOut(Schema):
    order: int
    key: str
    name: str
    role: str
    unit: str = Field(description="receiving (nơi tiếp nhận) hoặc competent (cơ quan giải quyết)")
    budget_days: float

    @staticmethod
    def resolve_name(obj: ProcedureStep) -> str:
        return _localised(obj, "name")


class DocumentOut(Schema):
    order: int
    key: str
    name: str
    form_number: str
    quantity: str
    required: bool
    upload: str = Field(description="required, optional hoặc none")


class FeeOut(Schema):
    key: str
    name: str
    kind: str
    amount: int = Field(description="VND cho mỗi đơn vị")
    per: str = Field(description="trường của biểu mẫu nhân với số tiền; rỗng: một lần")
    valid_from: date
    valid_to: date | None
    is_example: bool
    legal_basis: str

    @staticmethod
    def resolve_name(obj: FeeItem) -> str:
        return _localised(obj, "name")

    @staticmethod
    def resolve_per(obj: FeeItem) -> str:
        return obj.quantity_field


class ProcedureDetailOut(ProcedureOut):
    legal_basis: str
    steps: list[StepOut]
    documents: list[DocumentOut]
    form_schema: list[dict[str, Any]]
    fees: list[FeeOut] = Field(description="các khoản phí, lệ phí đang có hiệu lực hôm nay")

    @staticmethod
    def resolve_steps(obj: Procedure) -> list[ProcedureStep]:
        return list(obj.steps.all())

    @staticmethod
    def resolve_documents(obj: Procedure) -> list[Any]:
        return list(obj.documents.all())

    @staticmethod
    def resolve_fees(obj: Procedure) -> list[FeeItem]:
        today = clock.localtime(clock.now()).date()
        return fee_items_in_force(obj, today, settings.MOTCUA_PROVINCE_CODE)


PROCEDURES_PAGE_SIZE = 50  # as the other lists of the API (motcua.core.pagination)


class ProcedurePages(Schema):
    """The page parameters of the other lists, with the same bounds."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int | None = Field(None, ge=1, le=1000)


@router.get("/procedures", response=list[ProcedureOut], url_name="procedures")
def list_procedures(
    request: HttpRequest, response: HttpResponse, pages: Query[ProcedurePages]
) -> Any:
    """The procedures in force (current versions), by code, 50 a page (``page``, ``page_size``
    as on the other lists). The body stays a plain list, as clients of this endpoint read it;
    the number of procedures in force is in the ``X-Total-Count`` header."""
    size = pages.page_size or PROCEDURES_PAGE_SIZE
    start = (pages.page - 1) * size
    procedures = list_current_procedures()
    # One query: the page, each row carrying the count of all rows; past the end, a count.
    rows = list(procedures.annotate(in_force=Window(Count("pk")))[start : start + size])
    response["X-Total-Count"] = str(rows[0].in_force if rows else procedures.count())
    return rows


@router.get("/procedures/{code}", response=ProcedureDetailOut, url_name="procedure")
def get_procedure(request: HttpRequest, code: str) -> Procedure:
    """One procedure with its steps, required documents, e-form schema and fees in force."""
    return get_current_procedure(code)


# --- deadlines ---------------------------------------------------------------------------------


class DueQuery(Schema):
    received: str | None = Field(
        None, description="thời điểm tiếp nhận, ISO 8601; không ghi múi giờ = giờ Việt Nam"
    )
    days: str | None = Field(None, description="số ngày làm việc, bội số của 0,5")
    procedure: str | None = Field(None, description="mã thủ tục, vd. 2.000635")


class DeadlineOut(Schema):
    received_at: str
    effective_received_at: str
    counting_starts: str
    due_at: str
    explanation: list[dict[str, Any]] = Field(
        description="ghi chú về thời điểm tiếp nhận, rồi từng ngày nghỉ không tính, theo ngày"
    )


@router.get("/deadlines/due", response=DeadlineOut, url_name="deadline-due")
def due(request: HttpRequest, query: Query[DueQuery]) -> dict[str, Any]:
    """The deadline for a receipt time and a number of working days or a procedure: the same
    answer as ``motcua due --json``."""
    received = _parse_received(query.received)
    if (query.days is None) == (query.procedure is None):
        raise InvalidInput(
            _("Cần đúng một trong hai tham số “days” hoặc “procedure”."),
            field="days",
            code="days_or_procedure",
        )
    try:
        if query.days is not None:
            return default_calendar().due_at(received, _parse_days(query.days)).as_dict()
        return _procedure_deadline(query.procedure or "", received).as_dict()
    except OutsideCalendar as error:
        raise _outside_calendar(error) from None


def _outside_calendar(error: OutsideCalendar) -> InvalidInput:
    if error.what == "received_at":
        return InvalidInput(
            _("“received” phải trong các năm %(first)s–%(last)s, những năm có lịch ngày nghỉ."),
            field="received",
            code="date_range",
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return InvalidInput(
        _("Hạn giải quyết rơi sau năm %(last)s, năm cuối cùng có lịch ngày nghỉ."),
        field="days",
        code="date_range",
        last=LAST_YEAR,
    )


def _procedure_deadline(code: str, received: datetime) -> Deadline:
    kind, days = get_deadline_rule(code)
    if kind == "same_day" or days is None:
        return default_calendar().same_day_due(received)
    return default_calendar().due_at(received, days)


def _parse_received(value: str | None) -> datetime:
    if value is None:
        return clock.now()
    # An unencoded "+07:00" in a query string arrives as " 07:00".
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip())
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            _("“received” phải là thời điểm ISO 8601, vd. 2026-02-13T16:45."),
            field="received",
            code="datetime_format",
        ) from None


def _parse_days(value: str) -> Decimal:
    try:
        days = Decimal(value.strip().replace(",", "."))  # Vietnamese writes 2,5
        half_days(days)
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _("“days” phải là bội số của 0,5, từ 0 đến %(max)s (vd. 3 hoặc 2,5)."),
            field="days",
            code="days_format",
            max=MAX_DAYS,
        ) from None
    return days
