"""Documents a dossier produces: the one-stop forms (Mẫu 01–06, Circular 01/2018/TT-VPCP),
transfer slips and the result.

They are rendered to PDF and stored with the dossier (Mẫu 05 and 06 on demand). Signing
plugs in through ``pdf.PdfSigner``: with the PKI initialised (``motcua pki init``) results are
signed by the approving leader and the competent agency's seal, Mẫu 01 by the center's seal.
Mẫu 02 and 03 carry the issuing unit's seal, Mẫu 04 the leader's signature and the seal, the
transfer slip the sending unit's seal; each is also registered as an issued document of its
unit (e-office). Mẫu 05 and 06, printed on demand, are sealed snapshots.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from motcua.catalog.eform import choice_label
from motcua.core import clock
from motcua.core.errors import Forbidden
from motcua.core.privacy import mask_name
from motcua.dossiers import pdf
from motcua.dossiers.models import (
    Dossier,
    FileKind,
    SubStepKind,
    SupplementRequest,
    Transfer,
    TransferMeans,
    TransferPurpose,
)
from motcua.dossiers.states import Channel, State
from motcua.org.idnumbers import mask_id_number
from motcua.org.models import Agency
from motcua.payments.models import InvoiceStatus
from motcua.pki import signers

_P = ParamSpec("_P")
_R = TypeVar("_R")


def in_vietnamese(render: Callable[_P, _R]) -> Callable[_P, _R]:
    """Official documents are Vietnamese whatever language the officer's screen uses."""

    @functools.wraps(render)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with translation.override("vi"):
            return render(*args, **kwargs)

    return wrapper


def status_url(dossier: Dossier) -> str:
    return settings.MOTCUA_PUBLIC_URL + reverse("portal:track") + f"?code={dossier.code}"


def verification_url(dossier: Dossier) -> str:
    """The public page that verifies the signed documents stored for the dossier (its QR)."""
    return settings.MOTCUA_PUBLIC_URL + reverse("pki:dossier", args=[dossier.code])


def _place_name(dossier: Dossier) -> str:
    ward = dossier.receiving_agency.ward
    if ward is None:
        return "Gia Lai"
    return ward.name.removeprefix("Phường ").removeprefix("Xã ").removeprefix("Đặc khu ")


def _officer_name(officer: Any) -> str:
    return str(getattr(officer, "full_name", "") or getattr(officer, "username", "") or "")


def submitted_documents(dossier: Dossier) -> list[tuple[str, str]]:
    """What the applicant actually gave, for Mẫu 01: the e-form, the files attached per
    component, and (at the counter) the paper documents the officer checked."""
    attached: dict[str, int] = {}
    for key in dossier.files.filter(kind=FileKind.ATTACHMENT).values_list(
        "component_key", flat=True
    ):
        attached[key] = attached.get(key, 0) + 1
    rows = []
    for document in dossier.procedure.documents.all():
        if document.upload == "none":
            rows.append((document.name_vi, "Biểu mẫu điện tử"))
        elif document.key in attached:
            rows.append((document.name_vi, f"Tệp điện tử ({attached[document.key]})"))
        elif dossier.channel != Channel.ONLINE and document.required:
            rows.append((document.name_vi, document.quantity or "Bản giấy"))
    return rows


def _receipt_slip(dossier: Dossier, *, officer: Any, invoice: Any) -> pdf.ReceiptSlip:
    """What Mẫu 01 prints for an accepted dossier (``invoice`` None: no fee)."""
    assert dossier.accepted_at is not None and dossier.due_at is not None  # noqa: S101
    return pdf.ReceiptSlip(
        dossier_code=dossier.code,
        receiving_agency=dossier.receiving_agency.name,
        parent_agency=dossier.receiving_agency.parent.name
        if dossier.receiving_agency.parent
        else "",
        place_name=_place_name(dossier),
        applicant_name=dossier.applicant_name,
        applicant_id_masked=mask_id_number(dossier.applicant_id_number),
        applicant_phone=dossier.applicant_phone,
        applicant_address=dossier.applicant_address,
        procedure_code=dossier.procedure.code,
        procedure_name=dossier.procedure.name_vi,
        documents=submitted_documents(dossier),
        received_at=dossier.accepted_at,
        due_at=dossier.due_at,
        return_place=dossier.receiving_agency.name,
        officer_name=_officer_name(officer),
        status_url=status_url(dossier),
        fee_total=invoice.amount if invoice else 0,
        fee_paid=bool(invoice and invoice.status != InvoiceStatus.UNPAID),
        channel_label=str(Channel(dossier.channel).label),
    )


