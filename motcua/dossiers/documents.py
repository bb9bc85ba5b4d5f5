"""Documents a dossier produces: the receipt slip (Mẫu 01) and the result.

Both are rendered to PDF and stored with the dossier. Signing plugs in through
``pdf.PdfSigner`` (the electronic-office issue brings the real signer).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from motcua.catalog.eform import choice_label
from motcua.core import clock
from motcua.dossiers import pdf
from motcua.dossiers.models import Dossier, FileKind
from motcua.dossiers.states import Channel
from motcua.org.idnumbers import mask_id_number
from motcua.payments.models import InvoiceStatus


def status_url(dossier: Dossier) -> str:
    return settings.MOTCUA_PUBLIC_URL + reverse("portal:track") + f"?code={dossier.code}"


def _place_name(dossier: Dossier) -> str:
    ward = dossier.receiving_agency.ward
    if ward is None:
        return "Gia Lai"
    return ward.name.removeprefix("Phường ").removeprefix("Xã ").removeprefix("Đặc khu ")


def _officer_name(officer: Any) -> str:
    return str(getattr(officer, "full_name", "") or getattr(officer, "username", "") or "")


def issue_receipt_slip(dossier: Dossier, *, officer: Any) -> None:
    """Render Mẫu 01 for an accepted dossier and store it."""
    from motcua.dossiers.services import attach_generated

    invoice = getattr(dossier, "invoice", None)
    documents = [(d.name_vi, d.quantity or "") for d in dossier.procedure.documents.all()]
    assert dossier.accepted_at is not None and dossier.due_at is not None  # noqa: S101
    slip = pdf.ReceiptSlip(
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
        documents=documents,
        received_at=dossier.accepted_at,
        due_at=dossier.due_at,
        return_place=dossier.receiving_agency.name,
        officer_name=_officer_name(officer),
        status_url=status_url(dossier),
        fee_total=invoice.amount if invoice else 0,
        fee_paid=bool(invoice and invoice.status != InvoiceStatus.UNPAID),
        channel_label=str(Channel(dossier.channel).label),
    )
    content = pdf.render_receipt_slip(slip)
    attach_generated(
        dossier,
        FileKind.RECEIPT_SLIP,
        f"{dossier.code}-phieu-tiep-nhan.pdf",
        content,
        dossier.accepted_at,
    )


def _event_spec(dossier: Dossier) -> dict[str, Any]:
    return next(s for s in dossier.procedure.form_schema if s["name"] == "event_type")


def issue_result(dossier: Dossier, *, signer: Any, now: datetime) -> None:
    """Render the result: one copy of the civil-status extract per requested copy."""
    from motcua.dossiers.services import attach_generated

    data = dossier.form_data
    copies = int(data.get("copies", 1))
    event = choice_label(_event_spec(dossier), data.get("event_type", "other"))
    registered = data.get("registration_date")
    for number in range(1, copies + 1):
        result = pdf.CivilStatusCopyResult(
            dossier_code=dossier.code,
            issuing_agency=dossier.competent_agency.name,
            parent_agency="",
            place_name=_place_name(dossier),
            document_number=f"{dossier.code}/BSTL",
            event_label=event.lower(),
            person_name=data.get("subject_name", ""),
            particulars=[("Nội dung xác minh", dossier.processing_note)],
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
            verify_url=status_url(dossier),
        )
        content = pdf.render_civil_status_copy(result)
        attach_generated(
            dossier, FileKind.RESULT, f"{dossier.code}-ban-sao-{number}.pdf", content, now
        )
