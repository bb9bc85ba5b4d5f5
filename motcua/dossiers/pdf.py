"""PDF documents of a dossier: the one-stop forms, the transfer slip and the civil-status copy.

The forms of Circular 01/2018/TT-VPCP Art. 9: Mẫu 01 receipt-and-appointment slip, Mẫu 02
request for supplement, Mẫu 03 refusal, Mẫu 04 apology with a new appointment, Mẫu 05
processing control sheet (A5 each) and Mẫu 06 dossier register (A4 landscape); beside them the
transfer slip that travels with a paper dossier between units (Decree 61/2018/NĐ-CP Arts. 18–19)
and the copy of a civil-status extract (A4).

The inputs are plain frozen dataclasses, so rendering needs neither the database nor the models:
a service builds the dataclass from a dossier, calls a ``render_*`` function and stores the bytes.
Templates live in ``dossiers/pdf/`` and are turned into PDF by WeasyPrint without any network or
disk access: the only resources a template may embed are ``data:`` URIs (the QR codes), and fonts
are looked up by family name (DejaVu Serif / DejaVu Sans) through fontconfig. The font
configuration and each template's parsed style sheet are kept per thread (see ``_render_pdf``).

Every ``render_*`` function takes an optional :class:`PdfSigner`. Circular 01/2018/TT-VPCP
Art. 10 requires the one-stop forms to be digitally signed; the e-office app will supply a
pyHanko-backed signer, until then :class:`NoSigner` returns the bytes unchanged.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import PIL.Image
import segno
import weasyprint
from django.db import models
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

RECEIPT_SLIP_TEMPLATE = "dossiers/pdf/receipt_slip.html"
CIVIL_STATUS_COPY_TEMPLATE = "dossiers/pdf/civil_status_copy.html"
SUPPLEMENT_REQUEST_TEMPLATE = "dossiers/pdf/supplement_request.html"
REFUSAL_TEMPLATE = "dossiers/pdf/refusal.html"
APOLOGY_TEMPLATE = "dossiers/pdf/apology.html"
RESULT_NOTICE_TEMPLATE = "dossiers/pdf/result_notice.html"
CONTROL_SHEET_TEMPLATE = "dossiers/pdf/control_sheet.html"
DOSSIER_REGISTER_TEMPLATE = "dossiers/pdf/dossier_register.html"
TRANSFER_SLIP_TEMPLATE = "dossiers/pdf/transfer_slip.html"

# A legal form is issued in Vietnamese whatever language the officer's screen uses.
DOCUMENT_LANGUAGE = "vi"


@dataclass(frozen=True, kw_only=True)
class ReceiptSlip:
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu số 01, Circular 01/2018/TT-VPCP), A5.

    ``received_at`` and ``due_at`` must be aware; they are printed in Vietnam time.
    ``applicant_id_masked`` is printed as given: the caller masks the ID number.
    """

    dossier_code: str
    receiving_agency: str
    parent_agency: str
    place_name: str
    applicant_name: str
    applicant_id_masked: str
    applicant_phone: str
    applicant_address: str
    procedure_code: str
    procedure_name: str
    documents: list[tuple[str, str]]
    received_at: datetime
    due_at: datetime
    return_place: str
    officer_name: str
    status_url: str
    fee_total: int
    fee_paid: bool
    channel_label: str


@dataclass(frozen=True, kw_only=True)
class CivilStatusCopyResult:
    """Bản sao trích lục hộ tịch: a copy of the extract of one registered civil-status event, A4.

    Issued from the civil-status database under Law on Civil Status 60/2014/QH13 Arts. 63–64.
    One instance is one physical copy: ``copy_number`` of ``copies_total``.

    ``event_label`` is the event in lower case as it follows "Trích lục" ("khai sinh",
    "kết hôn", "khai tử"); ``particulars`` are the (label, value) lines of the registered
    event in print order; ``registered_on`` is the date of the original registration;
    ``issued_at`` must be aware. ``parent_agency`` may be empty when the issuing agency is
    printed alone (a commune People's Committee).
    """

    dossier_code: str
    issuing_agency: str
    parent_agency: str
    place_name: str
    document_number: str
    event_label: str
    person_name: str
    particulars: list[tuple[str, str]]
    registration_number: str
    registration_book: str
    registered_on: date
    registering_authority: str
    requester_name: str
    copies_total: int
    copy_number: int
    issued_at: datetime
    signer_capacity: str
    signer_title: str
    signer_name: str
    verify_url: str

    def __post_init__(self) -> None:
        if not 1 <= self.copy_number <= self.copies_total:
            raise ValueError(
                f"copy_number {self.copy_number} is outside 1..{self.copies_total}",
            )