def _as_printed(slip: pdf.ReceiptSlip) -> pdf.ReceiptSlip:
    """The slip with its times cut to the minute in Vietnam time: the slip prints no seconds,
    so two slips equal this way print the same."""

    def minute(value: datetime) -> datetime:
        return pdf.local_time(value).replace(second=0, microsecond=0)

    return dataclasses.replace(
        slip, received_at=minute(slip.received_at), due_at=minute(slip.due_at)
    )


@dataclass(frozen=True)
class PreparedSlip:
    """A receipt slip rendered and signed ahead of the payment's transaction (see
    ``prepare_receipt_slip``)."""

    dossier_id: int
    slip: pdf.ReceiptSlip
    content: bytes
    signed: bool

    def content_for(self, dossier_id: int, slip: pdf.ReceiptSlip, *, signed: bool) -> bytes | None:
        """The prepared file if it is this dossier's and prints what ``slip`` prints, else None
        (render again)."""
        if dossier_id != self.dossier_id or signed != self.signed:
            return None
        if _as_printed(slip) != _as_printed(self.slip):
            return None
        return self.content


# The slip prepared for the payment under way in this context: the payment settles the dossier
# through the ``invoice_paid`` signal, which knows only the invoice, and the slip is issued there.
_prepared_slip: ContextVar[PreparedSlip | None] = ContextVar("prepared_slip", default=None)


@contextmanager
def prepared_slip(prepared: PreparedSlip | None) -> Iterator[None]:
    """Let ``issue_receipt_slip`` take ``prepared`` (when it still prints the same) inside."""
    token = _prepared_slip.set(prepared)
    try:
        yield
    finally:
        _prepared_slip.reset(token)


@in_vietnamese
def prepare_receipt_slip(dossier_id: int, *, actor: Any, now: datetime) -> PreparedSlip | None:
    """Render and sign the receipt slip that paying the fee at ``now`` would issue for a dossier
    held for its payment, storing nothing.

    The payment's transaction then only stores the file: rendering and signing (about 0.1 s)
    no longer hold the write lock, which on SQLite is the whole database's. The slip is worked
    out as ``settle_payment`` will: the clock started at ``now``, the fee paid, signed off by
    the officer who accepted the dossier. None when the dossier is not (visibly) held for its
    payment or ``actor`` may not take it at the counter: the payment itself then answers why.
    ``actor`` None is the payment gateway's notification: no officer, nothing to check.
    """
    from motcua.dossiers import permissions
    from motcua.dossiers.services.reception import start_clock
    from motcua.org.models import Role
    from motcua.payments.models import Invoice

    dossiers = Dossier.objects.select_related(
        "procedure", "receiving_agency__ward", "receiving_agency__parent"
    )
    if actor is not None:
        dossiers = permissions.visible_to(actor, dossiers)
    dossier = dossiers.filter(pk=dossier_id, state=State.AWAITING_PAYMENT).first()
    if dossier is None:
        return None
    if actor is not None and not permissions.has_role(actor, dossier, Role.RECEIVER, "receiving"):
        return None
    invoice = Invoice.objects.filter(dossier=dossier, status=InvoiceStatus.UNPAID).first()
    if invoice is None:
        return None
    start_clock(dossier, now)
    invoice.status = InvoiceStatus.PAID
    accepted = dossier.events.filter(action="accept").select_related("actor").last()
    slip = _receipt_slip(dossier, officer=accepted.actor if accepted else None, invoice=invoice)
    seal = signers.seal_signer(dossier.receiving_agency)
    content = pdf.render_receipt_slip(slip, signer=seal)
    return PreparedSlip(dossier_id=dossier.pk, slip=slip, content=content, signed=seal is not None)


