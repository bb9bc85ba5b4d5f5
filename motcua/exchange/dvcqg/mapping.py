"""The wire format of the national portal (DVCQG), in this one module.

No official field dictionary is available yet (Circular 04/2025/TT-VPCP lists the data to
exchange, not the wire names): the names follow the
``DongBoHoSoMC`` synchronisation observed in existing provincial systems. When the official
specification arrives, this module is what changes; the services and the router only use
:func:`status_message`, :class:`FilingIn`, :func:`to_filing` and :func:`wire_field`.

Outbound, a status message carries the whole dossier as the portal shows it (status 1–10 of
``NATIONAL_STATUS``, dates ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh, channel, fees, the
online-payment flag, links to the result documents, the processing progress) and
``SoThuTuCapNhat``, the id of the dossier event it reports: it grows with every change of the
dossier, so the receiver keeps the message with the highest number and drops late ones.

Inbound, the portal files a dossier with :class:`FilingIn`. Documents travel inside the
message as base64, not as links: the message is then complete when it is stored in the inbox,
and accepting it never depends on fetching files from the portal later.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from motcua.core import clock
from motcua.core.errors import InvalidInput, InvalidInputs
from motcua.dossiers.models import Dossier, DossierEvent, FileKind
from motcua.dossiers.states import ACTION_LABELS, NATIONAL_STATUS, State
from motcua.dossiers.uploads import Upload
from motcua.payments.models import InvoiceStatus, PaymentChannel

SERVICE = "DongBoHoSoMC"
# Where the portal takes status updates (relative to the peer's base URL).
STATUS_PATH = "/SynsTTHCC/DongBoHoSoMC"
DATE_FORMAT = "%Y%m%d%H%M%S"

# DuocThanhToanTrucTuyen: paid on the national portal, paid through the province's gateway.
PAID_ON_PORTAL = 1
PAID_ON_LOCAL_GATEWAY = 2
NOT_PAID_ONLINE = 0

# The applicant's block of the filing fills the fields every e-form carries.
APPLICANT_FIELDS = {
    "HoTen": "requester_name",
    "SoDinhDanh": "requester_id_number",
    "NgaySinh": "requester_birth_date",
    "SoDienThoai": "requester_phone",
    "Email": "requester_email",
    "DiaChi": "requester_address",
}


def wire_date(moment: datetime | None) -> str:
    """``yyyyMMddHHmmss`` in Vietnam time; an empty string for a date not reached yet."""
    return clock.localtime(moment).strftime(DATE_FORMAT) if moment else ""


# --- outbound: status synchronisation ----------------------------------------------------------


def status_message(
    dossier: Dossier, event: DossierEvent, *, paid_on_portal: bool
) -> dict[str, Any]:
    """The ``DongBoHoSoMC`` body reporting ``dossier`` as it stands after ``event``."""
    record = {
        "MaHoSo": dossier.code,
        "MaTTHC": dossier.procedure.code,
        "SoThuTuCapNhat": event.pk,
        "ThoiDiemCapNhat": wire_date(event.at),
        "ChuHoSo": dossier.applicant_name,
        "MaDoiTuong": dossier.applicant_id_number,
        "LoaiDoiTuong": 1,  # citizens; businesses do not file in this release
        "TrichYeuHoSo": dossier.summary,
        "NgayNopHoSo": wire_date(dossier.submitted_at),
        "NgayTiepNhan": wire_date(dossier.accepted_at),
        "NgayHenTra": wire_date(dossier.due_at),
        "TrangThaiHoSo": NATIONAL_STATUS[event.to_state],
        "NgayKetThucXuLy": wire_date(dossier.finished_at),
        "NgayTra": wire_date(dossier.returned_at),
        "MaDonViTiepNhan": dossier.receiving_agency.code,
        "DonViTiepNhan": dossier.receiving_agency.name,
        "MaDonViXuLy": dossier.competent_agency.code,
        "DonViXuLy": dossier.competent_agency.name,
        "KenhThucHien": dossier.channel,
        **_fees(dossier, paid_on_portal=paid_on_portal),
        # "submit" is recorded once, in the transaction that creates the dossier: it is the first
        # event and no result exists yet, so neither list needs reading back (the API's hot path).
        "DanhSachGiayToKetQua": [] if event.action == "submit" else _results(dossier),
        "QuaTrinhXuLy": _progress(dossier, upto=event),
    }
    return {"service": SERVICE, "isUpdating": event.action != "submit", "data": [record]}


def _fees(dossier: Dossier, *, paid_on_portal: bool) -> dict[str, Any]:
    invoice = getattr(dossier, "invoice", None)
    if invoice is None:
        return {"DanhSachLePhi": [], "DuocThanhToanTrucTuyen": NOT_PAID_ONLINE}
    lines = [
        {
            "MaPhiLePhi": line.fee_key,
            "TenPhiLePhi": line.name_vi,
            "DonGia": line.unit_amount,
            "SoLuong": line.quantity,
            "Gia": line.amount,
        }
        for line in invoice.lines.all()
    ]
    if paid_on_portal:
        paid = PAID_ON_PORTAL
    elif invoice.status == InvoiceStatus.PAID and invoice.channel == PaymentChannel.ONLINE:
        paid = PAID_ON_LOCAL_GATEWAY
    else:
        paid = NOT_PAID_ONLINE
    return {"DanhSachLePhi": lines, "DuocThanhToanTrucTuyen": paid}


def result_path(dossier: Dossier, file_id: int) -> str:
    return reverse("api:dvcqg-result-file", kwargs={"code": dossier.code, "file_id": file_id})


def _results(dossier: Dossier) -> list[dict[str, Any]]:
    """Links from which the portal, authenticated as the peer, downloads the results."""
    return [
        {
            "GiayToId": record.pk,
            "TenGiayTo": record.original_name,
            "DuongDanTepTinKetQua": settings.MOTCUA_PUBLIC_URL + result_path(dossier, record.pk),
            "MaBamSHA256": record.sha256,
        }
        for record in dossier.files.filter(kind=FileKind.RESULT).order_by("pk")
    ]


def _progress(dossier: Dossier, *, upto: DossierEvent) -> list[dict[str, Any]]:
    """One entry per step up to ``upto``: who (the officer's name and unit), when, what. The
    officers' working notes stay in motcua: they may carry the applicant's personal data."""
    events = (
        [upto]
        if upto.action == "submit"
        else dossier.events.filter(pk__lte=upto.pk)
        .select_related("actor", "agency")
        .order_by("at", "pk")
    )
    return [
        {
            "NguoiXuLy": getattr(event.actor, "full_name", "") if event.actor else "",
            "PhongBanXuLy": event.agency.name if event.agency else "",
            "ThoiDiemXuLy": wire_date(event.at),
            "NoiDungXuLy": str(ACTION_LABELS.get(event.action, event.action)),
            "TrangThai": NATIONAL_STATUS[event.to_state],
        }
        for event in events
    ]


def sequence_of(message: dict[str, Any]) -> tuple[str, int, int]:
    """(dossier code, sequence, status) of a status message."""
    record = message["data"][0]
    return str(record["MaHoSo"]), int(record["SoThuTuCapNhat"]), int(record["TrangThaiHoSo"])


def is_success(reply: dict[str, Any]) -> bool:
    """The portal answers ``error_code`` 0 (or "0", "00") when it took the message."""
    return str(reply.get("error_code", "")).strip() in ("0", "00")


def statuses_of(events: list[DossierEvent]) -> list[int]:
    """The national statuses a series of dossier events reports, in order."""
    return [NATIONAL_STATUS[State(event.to_state)] for event in events]


# --- inbound: a dossier filed on the portal ----------------------------------------------------


class ApplicantIn(Schema):
    HoTen: str = Field(..., max_length=100, description="họ tên người nộp")
    SoDinhDanh: str = Field(..., max_length=20, description="số định danh cá nhân (12 chữ số)")
    NgaySinh: str = Field(..., max_length=10, description="ngày sinh, yyyy-mm-dd")
    SoDienThoai: str = Field(..., max_length=20)
    Email: str = Field("", max_length=254)
    DiaChi: str = Field(..., max_length=255, description="nơi cư trú")


class DocumentIn(Schema):
    TenTepDinhKem: str = Field(..., min_length=1, max_length=255, description="tên tệp")
    MaThanhPhanHoSo: str = Field(
        "", max_length=40, description="khóa thành phần hồ sơ của thủ tục, vd. identity_document"
    )
    NoiDungBase64: str = Field(..., description="nội dung tệp (PDF, JPEG, PNG) mã hóa base64")


class FeeIn(Schema):
    MaPhiLePhi: str = Field(..., max_length=40)
    Gia: int = Field(..., ge=0, description="số tiền của khoản phí, VND")


class FilingIn(Schema):
    """A dossier filed on the national portal (Cổng DVCQG) for a service center of the
    province. Its message id is the ``X-Motcua-Message-Id`` header: a filing sent again with
    the same id gets the same dossier code and creates nothing."""

    MaHoSoQG: str = Field("", max_length=64, description="mã hồ sơ trên Cổng DVCQG")
    MaTTHC: str = Field(..., max_length=30, description="mã thủ tục hành chính, vd. 2.000635")
    MaDonViTiepNhan: str = Field(
        "",
        max_length=80,
        description="mã định danh (hoặc slug) của Trung tâm tiếp nhận; hoặc ghi MaXaPhuong",
    )
    MaXaPhuong: int | None = Field(
        None, ge=1, description="mã xã, phường: hồ sơ nộp tại Trung tâm của xã, phường đó"
    )
    LoaiDoiTuong: Literal[1] = Field(1, description="1: công dân")
    ChuHoSo: ApplicantIn
    DuLieuBieuMau: dict[str, Any] = Field(
        default_factory=dict, description="các trường khác của biểu mẫu điện tử thủ tục"
    )
    TaiLieuNop: list[DocumentIn] = Field(default_factory=list, max_length=20)
    DanhSachLePhi: list[FeeIn] = Field(default_factory=list, max_length=20)
    DuocThanhToanTrucTuyen: Literal[0, 1] = Field(
        0, description="1: người nộp đã thanh toán phí, lệ phí trên Cổng DVCQG"
    )


class FiledOut(Schema):
    MaGiaoDich: str = Field(description="mã thông điệp (tiêu đề X-Motcua-Message-Id)")
    MaHoSo: str = Field(description="mã hồ sơ do hệ thống một cửa của tỉnh cấp")
    TrangThaiHoSo: int
    NgayNopHoSo: str
    TongLePhi: int = Field(description="tổng phí, lệ phí theo biểu phí của tỉnh, VND")


@dataclass(frozen=True)
class Filing:
    """A filing in motcua's own terms."""

    message_id: str
    portal_reference: str
    procedure_code: str
    center: str
    ward: int | None
    form_data: dict[str, Any]
    uploads: list[Upload]
    declared_fees: dict[str, int] = field(default_factory=dict)
    paid_on_portal: bool = False


def to_filing(payload: FilingIn, *, message_id: str) -> Filing:
    """The filing in motcua's terms; undecodable documents are reported together."""
    form = {key: value for key, value in payload.DuLieuBieuMau.items()}
    for wire, name in APPLICANT_FIELDS.items():
        value = getattr(payload.ChuHoSo, wire)
        if value != "" or name not in form:
            form[name] = value
    return Filing(
        message_id=message_id,
        portal_reference=payload.MaHoSoQG,
        procedure_code=payload.MaTTHC,
        center=payload.MaDonViTiepNhan.strip(),
        ward=payload.MaXaPhuong,
        form_data=form,
        uploads=_uploads(payload.TaiLieuNop),
        declared_fees={fee.MaPhiLePhi: fee.Gia for fee in payload.DanhSachLePhi},
        paid_on_portal=payload.DuocThanhToanTrucTuyen == 1,
    )


def _uploads(documents: list[DocumentIn]) -> list[Upload]:
    uploads: list[Upload] = []
    errors: list[InvalidInput] = []
    for index, document in enumerate(documents):
        try:
            content = base64.b64decode("".join(document.NoiDungBase64.split()), validate=True)
        except (binascii.Error, ValueError):
            errors.append(
                InvalidInput(
                    _("Tệp “%(name)s”: nội dung không phải base64 hợp lệ."),
                    field=f"TaiLieuNop[{index}].NoiDungBase64",
                    code="base64",
                    name=document.TenTepDinhKem,
                )
            )
            continue
        uploads.append(
            Upload(
                name=document.TenTepDinhKem,
                content=content,
                component_key=document.MaThanhPhanHoSo,
            )
        )
    if errors:
        raise InvalidInputs(errors)
    return uploads


_INTERNAL_TO_WIRE = {name: f"ChuHoSo.{wire}" for wire, name in APPLICANT_FIELDS.items()}


def wire_field(field_name: str | None) -> str | None:
    """The request's name of a field the services named: ``requester_phone`` is
    ``ChuHoSo.SoDienThoai``, ``files[2]`` is ``TaiLieuNop[2]``, other e-form fields are under
    ``DuLieuBieuMau``."""
    if field_name is None:
        return None
    if field_name in _INTERNAL_TO_WIRE:
        return _INTERNAL_TO_WIRE[field_name]
    if field_name == "files" or field_name.startswith("files["):
        return "TaiLieuNop" + field_name.removeprefix("files")
    if field_name.startswith("component:"):
        return "TaiLieuNop." + field_name.removeprefix("component:")
    fixed = {
        "procedure": "MaTTHC",
        "center": "MaDonViTiepNhan",
        "ward": "MaXaPhuong",
        "fees": "DanhSachLePhi",
        "idempotency_key": "X-Motcua-Message-Id",
    }
    if field_name in fixed:
        return fixed[field_name]
    return f"DuLieuBieuMau.{field_name}"


def filed_reply(filing: Filing, dossier: Dossier, total_fee: int) -> dict[str, Any]:
    """The answer to a filing (also what a duplicate of it gets again)."""
    return {
        "MaGiaoDich": filing.message_id,
        "MaHoSo": dossier.code,
        "TrangThaiHoSo": NATIONAL_STATUS[State(dossier.state)],
        "NgayNopHoSo": wire_date(dossier.submitted_at),
        "TongLePhi": total_fee,
    }