@dataclass(frozen=True, kw_only=True)
class SupplementRequestSlip:
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu số 02, Circular 01/2018/TT-VPCP), A5.

    Issued at reception by the one-stop unit (Decree 61/2018/NĐ-CP Art. 17) or after appraisal
    by the competent agency through it (Art. 19(4)); ``issuing_agency`` is whichever issues it.
    ``items`` is the complete list of what to supply or correct, printed numbered: the guidance
    is given once and completely (Art. 15(3)). ``requested_at`` must be aware.
    ``contact_phone`` may be empty; ``status_url`` is printed as a QR code.
    """

    dossier_code: str
    issuing_agency: str
    parent_agency: str
    place_name: str
    applicant_name: str
    applicant_address: str
    applicant_phone: str
    procedure_code: str
    procedure_name: str
    requested_at: datetime
    items: list[str]
    reason: str
    contact_phone: str
    officer_name: str
    officer_title: str
    status_url: str

    def __post_init__(self) -> None:
        _require_lines("items", self.items)
        _require_text("reason", self.reason)


@dataclass(frozen=True, kw_only=True)
class RefusalSlip:
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu số 03, Circular 01/2018/TT-VPCP), A5.

    ``dossier_code`` is empty when the dossier is refused before it was registered (no code
    issued yet); the code line is then left out. ``reasons`` are printed numbered; ``refused_at``
    must be aware.
    """

    dossier_code: str
    issuing_agency: str
    parent_agency: str
    place_name: str
    applicant_name: str
    applicant_address: str
    applicant_phone: str
    procedure_code: str
    procedure_name: str
    reasons: list[str]
    refused_at: datetime
    officer_name: str
    officer_title: str

    def __post_init__(self) -> None:
        _require_lines("reasons", self.reasons)


@dataclass(frozen=True, kw_only=True)
class ApologySlip:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu số 04, Circular 01/2018/TT-VPCP), A5.

    Sent by the competent agency at the latest one day before ``original_due_at`` when the
    result will be late; the appointment may be moved once only (Decree 61/2018/NĐ-CP
    Art. 19). All times must be aware and ``new_due_at`` must lie after ``original_due_at``.
    ``signer_capacity`` ("KT. CHỦ TỊCH") and ``signer_title`` may be empty.
    """

    dossier_code: str
    issuing_agency: str
    parent_agency: str
    place_name: str
    document_number: str
    applicant_name: str
    applicant_address: str
    procedure_code: str
    procedure_name: str
    received_at: datetime
    original_due_at: datetime
    reason: str
    new_due_at: datetime
    issued_at: datetime
    signer_capacity: str
    signer_title: str
    signer_name: str
    status_url: str

    def __post_init__(self) -> None:
        _require_text("reason", self.reason)
        if local_time(self.new_due_at) <= local_time(self.original_due_at):
            raise ValueError("new_due_at must lie after original_due_at")


class StepOutcome(models.TextChoices):
    """How a step of the control sheet ended against its own deadline."""

    EARLY = "early", gettext_lazy("Trước hạn")
    ON_TIME = "on_time", gettext_lazy("Đúng hạn")
    LATE = "late", gettext_lazy("Quá hạn")

    @classmethod
    def of(cls, due_by: datetime, done_at: datetime) -> StepOutcome:
        """Late after ``due_by``; early when done on a Vietnam calendar day before the due day.

        The same rule as Decision 766/QĐ-TTg applies to a whole dossier: on time means ending
        no later than the deadline.
        """
        if local_time(done_at) > local_time(due_by):
            return cls.LATE
        if local_time(done_at).date() < local_time(due_by).date():
            return cls.EARLY
        return cls.ON_TIME


@dataclass(frozen=True, kw_only=True)
class ControlSheetStep:
    """One hand-over on the control sheet: who gave the dossier to whom, when, and how it ended.

    ``due_by`` and ``done_at`` are None while unknown (a step still open); ``outcome`` defaults
    to :meth:`StepOutcome.of` when both are known. Every given time must be aware.
    """

    from_unit: str
    from_person: str
    to_unit: str
    to_person: str
    handed_over_at: datetime
    due_by: datetime | None
    done_at: datetime | None
    outcome: StepOutcome | None = None
    note: str = ""

    def resolved_outcome(self) -> StepOutcome | None:
        if self.outcome is not None:
            return StepOutcome(self.outcome)
        if self.due_by is None or self.done_at is None:
            return None
        return StepOutcome.of(self.due_by, self.done_at)


@dataclass(frozen=True, kw_only=True)
class ControlSheet:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu số 05, Circular 01/2018/TT-VPCP), A5.

    Printed by the one-stop unit ``issuing_agency``; it travels with the paper dossier and
    records every hand-over in ``steps`` (Decree 61/2018/NĐ-CP Art. 19). It runs to as many
    pages as the steps need, with the table header repeated. ``coordinating_agencies`` may be
    empty. ``received_at``, ``due_at`` and ``printed_at`` must be aware.
    """

    dossier_code: str
    issuing_agency: str
    parent_agency: str
    place_name: str
    applicant_name: str
    applicant_phone: str
    applicant_address: str
    procedure_code: str
    procedure_name: str
    competent_agency: str
    coordinating_agencies: list[str]
    received_at: datetime
    due_at: datetime
    steps: list[ControlSheetStep]
    printed_at: datetime