@in_vietnamese
def issue_receipt_slip(dossier: Dossier, *, officer: Any) -> None:
    """Render Mẫu 01 for an accepted dossier (or take the slip prepared for the payment under
    way, when it prints the same) and store it."""
    from motcua.dossiers.services import attach_generated

    assert dossier.accepted_at is not None  # noqa: S101
    slip = _receipt_slip(dossier, officer=officer, invoice=getattr(dossier, "invoice", None))
    seal = signers.seal_signer(dossier.receiving_agency)
    prepared = _prepared_slip.get()
    content = prepared.content_for(dossier.pk, slip, signed=seal is not None) if prepared else None
    if content is None:
        content = pdf.render_receipt_slip(slip, signer=seal)
    stored = attach_generated(
        dossier,
        FileKind.RECEIPT_SLIP,
        f"{dossier.code}-phieu-tiep-nhan.pdf",
        content,
        dossier.accepted_at,
    )
    if seal is not None:
        _register_signed(stored, dossier.receiving_agency, "phieu-bao", f"{dossier.code}/TN",
                         f"Giấy tiếp nhận hồ sơ và hẹn trả kết quả {dossier.code}")  # fmt: skip


def _event_spec(dossier: Dossier) -> dict[str, Any]:
    return next(s for s in dossier.procedure.form_schema if s["name"] == "event_type")


@dataclass(frozen=True)
class _ResultPiece:
    """One document of a result: what it prints, its file name and its register entry."""

    data: pdf.CivilStatusCopyResult | pdf.ResultNotice
    file_name: str
    doc_type: str
    symbol: str
    summary: str

    def render(self, signer: pdf.PdfSigner | None) -> bytes:
        if isinstance(self.data, pdf.CivilStatusCopyResult):
            return pdf.render_civil_status_copy(self.data, signer=signer)
        return pdf.render_result_notice(self.data, signer=signer)

    def same_print(self, other: _ResultPiece) -> bool:
        """Whether ``other`` prints the same: issue times may differ within one Vietnam day,
        since the documents print the date only."""
        ours, theirs = self.data.issued_at, other.data.issued_at
        same_day = pdf.local_time(ours).date() == pdf.local_time(theirs).date()
        return same_day and dataclasses.replace(other, data=_at(other.data, ours)) == self


def _at(
    data: pdf.CivilStatusCopyResult | pdf.ResultNotice, issued_at: datetime
) -> pdf.CivilStatusCopyResult | pdf.ResultNotice:
    return dataclasses.replace(data, issued_at=issued_at)


@dataclass(frozen=True)
class PreparedResult:
    """A result rendered and signed ahead of the approval's transaction (see ``prepare_result``)."""

    pieces: list[_ResultPiece]
    contents: list[bytes]
    signed: bool

    def contents_for(self, pieces: list[_ResultPiece], *, signed: bool) -> list[bytes] | None:
        """The prepared files if they print what ``pieces`` print, else None (render again)."""
        if signed != self.signed or len(pieces) != len(self.pieces):
            return None
        if not all(
            ours.same_print(theirs) for ours, theirs in zip(self.pieces, pieces, strict=True)
        ):
            return None
        return self.contents


