"""PDF documents of a dossier: the receipt-and-appointment slip and the civil-status copy.

The inputs are plain frozen dataclasses, so rendering needs neither the database nor the models:
a service builds the dataclass from a dossier, calls a ``render_*`` function and stores the bytes.
Templates live in ``dossiers/pdf/`` and are turned into PDF by WeasyPrint without any network or
disk access: the only resources a template may embed are ``data:`` URIs (the QR codes), and fonts
are looked up by family name (DejaVu Serif / DejaVu Sans) through fontconfig.

Every ``render_*`` function takes an optional :class:`PdfSigner`. Circular 01/2018/TT-VPCP
Art. 10 requires the one-stop forms to be digitally signed; the e-office app will supply a
pyHanko-backed signer, until then :class:`NoSigner` returns the bytes unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import segno
import weasyprint
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

RECEIPT_SLIP_TEMPLATE = "dossiers/pdf/receipt_slip.html"
CIVIL_STATUS_COPY_TEMPLATE = "dossiers/pdf/civil_status_copy.html"

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
    pdf = _render_pdf(RECEIPT_SLIP_TEMPLATE, context)

    with translation.override(DOCUMENT_LANGUAGE):
        reason = _("Giấy tiếp nhận hồ sơ và hẹn trả kết quả %(code)s") % {"code": data.dossier_code}
    logger.debug("rendered receipt slip dossier=%s bytes=%s", data.dossier_code, len(pdf))
    return (signer or NoSigner()).sign(pdf, reason=reason)


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
    pdf = _render_pdf(CIVIL_STATUS_COPY_TEMPLATE, context)

    with translation.override(DOCUMENT_LANGUAGE):
        reason = _("Bản sao trích lục %(event)s, hồ sơ %(code)s") % {
            "event": data.event_label,
            "code": data.dossier_code,
        }
    logger.debug("rendered civil-status copy dossier=%s bytes=%s", data.dossier_code, len(pdf))
    return (signer or NoSigner()).sign(pdf, reason=reason)


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


def format_place_date(place_name: str, value: date) -> str:
    """ "Pleiku, ngày 04 tháng 12 năm 2026": the place-and-date line under the motto."""
    return f"{place_name}, {format_vn_date(value)}"


def format_vnd(amount: int) -> str:
    """ "16.000 đồng": dot as thousands separator, as Vietnamese writes amounts."""
    return f"{amount:,} đồng".replace(",", ".")


# --- QR codes -------------------------------------------------------------------------------------


def make_qr(payload: str) -> segno.QRCode:
    """The QR code printed on documents: never a Micro QR, at least level M error correction.

    segno raises the error level further when the payload still fits the same version.
    """
    return segno.make(payload, error="m", micro=False)


def qr_data_uri(payload: str) -> str:
    """The QR code of ``payload`` as an SVG ``data:`` URI, with the 4-module quiet zone."""
    return make_qr(payload).svg_data_uri(border=4, omitsize=True)


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


def _render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    with translation.override(DOCUMENT_LANGUAGE):
        html = render_to_string(template_name, context)
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=OfflineUrlFetcher())
    pdf: bytes = document.write_pdf()
    return pdf