@dataclass(frozen=True, kw_only=True)
class RegisterEntry:
    """One dossier in the register. Times not reached yet are None; given ones must be aware.

    ``transferred_at`` is when the dossier was passed to (received by) the competent unit,
    ``result_at`` when the result came back to the one-stop unit, ``returned_at`` when it was
    handed to the applicant. ``note`` carries the status or any remark.
    """

    dossier_code: str
    procedure_name: str
    applicant_name: str
    received_at: datetime
    due_at: datetime | None
    transferred_at: datetime | None
    result_at: datetime | None
    returned_at: datetime | None
    note: str


@dataclass(frozen=True, kw_only=True)
class DossierRegister:
    """Sổ theo dõi hồ sơ (Mẫu số 06, Circular 01/2018/TT-VPCP) of one unit over a period, A4.

    Printed landscape; ``entries`` are numbered from 1 in the given order, the header row is
    repeated on every page and the pages are numbered. ``period_start`` and ``period_end`` are
    both included; ``printed_at`` must be aware.
    """

    unit_name: str
    parent_agency: str
    place_name: str
    period_start: date
    period_end: date
    entries: Sequence[RegisterEntry]
    printed_at: datetime

    def __post_init__(self) -> None:
        if self.period_start > self.period_end:
            raise ValueError(
                f"period_start {self.period_start.isoformat()} lies after "
                f"period_end {self.period_end.isoformat()}"
            )


class TransferMeans(models.TextChoices):
    """How a dossier travels from one unit to another (Decree 61/2018/NĐ-CP Art. 18)."""

    IN_PERSON = "in_person", gettext_lazy("Giao trực tiếp")
    POSTAL = "postal", gettext_lazy("Bưu chính công ích")
    COURIER = "courier", gettext_lazy("Dịch vụ chuyển phát")
    ELECTRONIC = "electronic", gettext_lazy("Điện tử")


@dataclass(frozen=True, kw_only=True)
class TransferSlip:
    """Phiếu chuyển hồ sơ: one hand-over of a dossier's paper or electronic file between units, A5.

    Decree 61/2018/NĐ-CP Art. 18 (to the competent authority) and Art. 19 (inter-agency
    flow, where the slip states the task and deadline of the receiving agency). ``task`` may be
    empty and ``due_at`` None; ``to_officer`` may be empty (the receiver signs by hand).
    ``documents`` are (name, form or quantity) pairs. ``sent_at`` and a given ``due_at`` must be
    aware; ``means`` must be one of :class:`TransferMeans`.
    """

    slip_number: str
    dossier_code: str
    parent_agency: str
    from_unit: str
    from_officer: str
    to_unit: str
    to_officer: str
    place_name: str
    applicant_name: str
    procedure_code: str
    procedure_name: str
    means: TransferMeans
    sent_at: datetime
    task: str
    due_at: datetime | None
    documents: list[tuple[str, str]]

    def __post_init__(self) -> None:
        if self.means not in TransferMeans.values:
            choices = ", ".join(TransferMeans.values)
            raise ValueError(f"means {self.means!r} is not one of {choices}")