@in_vietnamese
def prepare_result(
    dossier_id: int, *, signer: Any, note: str, now: datetime
) -> PreparedResult | None:
    """Render and sign the result of a dossier awaiting ``signer``'s approval, storing nothing.

    The approval then only stores these files inside its transaction: rendering and signing
    (about 0.1 s per document) no longer hold the write lock, which on SQLite is the whole
    database's. None when the dossier is not (visibly) awaiting this leader's approval: the
    approval itself then answers why.
    """
    from motcua.dossiers import permissions
    from motcua.dossiers.states import TRANSITIONS

    dossier = (
        permissions.visible_to(signer, Dossier.objects.select_related(
            "procedure", "receiving_agency__ward", "competent_agency"))
        .filter(pk=dossier_id, state=State.AWAITING_APPROVAL)
        .first()
    )  # fmt: skip
    if dossier is None:
        return None
    try:
        permissions.check_officer_may(signer, dossier, TRANSITIONS["approve"])
    except Forbidden:
        return None
    dossier.decision_note = note
    pieces, pdf_signer = _result_plan(dossier, signer=signer, now=now)
    contents = [piece.render(pdf_signer) for piece in pieces]
    return PreparedResult(pieces=pieces, contents=contents, signed=pdf_signer is not None)


@in_vietnamese
def issue_result(
    dossier: Dossier, *, signer: Any, now: datetime, prepared: PreparedResult | None = None
) -> None:
    """Render the result of an approved dossier (or take ``prepared``, when it prints the same)
    and store it; each signed document is registered as issued by the competent unit."""
    from motcua.dossiers.services import attach_generated

    pieces, pdf_signer = _result_plan(dossier, signer=signer, now=now)
    contents = prepared.contents_for(pieces, signed=pdf_signer is not None) if prepared else None
    if contents is None:
        contents = [piece.render(pdf_signer) for piece in pieces]
    for piece, content in zip(pieces, contents, strict=True):
        stored = attach_generated(dossier, FileKind.RESULT, piece.file_name, content, now)
        if pdf_signer is not None:
            _register_signed(stored, dossier.competent_agency, piece.doc_type, piece.symbol,
                             piece.summary, signer)  # fmt: skip


def _result_plan(
    dossier: Dossier, *, signer: Any, now: datetime
) -> tuple[list[_ResultPiece], pdf.PdfSigner | None]:
    if dossier.procedure.result_kind == "civil_status_copy":
        return _civil_status_copies(dossier, signer=signer, now=now), _result_signer(
            dossier, signer, "Chủ tịch"
        )
    return [_result_notice(dossier, signer=signer, now=now)], _result_signer(
        dossier, signer, "Lãnh đạo"
    )


def _result_notice(dossier: Dossier, *, signer: Any, now: datetime) -> _ResultPiece:
    from motcua.catalog.eform import label_of

    data = dossier.form_data
    shown = ("parcel_number", "map_sheet", "parcel_address", "certificate_number")
    particulars = [
        (label_of(spec), str(data[spec["name"]]))
        for spec in dossier.procedure.form_schema
        if spec["name"] in shown and spec["name"] in data
    ]
    unit = dossier.competent_agency
    notice = pdf.ResultNotice(
        **_about(dossier, unit),
        document_number=f"{dossier.code}/TB",
        particulars=particulars,
        decision=dossier.decision_note or dossier.processing_note,
        return_place=dossier.receiving_agency.name,
        issued_at=now,
        signer_name=_officer_name(signer),
        status_url=status_url(dossier),
    )
    return _ResultPiece(
        data=notice,
        file_name=f"{dossier.code}-ket-qua.pdf",
        doc_type="thong-bao",
        symbol=notice.document_number,
        summary=f"Thông báo kết quả giải quyết hồ sơ {dossier.code}",
    )


def _civil_status_copies(dossier: Dossier, *, signer: Any, now: datetime) -> list[_ResultPiece]:
    """One copy of the civil-status extract per requested copy."""
    data = dossier.form_data
    copies = int(data.get("copies", 1))
    event = choice_label(_event_spec(dossier), data.get("event_type", "other"))
    registered = data.get("registration_date")
    pieces = []
    for number in range(1, copies + 1):
        result = pdf.CivilStatusCopyResult(
            dossier_code=dossier.code,
            issuing_agency=dossier.competent_agency.name,
            parent_agency="",
            place_name=_place_name(dossier),
            document_number=f"{dossier.code}/BSTL",
            event_label=event.lower(),
            person_name=data.get("subject_name", ""),
            # The person's name is printed by the template; the specialist's internal note
            # never goes on the citizen's document.
            particulars=[],
            registration_number=data.get("registration_ref", ""),
            registration_book="",
            registered_on=date.fromisoformat(registered)
            if registered
            else clock.localtime(now).date(),
            registering_authority=data.get("registration_place", ""),
            requester_name=dossier.applicant_name,
            copies_total=copies,
            copy_number=number,
            issued_at=now,
            signer_capacity="TM. ỦY BAN NHÂN DÂN",
            signer_title="CHỦ TỊCH" if signer else "",
            signer_name=_officer_name(signer),
            verify_url=verification_url(dossier),
        )
        pieces.append(
            _ResultPiece(
                data=result,
                file_name=f"{dossier.code}-ban-sao-{number}.pdf",
                doc_type="phieu-bao",
                symbol=f"{result.document_number}-{number}",
                summary=f"Bản sao trích lục {event.lower()}, hồ sơ {dossier.code}",
            )
        )
    return pieces


def _register_signed(
    stored: Any, agency: Agency, doc_type: str, symbol: str, summary: str, signer: Any = None
) -> None:
    """A signed form or result is also an issued document of its agency (e-office)."""
    from motcua.eoffice.services import register_dossier_document

    register_dossier_document(
        stored, agency=agency, doc_type=doc_type, symbol=symbol, summary=summary, signer=signer
    )


def _result_signer(dossier: Dossier, leader: Any, position: str) -> pdf.PdfSigner | None:
    """The approving leader then the competent agency's seal (unsigned without a PKI)."""
    return signers.leader_and_seal_signer(leader, dossier.competent_agency, position=position)


def _parent_name(agency: Agency) -> str:
    return agency.parent.name if agency.parent is not None else ""


def _about(dossier: Dossier, issuer: Agency | None = None, *extra: str) -> dict[str, Any]:
    """The fields every dossier form carries: code, issuing unit, place, procedure, applicant.

    ``extra`` names further dossier attributes a form prints (the applicant's address, phone).
    """
    fields: dict[str, Any] = {
        "dossier_code": dossier.code,
        "place_name": _place_name(dossier),
        "applicant_name": dossier.applicant_name,
        "procedure_code": dossier.procedure.code,
        "procedure_name": dossier.procedure.name_vi,
    }
    if issuer is not None:
        fields.update(issuing_agency=issuer.name, parent_agency=_parent_name(issuer))
    for name in extra:
        fields[name] = getattr(dossier, name)
    return fields


@in_vietnamese
def issue_supplement_notice(dossier: Dossier, request: SupplementRequest) -> None:
    """Mẫu 02, issued by the unit that asked: the center at reception, else the competent unit."""
    from motcua.dossiers.services import attach_generated

    issuer = dossier.receiving_agency if request.stage == "reception" else dossier.competent_agency
    slip = pdf.SupplementRequestSlip(
        **_about(dossier, issuer, "applicant_address", "applicant_phone"),
        requested_at=request.requested_at,
        items=list(request.items),
        reason=request.reason,
        contact_phone="",
        officer_name=_officer_name(request.requested_by),
        officer_title="",
        status_url=status_url(dossier),
    )
    seal = signers.seal_signer(issuer)
    stored = attach_generated(
        dossier,
        FileKind.SUPPLEMENT_NOTICE,
        f"{dossier.code}-yeu-cau-bo-sung-{dossier.supplement_count}.pdf",
        pdf.render_supplement_request_slip(slip, signer=seal),
        request.requested_at,
    )
    if seal is not None:
        symbol = f"{dossier.code}/BS{dossier.supplement_count}"
        _register_signed(stored, issuer, "phieu-bao", symbol,
                         f"Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ {dossier.code}")  # fmt: skip