@dataclass(frozen=True, kw_only=True)
class ResultNotice:
    """Thông báo kết quả giải quyết: the result of a dossier whose legal result (a land-use
    certificate, a decision) is a paper document handed over at the place of receipt, A5.

    ``particulars`` are (label, value) lines describing the object (plot, certificate);
    ``issued_at`` must be aware.
    """

    dossier_code: str
    issuing_agency: str
    parent_agency: str
    place_name: str
    document_number: str
    applicant_name: str
    procedure_code: str
    procedure_name: str
    particulars: list[tuple[str, str]]
    decision: str
    return_place: str
    issued_at: datetime
    signer_name: str
    status_url: str

    def __post_init__(self) -> None:
        _require_text("decision", self.decision)


class PdfSigner(Protocol):
    """Signs a finished PDF and returns the signed bytes (an incremental update, PAdES)."""

    def sign(self, pdf: bytes, *, reason: str) -> bytes: ...


class NoSigner:
    """A signer that signs nothing: the PDF is returned unchanged."""

    def sign(self, pdf: bytes, *, reason: str) -> bytes:
        return pdf


def render_receipt_slip(data: ReceiptSlip, *, signer: PdfSigner | None = None) -> bytes:
    """Render the receipt-and-appointment slip as an A5 PDF, signed by ``signer`` if given.

    Raises ValueError if ``received_at`` or ``due_at`` is naive.
    """
    context = {
        "slip": data,
        "issuer": data.receiving_agency,
        "parent_agency": data.parent_agency,
        "place_date": format_place_date(data.place_name, local_time(data.received_at).date()),
        "received_at_text": format_vn_datetime(data.received_at),
        "due_at_text": format_vn_datetime(data.due_at),
        "fee_text": format_vnd(data.fee_total) if data.fee_total else "",
        "qr_data_uri": qr_data_uri(data.status_url),
    }

    def reason() -> str:
        return _("Giấy tiếp nhận hồ sơ và hẹn trả kết quả %(code)s") % {"code": data.dossier_code}

    return _produce(RECEIPT_SLIP_TEMPLATE, context, reason, signer)


def render_civil_status_copy(
    data: CivilStatusCopyResult, *, signer: PdfSigner | None = None
) -> bytes:
    """Render one copy of a civil-status extract as an A4 PDF, signed by ``signer`` if given.

    Raises ValueError if ``issued_at`` is naive.
    """
    context = {
        "copy": data,
        "issuer": data.issuing_agency,
        "parent_agency": data.parent_agency,
        "place_date": format_place_date(data.place_name, local_time(data.issued_at).date()),
        "registered_on_text": format_vn_date(data.registered_on),
        "qr_data_uri": qr_data_uri(data.verify_url),
    }

    def reason() -> str:
        return _("Bản sao trích lục %(event)s, hồ sơ %(code)s") % {
            "event": data.event_label,
            "code": data.dossier_code,
        }

    return _produce(CIVIL_STATUS_COPY_TEMPLATE, context, reason, signer)


def render_supplement_request_slip(
    data: SupplementRequestSlip, *, signer: PdfSigner | None = None
) -> bytes:
    """Render the request for supplement (Mẫu 02) as an A5 PDF, signed by ``signer`` if given.

    Raises ValueError if ``requested_at`` is naive.
    """
    context = {
        "slip": data,
        "issuer": data.issuing_agency,
        "parent_agency": data.parent_agency,
        "place_date": format_place_date(data.place_name, local_time(data.requested_at).date()),
        "requested_at_text": format_vn_datetime(data.requested_at),
        "qr_data_uri": qr_data_uri(data.status_url),
    }

    def reason() -> str:
        return _("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ %(code)s") % {"code": data.dossier_code}

    return _produce(SUPPLEMENT_REQUEST_TEMPLATE, context, reason, signer)