@in_vietnamese
def issue_refusal_notice(dossier: Dossier, *, officer: Any, reason: str, at: datetime) -> None:
    """Mẫu 03 for a dossier refused at reception."""
    from motcua.dossiers.services import attach_generated

    center = dossier.receiving_agency
    slip = pdf.RefusalSlip(
        **_about(dossier, center, "applicant_address", "applicant_phone"),
        reasons=[line.strip() for line in reason.splitlines() if line.strip()],
        refused_at=at,
        officer_name=_officer_name(officer),
        officer_title="",
    )
    seal = signers.seal_signer(center)
    stored = attach_generated(
        dossier,
        FileKind.REFUSAL_NOTICE,
        f"{dossier.code}-tu-choi.pdf",
        pdf.render_refusal_slip(slip, signer=seal),
        at,
    )
    if seal is not None:
        _register_signed(stored, center, "phieu-bao", f"{dossier.code}/TC",
                         f"Phiếu từ chối tiếp nhận giải quyết hồ sơ {dossier.code}")  # fmt: skip


@in_vietnamese
def issue_apology(dossier: Dossier, *, signer: Any, reason: str) -> None:
    """Mẫu 04 for a rescheduled dossier."""
    from motcua.dossiers.services import attach_generated

    assert dossier.rescheduled_at and dossier.original_due_at and dossier.due_at  # noqa: S101
    assert dossier.accepted_at is not None  # noqa: S101
    unit = dossier.competent_agency
    slip = pdf.ApologySlip(
        **_about(dossier, unit, "applicant_address"),
        document_number=f"{dossier.code}/XL",
        received_at=dossier.accepted_at,
        original_due_at=dossier.original_due_at,
        reason=reason,
        new_due_at=dossier.due_at,
        issued_at=dossier.rescheduled_at,
        signer_capacity="",
        signer_title="",
        signer_name=_officer_name(signer),
        status_url=status_url(dossier),
    )
    pdf_signer = signers.leader_and_seal_signer(signer, unit, position="Lãnh đạo")
    stored = attach_generated(
        dossier,
        FileKind.APOLOGY,
        f"{dossier.code}-xin-loi-hen-lai.pdf",
        pdf.render_apology_slip(slip, signer=pdf_signer),
        dossier.rescheduled_at,
    )
    if pdf_signer is not None:
        _register_signed(stored, unit, "phieu-bao", f"{dossier.code}/XL",
                         f"Phiếu xin lỗi và hẹn lại ngày trả kết quả {dossier.code}",
                         signer)  # fmt: skip


@in_vietnamese
def issue_transfer_slip(transfer: Transfer) -> None:
    """The slip that travels with a hand-over of the paper file or of the result."""
    from motcua.dossiers.services import attach_generated

    dossier = transfer.dossier
    documents = [(item, "") for item in transfer.items] or [
        (d.name_vi, d.quantity or "") for d in dossier.procedure.documents.all()
    ]
    slip = pdf.TransferSlip(
        slip_number=transfer.slip_number,
        dossier_code=dossier.code,
        parent_agency=_parent_name(transfer.from_agency),
        from_unit=transfer.from_agency.name,
        from_officer=_officer_name(transfer.sent_by),
        to_unit=transfer.to_agency.name,
        to_officer="",
        place_name=_place_name(dossier),
        applicant_name=dossier.applicant_name,
        procedure_code=dossier.procedure.code,
        procedure_name=dossier.procedure.name_vi,
        means=pdf.TransferMeans(transfer.means),
        sent_at=transfer.sent_at,
        task=str(TransferPurpose(transfer.purpose).label),
        due_at=dossier.due_at if transfer.purpose == TransferPurpose.FILE else None,
        documents=documents,
    )
    seal = signers.seal_signer(transfer.from_agency)
    stored = attach_generated(
        dossier,
        FileKind.TRANSFER_SLIP,
        f"{transfer.slip_number}.pdf",
        pdf.render_transfer_slip(slip, signer=seal),
        transfer.sent_at,
    )
    if seal is not None:
        _register_signed(stored, transfer.from_agency, "phieu-chuyen", transfer.slip_number,
                         f"Phiếu chuyển hồ sơ {dossier.code}")  # fmt: skip