def render_refusal_slip(data: RefusalSlip, *, signer: PdfSigner | None = None) -> bytes:
    """Render the refusal (Mẫu 03) as an A5 PDF, signed by ``signer`` if given.

    Raises ValueError if ``refused_at`` is naive.
    """
    context = {
        "slip": data,
        "issuer": data.issuing_agency,
        "parent_agency": data.parent_agency,
        "place_date": format_place_date(data.place_name, local_time(data.refused_at).date()),
        "refused_at_text": format_vn_datetime(data.refused_at),
    }

    def reason() -> str:
        if data.dossier_code:
            return _("Phiếu từ chối tiếp nhận giải quyết hồ sơ %(code)s") % {
                "code": data.dossier_code
            }
        else:
            return _("Phiếu từ chối tiếp nhận giải quyết hồ sơ")

    return _produce(REFUSAL_TEMPLATE, context, reason, signer)


def render_apology_slip(data: ApologySlip, *, signer: PdfSigner | None = None) -> bytes:
    """Render the apology with the new appointment (Mẫu 04) as an A5 PDF, signed if asked.

    Raises ValueError if a time is naive.
    """
    context = {
        "slip": data,
        "issuer": data.issuing_agency,
        "parent_agency": data.parent_agency,
        "place_date": format_place_date(data.place_name, local_time(data.issued_at).date()),
        "received_on_text": format_vn_date(local_time(data.received_at).date()),
        "original_due_text": format_vn_datetime(data.original_due_at),
        "new_due_text": format_vn_datetime(data.new_due_at),
        "qr_data_uri": qr_data_uri(data.status_url),
    }

    def reason() -> str:
        return _("Phiếu xin lỗi và hẹn lại ngày trả kết quả %(code)s") % {"code": data.dossier_code}

    return _produce(APOLOGY_TEMPLATE, context, reason, signer)


def render_result_notice(data: ResultNotice, *, signer: PdfSigner | None = None) -> bytes:
    """Render the notice of the result as an A5 PDF, signed if asked."""
    context = {
        "slip": data,
        "issuer": data.issuing_agency,
        "parent_agency": data.parent_agency,
        "place_date": format_place_date(data.place_name, local_time(data.issued_at).date()),
        "qr_data_uri": qr_data_uri(data.status_url),
    }

    def reason() -> str:
        return _("Thông báo kết quả giải quyết hồ sơ %(code)s") % {"code": data.dossier_code}

    return _produce(RESULT_NOTICE_TEMPLATE, context, reason, signer)


def render_control_sheet(data: ControlSheet, *, signer: PdfSigner | None = None) -> bytes:
    """Render the processing control sheet (Mẫu 05) as an A5 PDF of as many pages as it needs.

    Raises ValueError if a time is naive.
    """
    steps = [
        {
            "step": step,
            "handed_over": _table_datetime(step.handed_over_at),
            "due_by": _table_datetime(step.due_by),
            "done_at": _table_datetime(step.done_at),
            "outcome": step.resolved_outcome(),
        }
        for step in data.steps
    ]
    context = {
        "sheet": data,
        "issuer": data.issuing_agency,
        "parent_agency": data.parent_agency,
        "place_date": format_place_date(data.place_name, local_time(data.printed_at).date()),
        "received_at_text": format_vn_datetime(data.received_at),
        "due_at_text": format_vn_datetime(data.due_at),
        "steps": steps,
    }

    def reason() -> str:
        return _("Phiếu kiểm soát quá trình giải quyết hồ sơ %(code)s") % {
            "code": data.dossier_code
        }

    return _produce(CONTROL_SHEET_TEMPLATE, context, reason, signer)