@in_vietnamese
def control_sheet(dossier: Dossier) -> bytes:
    """Mẫu 05 as it stands now: every hand-over and step with its time and outcome."""
    assert dossier.accepted_at is not None and dossier.due_at is not None  # noqa: S101
    steps = [
        pdf.ControlSheetStep(
            from_unit=t.from_agency.name,
            from_person=_officer_name(t.sent_by),
            to_unit=t.to_agency.name,
            to_person=_officer_name(t.received_by) if t.received_by else "",
            handed_over_at=t.sent_at,
            due_by=dossier.due_at if t.purpose == TransferPurpose.FILE else None,
            done_at=t.received_at,
            note=str(TransferMeans(t.means).label),
        )
        for t in dossier.transfers.select_related(
            "from_agency", "to_agency", "sent_by", "received_by"
        )
    ]
    steps += [
        pdf.ControlSheetStep(
            from_unit=dossier.competent_agency.name,
            from_person=_officer_name(s.requested_by),
            to_unit=s.agency.name,
            to_person=_officer_name(s.answered_by) if s.answered_by else "",
            handed_over_at=s.requested_at,
            due_by=s.due_at,
            done_at=s.answered_at,
            note=str(SubStepKind(s.kind).label),
        )
        for s in dossier.substeps.select_related("agency", "requested_by", "answered_by")
    ]
    steps.sort(key=lambda step: step.handed_over_at)
    center = dossier.receiving_agency
    sheet = pdf.ControlSheet(
        **_about(dossier, center, "applicant_phone", "applicant_address"),
        competent_agency=dossier.competent_agency.name,
        coordinating_agencies=sorted({s.agency.name for s in dossier.substeps.all()}),
        received_at=dossier.accepted_at,
        due_at=dossier.due_at,
        steps=steps,
        printed_at=clock.now(),
    )
    # A snapshot printed on demand: sealed so a copy can be checked, not registered (it is the
    # dossier's living record, not an issued document).
    return pdf.render_control_sheet(sheet, signer=signers.seal_signer(center))


@in_vietnamese
def dossier_register(agency: Agency, start: date, end: date, *, full_names: bool = False) -> bytes:
    """Mẫu 06: the dossiers a unit received (or decides) in a period, in receipt order.

    Applicants appear by their initials unless ``full_names`` (an officer who needs them gives
    a purpose, which the caller audits: Decree 13/2023/NĐ-CP, data minimisation).
    """
    dossiers = (
        Dossier.objects.filter(accepted_at__isnull=False)
        .filter(Q(receiving_agency=agency) | Q(competent_agency=agency))
        .filter(accepted_at__date__gte=start, accepted_at__date__lte=end)
        .select_related("procedure")
        .prefetch_related("transfers")
        .order_by("accepted_at", "pk")
    )
    entries = [_register_entry(dossier, full_names) for dossier in dossiers]
    register = pdf.DossierRegister(
        unit_name=agency.name,
        parent_agency=_parent_name(agency),
        place_name=agency.ward.name if agency.ward else "Gia Lai",
        period_start=start,
        period_end=end,
        entries=entries,
        printed_at=clock.now(),
    )
    return pdf.render_dossier_register(register, signer=signers.seal_signer(agency))


def _register_entry(dossier: Dossier, full_names: bool = False) -> pdf.RegisterEntry:
    transfers = list(dossier.transfers.all())
    sent = next((t.received_at for t in transfers if t.purpose == TransferPurpose.FILE), None)
    back = next((t.received_at for t in transfers if t.purpose == TransferPurpose.RESULT), None)
    assert dossier.accepted_at is not None  # noqa: S101 (filtered)
    return pdf.RegisterEntry(
        dossier_code=dossier.code,
        procedure_name=dossier.procedure.name_vi,
        applicant_name=dossier.applicant_name if full_names else mask_name(dossier.applicant_name),
        received_at=dossier.accepted_at,
        due_at=dossier.due_at,
        transferred_at=sent or dossier.competent_received_at,
        result_at=back or dossier.finished_at,
        returned_at=dossier.returned_at,
        note=str(State(dossier.state).label),
    )