def render_dossier_register(data: DossierRegister, *, signer: PdfSigner | None = None) -> bytes:
    """Render the dossier register (Mẫu 06) as an A4 landscape PDF, signed if asked.

    Raises ValueError if a time is naive.
    """
    entries = [
        {
            "entry": entry,
            "received": _table_datetime(entry.received_at),
            "due": _table_datetime(entry.due_at),
            "transferred": _table_datetime(entry.transferred_at),
            "result": _table_datetime(entry.result_at),
            "returned": _table_datetime(entry.returned_at),
        }
        for entry in data.entries
    ]
    with translation.override(DOCUMENT_LANGUAGE):
        period_text = _("Từ %(start)s đến %(end)s") % {
            "start": format_vn_date(data.period_start),
            "end": format_vn_date(data.period_end),
        }
    context = {
        "register": data,
        "issuer": data.unit_name,
        "parent_agency": data.parent_agency,
        "place_date": format_place_date(data.place_name, local_time(data.printed_at).date()),
        "period_text": period_text,
        "period_short": (
            f"{format_vn_numeric_date(data.period_start)} – "
            f"{format_vn_numeric_date(data.period_end)}"
        ),
        "entries": entries,
    }

    def reason() -> str:
        return _("Sổ theo dõi hồ sơ, %(period)s") % {"period": period_text.lower()}

    return _produce(DOSSIER_REGISTER_TEMPLATE, context, reason, signer)


def render_transfer_slip(data: TransferSlip, *, signer: PdfSigner | None = None) -> bytes:
    """Render the transfer slip of one hand-over as an A5 PDF, signed by ``signer`` if given.

    Raises ValueError if ``sent_at`` or ``due_at`` is naive.
    """
    context = {
        "slip": data,
        "issuer": data.from_unit,
        "parent_agency": data.parent_agency,
        "place_date": format_place_date(data.place_name, local_time(data.sent_at).date()),
        "sent_at_text": format_vn_datetime(data.sent_at),
        "due_at_text": format_vn_datetime(data.due_at) if data.due_at else "",
        "means": [(means, means == data.means) for means in TransferMeans],
    }

    def reason() -> str:
        return _("Phiếu chuyển hồ sơ %(number)s, hồ sơ %(code)s") % {
            "number": data.slip_number,
            "code": data.dossier_code,
        }

    return _produce(TRANSFER_SLIP_TEMPLATE, context, reason, signer)


# --- Vietnamese formats -------------------------------------------------------------------------


def local_time(value: datetime) -> datetime:
    """``value`` in Vietnam time; a naive datetime is refused (its zone would be a guess)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a document time must be an aware datetime")
    return value.astimezone(VIETNAM_TZ)


def format_vn_date(value: date) -> str:
    """ "ngày 04 tháng 3 năm 2026".

    Decree 30/2020/NĐ-CP Annex I, Part I, II.4(b): a day below 10 and the months 1 and 2 are
    written with a leading zero, so that no digit can be put in front of them afterwards.
    """
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def format_vn_time(value: datetime) -> str:
    """ "16 giờ 45" in Vietnam time; hours and minutes are zero-padded like days."""
    local = local_time(value)
    return f"{local.hour:02d} giờ {local.minute:02d}"


def format_vn_datetime(value: datetime) -> str:
    """ "16 giờ 45, ngày 04 tháng 12 năm 2026" in Vietnam time."""
    return f"{format_vn_time(value)}, {format_vn_date(local_time(value).date())}"


def format_vn_numeric_date(value: date) -> str:
    """ "04/12/2026": the short date of table cells and registers."""
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def _table_datetime(value: datetime | None) -> tuple[str, str]:
    """(date, time) of a table cell in Vietnam time, e.g. ("04/12/2026", "14 giờ 05").

    Two short lines fit a narrow column; an unknown time gives two empty strings.
    """
    if value is None:
        return ("", "")
    return (format_vn_numeric_date(local_time(value).date()), format_vn_time(value))


def format_place_date(place_name: str, value: date) -> str:
    """ "Pleiku, ngày 04 tháng 12 năm 2026": the place-and-date line under the motto."""
    return f"{place_name}, {format_vn_date(value)}"


def format_vnd(amount: int) -> str:
    """ "16.000 đồng": dot as thousands separator, as Vietnamese writes amounts."""
    return f"{amount:,} đồng".replace(",", ".")


# --- input checks -------------------------------------------------------------------------------


def _require_text(name: str, value: str) -> None:
    if not value.strip():
        raise ValueError(f"{name} must not be blank")


def _require_lines(name: str, values: Sequence[str]) -> None:
    if not values:
        raise ValueError(f"{name} must list at least one line")
    for number, value in enumerate(values, start=1):
        if not value.strip():
            raise ValueError(f"{name} line {number} is blank")


# --- QR codes -------------------------------------------------------------------------------------


def make_qr(payload: str) -> segno.QRCode:
    """The QR code printed on documents: never a Micro QR, at least level M error correction.

    segno raises the error level further when the payload still fits the same version.
    """
    return segno.make(payload, error="m", micro=False)


# Pixels a QR module is drawn with: about 300 dpi at the printed sizes (25–30 mm for some 37–45
# modules), so a viewer or printer that smooths images still shows sharp modules.
QR_PIXELS_PER_MODULE = 8


@functools.lru_cache(maxsize=256)
def qr_data_uri(payload: str) -> str:
    """The QR code of ``payload`` as a PNG ``data:`` URI with the 4-module quiet zone: 8-bit
    grey, QR_PIXELS_PER_MODULE pixels a module, printed unsmoothed (``image-rendering:
    pixelated`` in the templates). WeasyPrint embeds a grey PNG almost as it is; an SVG path
    of the same code cost it about 10 ms a document to parse and draw.

    Kept for the last payloads: every copy of a result prints the same verification link."""
    drawn = io.BytesIO()
    make_qr(payload).save(drawn, kind="png", border=4, scale=QR_PIXELS_PER_MODULE)
    grey = io.BytesIO()
    PIL.Image.open(drawn).convert("L").save(grey, format="PNG")
    return "data:image/png;base64," + base64.b64encode(grey.getvalue()).decode("ascii")


# --- rendering ------------------------------------------------------------------------------------


class OfflineUrlFetcher(URLFetcher):
    """Lets WeasyPrint read ``data:`` URIs and nothing else.

    A template that points at a file or a host stops the rendering instead of leaking a
    request from the server or printing a document with a hole in it.
    """

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url[:5].lower() != "data:":
            raise FatalURLFetchingError(f"PDF templates may embed data: URIs only, not {url!r}")
        return super().fetch(url, headers)


def _produce(
    template_name: str,
    context: dict[str, Any],
    reason: Callable[[], str],
    signer: PdfSigner | None,
) -> bytes:
    """Render ``template_name``, then sign it (``NoSigner`` when ``signer`` is None) with the
    reason ``reason()`` worded in the document's language."""
    pdf = _render_pdf(template_name, context)
    with translation.override(DOCUMENT_LANGUAGE):
        text = reason()
    logger.debug("rendered template=%s bytes=%s", template_name, len(pdf))
    signed: bytes = (signer or NoSigner()).sign(pdf, reason=text)
    return signed


def _render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    with translation.override(DOCUMENT_LANGUAGE):
        rendered = render_to_string(template_name, context)
    html, stylesheet = _split_style(rendered)
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=OfflineUrlFetcher())
    pdf: bytes = document.write_pdf(font_config=_font_config(), stylesheets=stylesheet)
    return pdf


# What WeasyPrint would otherwise set up again for every document, kept per thread (its
# objects are not made to be shared between threads): the fontconfig/Pango font map, about
# 15 ms per document, and the parsed style sheet of each template, about 15 ms.
_per_thread = threading.local()
_STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_STYLESHEETS_KEPT = 64


def _font_config() -> FontConfiguration:
    config: FontConfiguration | None = getattr(_per_thread, "font_config", None)
    if config is None:
        config = _per_thread.font_config = FontConfiguration()
    return config


def _split_style(html: str) -> tuple[str, list[weasyprint.CSS]]:
    """The document without its ``<style>`` element, and that style sheet parsed once per
    thread and text. The templates' styles are constant, so a handful of sheets is ever kept;
    the bound only guards against a template that would print values into its style."""
    match = _STYLE_ELEMENT.search(html)
    if match is None:
        return html, []
    text = match.group(1)
    sheets: dict[str, weasyprint.CSS] | None = getattr(_per_thread, "stylesheets", None)
    if sheets is None or len(sheets) >= _STYLESHEETS_KEPT:
        sheets = _per_thread.stylesheets = {}
    sheet = sheets.get(text)
    if sheet is None:
        sheet = sheets[text] = weasyprint.CSS(
            string=text, font_config=_font_config(), url_fetcher=OfflineUrlFetcher()
        )
    return html[: match.start()] + html[match.end() :], [sheet]
