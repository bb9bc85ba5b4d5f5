"""Every state change of an official document, one function per business verb.

Outgoing (Decree 30/2020/NĐ-CP Arts. 11–15): ``compose_document`` (draft) →
``submit_for_review`` → ``approve_document`` (leader) → ``sign_document`` (leader's PAdES
signature) → ``issue_document`` (clerk: number, outgoing register, the organisation's seal) →
``dispatch_document`` (to the recipients). Incoming (Arts. 20–24): the document arrives in
the recipient's inbox at once (within this installation), its clerk registers it
(``register_incoming``) or refuses it, assigns a handler with a deadline in working days, the
handler marks it processing then done. Every status of a recipient flows back to the sender.

Each function checks the actor's role in the right agency and the document's state, writes
inside one transaction, and records a history row and an audit row.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from motcua.core import audit, clock, sequences
from motcua.core.errors import Forbidden, InvalidInput, InvalidInputs, InvalidTransition, NotFound
from motcua.core.text import nfc, search_key
from motcua.deadlines.calendar import default_calendar
from motcua.eoffice import marks as marks_module
from motcua.eoffice import permissions, signing
from motcua.eoffice.models import (
    CONTENT_MAX_LENGTH,
    RECIPIENTS_NOTE_MAX_LENGTH,
    Competence,
    Dispatch,
    DispatchStatus,
    DocumentHistory,
    DocumentState,
    IncomingEntry,
    OfficialDocument,
    Origin,
    OutgoingEntry,
)
from motcua.org.models import Agency, AgencyKind, Membership, Role

logger = logging.getLogger(__name__)

MAX_ASSIGN_DAYS = 60
DOCUMENT_TEMPLATE = "eoffice/pdf/document.html"

# The issuer's part of the symbol, from the kind of agency (Decree 30/2020/NĐ-CP Annex I,
# II.3: the abbreviation of the issuing body's name). Departments use their initials (STP).
_ISSUER_ABBREVIATIONS = {
    AgencyKind.PROVINCE_PC: "UBND",
    AgencyKind.COMMUNE_PC: "UBND",
    AgencyKind.PROVINCE_OFFICE: "VPUBND",
    AgencyKind.PROVINCE_CENTER: "TTPVHCC",
    AgencyKind.COMMUNE_CENTER: "TTPVHCC",
    AgencyKind.LAND_OFFICE: "VPĐKĐĐ",
    AgencyKind.LAND_BRANCH: "CNVPĐKĐĐ",
    AgencyKind.TAX_OFFICE: "CT",
}
# Who heads the agency, for "KT. CHỦ TỊCH" and the like; "TM." names the collective body.
_HEAD_TITLES = {
    AgencyKind.PROVINCE_PC: "CHỦ TỊCH",
    AgencyKind.COMMUNE_PC: "CHỦ TỊCH",
    AgencyKind.PROVINCE_OFFICE: "CHÁNH VĂN PHÒNG",
}
_COLLECTIVES = {
    AgencyKind.PROVINCE_PC: "ỦY BAN NHÂN DÂN",
    AgencyKind.COMMUNE_PC: "ỦY BAN NHÂN DÂN",
}
_MINOR_WORDS = {"và", "tỉnh", "thành", "phố"}


def issuer_abbreviation(agency: Agency) -> str:
    """ "UBND" for a People's Committee, "STP" for Sở Tư pháp tỉnh Gia Lai."""
    if agency.kind in _ISSUER_ABBREVIATIONS:
        return _ISSUER_ABBREVIATIONS[AgencyKind(agency.kind)]
    words = agency.name.split()
    if "tỉnh" in words:
        words = words[: words.index("tỉnh")]
    return "".join(w[0].upper() for w in words if w.lower() not in _MINOR_WORDS)


def make_symbol(agency: Agency, doc_type: marks_module.DocumentType, drafting_unit: str) -> str:
    """ "QĐ-UBND" for a typed document, "UBND-VP" for a công văn (no type part)."""
    issuer = issuer_abbreviation(agency)
    if doc_type.is_letter:
        return f"{issuer}-{drafting_unit}" if drafting_unit else issuer
    return f"{doc_type.abbreviation}-{issuer}"


def place_name(agency: Agency) -> str:
    """The place of issue (địa danh): the commune's name, or the province's."""
    if agency.ward is not None:
        name = agency.ward.name
        for prefix in ("Phường ", "Xã ", "Đặc khu "):
            name = name.removeprefix(prefix)
        return name
    return "Gia Lai"


# --- drafting -----------------------------------------------------------------------------------


@dataclass
class Draft:
    """What the compose form (or the API) sends. ``recipient_ids`` are agencies of this
    installation; ``recipients_note`` lists further "Nơi nhận" lines."""

    issuer_id: int
    doc_type: str
    summary: str
    content: str
    signer_position: str
    signer_competence: str = ""
    signer_name: str = ""
    drafting_unit: str = ""
    recipient_ids: list[int] = field(default_factory=list)
    recipients_note: str = ""
    urgency: str = "thuong"
    secrecy: str = "thuong"
    due_date: date | None = None
    replaces_id: int | None = None


def _history(
    document: OfficialDocument,
    action: str,
    *,
    actor: Any,
    at: datetime,
    note: str = "",
    dispatch: Dispatch | None = None,
) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    DocumentHistory.objects.create(
        document=document, dispatch=dispatch, action=action, at=at, actor=user, note=note
    )
    data: dict[str, Any] = {"state": document.state}
    if dispatch is not None:
        data.update(dispatch=dispatch.pk, status=dispatch.status)
    audit.record(f"eoffice.{action}", document, actor=actor, data=data)


# The limits of the compose form and the API, kept here so that every caller meets them.
TEXT_LIMITS = (
    ("content", CONTENT_MAX_LENGTH),
    ("signer_position", 100),
    ("signer_name", 150),
    ("drafting_unit", 20),
    ("recipients_note", RECIPIENTS_NOTE_MAX_LENGTH),
)
MAX_RECIPIENTS = 200


def _too_long(draft: Draft) -> list[InvalidInput]:
    errors = [
        InvalidInput(
            _("Trường này dài tối đa %(limit)s ký tự."), field=name, code="too_long", limit=limit
        )
        for name, limit in TEXT_LIMITS
        if len(nfc(getattr(draft, name))) > limit
    ]
    if len(draft.recipient_ids) > MAX_RECIPIENTS:
        errors.append(
            InvalidInput(
                _("Một văn bản gửi tối đa %(limit)s nơi nhận trong hệ thống."),
                field="recipient_ids",
                code="too_many",
                limit=MAX_RECIPIENTS,
            )
        )
    return errors


def _check_draft(draft: Draft, actor: Any) -> tuple[Agency, list[Agency]]:
    errors: list[InvalidInput] = []
    registry = marks_module.marks()
    issuer = Agency.objects.filter(pk=draft.issuer_id).select_related("ward").first()
    if issuer is None or not permissions.has_role_in(actor, issuer.pk, *permissions.EOFFICE_ROLES):
        raise Forbidden(code="wrong_role")
    if draft.doc_type not in registry.types:
        errors.append(
            InvalidInput(
                _("Chọn một loại văn bản trong danh mục."), field="doc_type", code="unknown_type"
            )
        )
    if not nfc(draft.summary):
        errors.append(
            InvalidInput(_("Trích yếu không được để trống."), field="summary", code="required")
        )
    elif len(nfc(draft.summary)) > 500:
        errors.append(
            InvalidInput(_("Trích yếu dài tối đa 500 ký tự."), field="summary", code="too_long")
        )
    errors.extend(_too_long(draft))
    if not nfc(draft.content):
        errors.append(
            InvalidInput(_("Nội dung không được để trống."), field="content", code="required")
        )
    if not nfc(draft.signer_position):
        errors.append(
            InvalidInput(_("Ghi chức vụ của người ký."), field="signer_position", code="required")
        )
    if draft.signer_competence not in Competence.values:
        errors.append(
            InvalidInput(
                _("Thẩm quyền ký phải là TM., KT., Q., TL., TUQ. hoặc để trống."),
                field="signer_competence",
                code="invalid_choice",
            )
        )
    if draft.urgency not in registry.urgency:
        errors.append(
            InvalidInput(_("Độ khẩn không hợp lệ."), field="urgency", code="invalid_choice")
        )
    if draft.secrecy not in registry.secrecy:
        errors.append(
            InvalidInput(_("Độ mật không hợp lệ."), field="secrecy", code="invalid_choice")
        )
    recipients = list(Agency.objects.filter(pk__in=draft.recipient_ids).exclude(pk=draft.issuer_id))
    if len(recipients) != len(set(draft.recipient_ids) - {draft.issuer_id}):
        errors.append(
            InvalidInput(
                _("Có nơi nhận không tồn tại."), field="recipient_ids", code="unknown_agency"
            )
        )
    if not recipients and not nfc(draft.recipients_note):
        errors.append(
            InvalidInput(
                _("Văn bản phải có ít nhất một nơi nhận (Nghị định 30/2020/NĐ-CP, Điều 8)."),
                field="recipient_ids",
                code="required",
            )
        )
    today = clock.localtime(clock.now()).date()
    if draft.due_date is not None and draft.due_date < today:
        errors.append(
            InvalidInput(_("Hạn xử lý không được trước hôm nay."), field="due_date", code="in_past")
        )
    if (
        draft.replaces_id is not None
        and not OfficialDocument.objects.filter(
            pk=draft.replaces_id, issuer_id=draft.issuer_id, state=DocumentState.ISSUED
        ).exists()
    ):
        errors.append(
            InvalidInput(
                _("Chỉ thay thế được văn bản đã phát hành của chính cơ quan mình."),
                field="replaces_id",
                code="not_replaceable",
            )
        )
    if errors:
        raise InvalidInputs(errors)
    return issuer, recipients


@transaction.atomic
def compose_document(draft: Draft, *, actor: Any) -> OfficialDocument:
    """Create a draft (dự thảo) on behalf of ``draft.issuer_id``.

    Raises ``Forbidden`` unless ``actor`` is a specialist, clerk or leader there, and
    ``InvalidInputs`` naming every field that breaks a rule; nothing is written then.
    """
    issuer, recipients = _check_draft(draft, actor)
    doc_type = marks_module.marks().types[draft.doc_type]
    now = clock.now()
    summary = nfc(draft.summary)
    drafting_unit = nfc(draft.drafting_unit) or ("VP" if doc_type.is_letter else "")
    document = OfficialDocument.objects.create(
        document_id=str(uuid.uuid4()),
        origin=Origin.COMPOSED,
        issuer=issuer,
        issuer_code=issuer.code,
        issuer_name=issuer.name,
        drafting_unit=drafting_unit,
        doc_type=doc_type.key,
        symbol=make_symbol(issuer, doc_type, drafting_unit),
        series="mat" if draft.secrecy != "thuong" else "",
        place=place_name(issuer),
        summary=summary,
        search_key=search_key(summary)[:500],
        content=draft.content.strip(),
        signer_competence=draft.signer_competence,
        signer_position=nfc(draft.signer_position),
        signer_name=nfc(draft.signer_name),
        recipients_note=draft.recipients_note.strip(),
        urgency=draft.urgency,
        secrecy=draft.secrecy,
        due_date=draft.due_date,
        state=DocumentState.DRAFT,
        replaces_id=draft.replaces_id,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    document.addressees.set(recipients)
    _history(document, "composed", actor=actor, at=now)
    logger.info("eoffice.composed document=%s issuer=%s", document.pk, issuer.pk)
    return document


@transaction.atomic
def edit_draft(pk: int, draft: Draft, *, actor: Any) -> OfficialDocument:
    """Change a draft (after it was sent back, or before it is submitted); the issuer stays."""
    document = _step(
        pk, actor, roles=(Role.SPECIALIST, Role.CLERK, Role.LEADER), sources=(DocumentState.DRAFT,)
    )
    if draft.issuer_id != document.issuer_id:
        raise InvalidInput(
            _("Không đổi được cơ quan ban hành của dự thảo."), field="issuer_id", code="fixed"
        )
    issuer, recipients = _check_draft(draft, actor)
    doc_type = marks_module.marks().types[draft.doc_type]
    drafting_unit = nfc(draft.drafting_unit) or ("VP" if doc_type.is_letter else "")
    summary = nfc(draft.summary)
    changes = {
        "doc_type": doc_type.key,
        "drafting_unit": drafting_unit,
        "symbol": make_symbol(issuer, doc_type, drafting_unit),
        "series": "mat" if draft.secrecy != "thuong" else "",
        "summary": summary,
        "search_key": search_key(summary)[:500],
        "content": draft.content.strip(),
        "signer_competence": draft.signer_competence,
        "signer_position": nfc(draft.signer_position),
        "signer_name": nfc(draft.signer_name),
        "recipients_note": draft.recipients_note.strip(),
        "urgency": draft.urgency,
        "secrecy": draft.secrecy,
        "due_date": draft.due_date,
        "replaces_id": draft.replaces_id,
        "updated_at": clock.now(),
    }
    for name, value in changes.items():
        setattr(document, name, value)
    document.save(update_fields=list(changes))
    document.addressees.set(recipients)
    _history(document, "edited", actor=actor, at=document.updated_at)
    return document


def draft_of(document: OfficialDocument) -> Draft:
    """The compose form's values of an existing draft."""
    assert document.issuer_id is not None  # noqa: S101
    return Draft(
        issuer_id=document.issuer_id,
        doc_type=document.doc_type,
        summary=document.summary,
        content=document.content,
        signer_position=document.signer_position,
        signer_competence=document.signer_competence,
        signer_name=document.signer_name,
        drafting_unit=document.drafting_unit,
        recipient_ids=list(document.addressees.values_list("pk", flat=True)),
        recipients_note=document.recipients_note,
        urgency=document.urgency,
        secrecy=document.secrecy,
        due_date=document.due_date,
        replaces_id=document.replaces_id,
    )


def _load(pk: int, actor: Any, *, for_update: bool = True) -> OfficialDocument:
    queryset = permissions.visible_to(actor, OfficialDocument.objects.select_related("issuer"))
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    document = queryset.filter(pk=pk).first()
    if document is None:
        raise NotFound(code="document_not_found")
    return document


def _step(
    pk: int, actor: Any, *, roles: tuple[str, ...], sources: tuple[str, ...]
) -> OfficialDocument:
    document = _load(pk, actor)
    if not permissions.has_role_in(actor, document.issuer_id, *roles):
        raise Forbidden(code="wrong_role")
    if document.state not in sources:
        raise InvalidTransition()
    return document


def _move(
    document: OfficialDocument, state: str, action: str, *, actor: Any, note: str = ""
) -> None:
    now = clock.now()
    document.state = state
    document.updated_at = now
    document.save(update_fields=["state", "updated_at"])
    _history(document, action, actor=actor, at=now, note=note)
    logger.info("eoffice.%s document=%s", action, document.pk)


@transaction.atomic
def submit_for_review(pk: int, *, actor: Any) -> OfficialDocument:
    """The drafter sends the draft to the leader (trình duyệt)."""
    document = _step(pk, actor, roles=(Role.SPECIALIST, Role.CLERK), sources=(DocumentState.DRAFT,))
    _move(document, DocumentState.IN_REVIEW, "submitted", actor=actor)
    return document


@transaction.atomic
def approve_document(pk: int, *, actor: Any, note: str = "") -> OfficialDocument:
    """The leader approves the draft's text; it then waits for the signature."""
    document = _step(pk, actor, roles=(Role.LEADER,), sources=(DocumentState.IN_REVIEW,))
    _move(document, DocumentState.APPROVED, "approved", actor=actor, note=note.strip())
    return document


@transaction.atomic
def send_back(pk: int, *, actor: Any, reason: str) -> OfficialDocument:
    """The leader returns the draft to its drafter with a reason."""
    document = _step(
        pk, actor, roles=(Role.LEADER,), sources=(DocumentState.IN_REVIEW, DocumentState.APPROVED)
    )
    if not reason.strip():
        raise InvalidInput(_("Ghi lý do trả lại."), field="reason", code="required")
    _move(document, DocumentState.DRAFT, "sent_back", actor=actor, note=reason.strip())
    return document


def render_pdf(document: OfficialDocument) -> bytes:
    """The document in the layout of Decree 30/2020/NĐ-CP Annex I, without its number."""
    import weasyprint

    from motcua.dossiers.pdf import OfflineUrlFetcher

    registry = marks_module.marks()
    doc_type = registry.types[document.doc_type]
    issuer = document.issuer
    mark_names = [
        registry.secrecy[document.secrecy].name if document.secrecy != "thuong" else "",
        registry.urgency[document.urgency].name if document.urgency != "thuong" else "",
    ]
    lines = [nfc(a.name) for a in document.addressees.all()]
    lines += [line.strip(" -;.") for line in document.recipients_note.splitlines() if line.strip()]
    # The archive line closes the list once: the drafter's own ("Lưu: VT, VP") or the default.
    archive = [line for line in lines if line.casefold().startswith("lưu")]
    lines = [line for line in lines if line not in archive]
    context = {
        "doc": document,
        "doc_type": doc_type,
        "parent": issuer.parent.name if issuer is not None and issuer.parent else "",
        "year": clock.localtime(clock.now()).year,
        "marks": " · ".join(m for m in mark_names if m),
        "paragraphs": [p.strip() for p in document.content.splitlines() if p.strip()],
        "recipients": lines,
        "archive": archive[-1] if archive else "Lưu: VT",
        "letter_summary": _letter_summary(document.summary),
        "competence_line": _competence_line(document),
    }
    with translation.override("vi"):
        html = render_to_string(DOCUMENT_TEMPLATE, context)
    pdf: bytes = weasyprint.HTML(
        string=html, base_url=None, url_fetcher=OfflineUrlFetcher()
    ).write_pdf()
    return pdf


def _letter_summary(summary: str) -> str:
    """A công văn's summary follows "V/v" (về việc): a summary that already starts with it, or
    with the words in full, is not prefixed twice."""
    text = summary.strip()
    for prefix in ("v/v", "về việc"):
        if text.casefold().startswith(prefix):
            return text[len(prefix) :].lstrip(" :")
    return text


def _competence_line(document: OfficialDocument) -> str:
    kind = AgencyKind(document.issuer.kind) if document.issuer else None
    if document.signer_competence == Competence.TM:
        body = _COLLECTIVES.get(kind, document.issuer_name.upper()) if kind else ""
        return f"TM. {body}"
    if document.signer_competence:
        head = _HEAD_TITLES.get(kind, "GIÁM ĐỐC") if kind else ""
        return f"{document.signer_competence} {head}"
    return ""


def _reason(document: OfficialDocument) -> str:
    name = marks_module.marks().types[document.doc_type].name
    return f"{name}: {document.summary}"[:200]


@transaction.atomic
def sign_document(pk: int, *, actor: Any) -> OfficialDocument:
    """The leader signs the approved document (PAdES, visible stamp, +07:00).

    The PDF is rendered now, in the Decree 30 layout with the number left blank for the clerk.
    Raises ``PkiMissing`` (409) while no signing keys exist.
    """
    document = _step(pk, actor, roles=(Role.LEADER,), sources=(DocumentState.APPROVED,))
    signing.require_pki()
    assert document.issuer is not None  # noqa: S101 (composed documents have an issuer)
    document.signer = actor
    document.signer_name = document.signer_name or actor.full_name or actor.username
    content = signing.sign_as_person(
        render_pdf(document),
        user=actor,
        agency=document.issuer,
        position=document.signer_position,
        reason=_reason(document),
    )
    _store_pdf(document, content, f"{document.document_id}-da-ky.pdf")
    document.save(update_fields=["signer", "signer_name", "pdf", "pdf_sha256"])
    _move(document, DocumentState.SIGNED, "signed", actor=actor)
    return document


def _store_pdf(document: OfficialDocument, content: bytes, name: str) -> None:
    if document.pdf:
        document.pdf.delete(save=False)
    document.pdf.save(name, ContentFile(content), save=False)
    document.pdf_sha256 = hashlib.sha256(content).hexdigest()


def outgoing_key(agency_id: int, year: int, series: str) -> str:
    """The counter of an agency's outgoing register in a (local) year; secret documents keep a
    series of their own (Decree 30/2020/NĐ-CP Art. 15(1))."""
    return f"eoffice:outgoing:{agency_id}:{year}" + (f":{series}" if series else "")


@transaction.atomic
def issue_document(pk: int, *, actor: Any) -> OfficialDocument:
    """The clerk issues a signed document: the next number of the agency's register for the
    current year (from 01 on 1 January, no gaps, Art. 15), an outgoing-register line, the
    organisation's seal signature whose stamp shows the number and the date. A replacement
    marks the document it replaces as replaced."""
    document = _step(pk, actor, roles=(Role.CLERK,), sources=(DocumentState.SIGNED,))
    assert document.issuer is not None  # noqa: S101
    signing.require_pki()
    now = clock.now()
    year = clock.localtime(now).year
    number = sequences.next_value(outgoing_key(document.issuer.pk, year, document.series))
    document.number, document.year, document.issued_at = number, year, now
    with document.pdf.open("rb") as handle:
        signed = handle.read()
    sealed = signing.seal_with_number(
        signed, agency=document.issuer, number_text=document.number_text, reason=_reason(document)
    )
    _store_pdf(document, sealed, f"{number:02d}-{document.symbol}-{year}.pdf")
    document.save(update_fields=["number", "year", "issued_at", "pdf", "pdf_sha256"])
    OutgoingEntry.objects.create(
        agency=document.issuer,
        year=year,
        series=document.series,
        number=number,
        document=document,
        registered_at=now,
        registered_by=actor,
    )
    _move(document, DocumentState.ISSUED, "issued", actor=actor, note=document.number_text)
    if document.replaces_id is not None:
        old = OfficialDocument.objects.select_for_update().get(pk=document.replaces_id)
        _move(old, DocumentState.REPLACED, "replaced", actor=actor, note=document.number_text)
        _tell_recipients(old, "replaced", actor=actor, note=document.number_text)
    return document


# --- sending and receiving ----------------------------------------------------------------------


@transaction.atomic
def dispatch_document(pk: int, *, actor: Any) -> list[Dispatch]:
    """Send an issued document to every addressee of this installation: each gets an entry in
    its inbox at once (status "received"). Sending twice adds only new addressees."""
    document = _step(pk, actor, roles=(Role.CLERK,), sources=(DocumentState.ISSUED,))
    now = clock.now()
    # Dispatches to other systems have no agency: NOT IN with a NULL would exclude everything.
    already = set(
        document.dispatches.filter(agency__isnull=False).values_list("agency_id", flat=True)
    )
    created = []
    for agency in document.addressees.exclude(pk__in=already).order_by("pk"):
        dispatch = Dispatch.objects.create(
            document=document,
            agency=agency,
            peer_code=agency.code,
            peer_name=agency.name,
            status=DispatchStatus.SENT,
            status_at=now,
            sent_at=now,
        )
        _history(document, "sent", actor=actor, at=now, dispatch=dispatch)
        IncomingEntry.objects.create(dispatch=dispatch, agency=agency, arrived_at=now)
        _set_status(dispatch, DispatchStatus.RECEIVED, actor="system", note="")
        created.append(dispatch)
    if not created and not already:
        raise InvalidInput(
            _("Văn bản không có nơi nhận trong hệ thống."),
            field="recipient_ids",
            code="no_recipient",
        )
    logger.info("eoffice.dispatched document=%s recipients=%s", document.pk, len(created))
    return created


def _set_status(dispatch: Dispatch, status: str, *, actor: Any, note: str) -> None:
    """A recipient's new status, seen by the sender (history of the document) at once."""
    now = clock.now()
    dispatch.status, dispatch.status_at, dispatch.status_note = status, now, note
    dispatch.save(update_fields=["status", "status_at", "status_note"])
    _history(
        dispatch.document, f"status_{status}", actor=actor, at=now, dispatch=dispatch, note=note
    )
    if dispatch.document.origin == Origin.EXTERNAL and status != DispatchStatus.RECEIVED:
        from motcua.eoffice import peers, transport

        if transport.queues_in_transaction():
            peers.report_status(dispatch.pk)  # the outbox message commits with the status
        else:
            transaction.on_commit(lambda: peers.report_status(dispatch.pk))


def _entry(pk: int, actor: Any) -> IncomingEntry:
    entry = (
        IncomingEntry.objects.select_for_update(of=("self",))
        .select_related("dispatch__document", "agency")
        .filter(pk=pk, dispatch__in=permissions.dispatches_visible_to(actor))
        .first()
    )
    if entry is None:
        raise NotFound(code="entry_not_found")
    return entry


def _check_open(entry: IncomingEntry, *statuses: str) -> None:
    if entry.dispatch.status not in statuses:
        raise InvalidTransition()
    if entry.dispatch.document.state in (DocumentState.REVOKED,):
        raise InvalidTransition(_("Văn bản đã bị thu hồi."), code="revoked")


@transaction.atomic
def register_incoming(pk: int, *, actor: Any) -> IncomingEntry:
    """The recipient's clerk enters the document in the incoming register (số đến, from 1 each
    year) on the day it arrives (Art. 4); the sender sees "accepted"."""
    entry = _entry(pk, actor)
    if not permissions.has_role_in(actor, entry.agency_id, Role.CLERK):
        raise Forbidden(code="wrong_role")
    _check_open(entry, DispatchStatus.RECEIVED)
    now = clock.now()
    entry.year = clock.localtime(now).year
    entry.number = sequences.next_value(f"eoffice:incoming:{entry.agency_id}:{entry.year}")
    entry.registered_at, entry.registered_by = now, actor
    entry.save(update_fields=["year", "number", "registered_at", "registered_by"])
    _set_status(entry.dispatch, DispatchStatus.ACCEPTED, actor=actor, note=f"Số đến {entry.number}")
    return entry


@transaction.atomic
def reject_incoming(pk: int, *, actor: Any, reason: str) -> IncomingEntry:
    """The recipient's clerk refuses the document (not for this agency, unreadable)."""
    entry = _entry(pk, actor)
    if not permissions.has_role_in(actor, entry.agency_id, Role.CLERK):
        raise Forbidden(code="wrong_role")
    _check_open(entry, DispatchStatus.RECEIVED)
    if not reason.strip():
        raise InvalidInput(_("Ghi lý do từ chối."), field="reason", code="required")
    _set_status(entry.dispatch, DispatchStatus.REJECTED, actor=actor, note=reason.strip())
    return entry


@transaction.atomic
def assign_handler(pk: int, *, actor: Any, handler_id: int, days: int) -> IncomingEntry:
    """The clerk (or a leader) of the receiving agency hands the document to one of its
    officers, due ``days`` working days from now (motcua.deadlines)."""
    entry = _entry(pk, actor)
    if not permissions.has_role_in(actor, entry.agency_id, Role.CLERK, Role.LEADER):
        raise Forbidden(code="wrong_role")
    _check_open(entry, DispatchStatus.ACCEPTED, DispatchStatus.PROCESSING)
    errors = []
    if not Membership.objects.filter(user_id=handler_id, agency_id=entry.agency_id).exists():
        errors.append(
            InvalidInput(
                _("Người xử lý phải là cán bộ của %(agency)s."),
                field="handler_id",
                code="not_a_member",
                agency=entry.agency.name,
            )
        )
    if not 1 <= days <= MAX_ASSIGN_DAYS:
        errors.append(
            InvalidInput(
                _("Thời hạn xử lý phải từ 1 đến %(max)s ngày làm việc."),
                field="days",
                code="out_of_range",
                max=MAX_ASSIGN_DAYS,
            )
        )
    if errors:
        raise InvalidInputs(errors)
    now = clock.now()
    entry.handler_id, entry.assigned_at = handler_id, now
    entry.due_at = default_calendar().due_at(now, days).due_at
    entry.save(update_fields=["handler", "assigned_at", "due_at"])
    _history(
        entry.dispatch.document, "assigned", actor=actor, at=now, dispatch=entry.dispatch,
        note=clock.localtime(entry.due_at).strftime("%H:%M %d/%m/%Y"),
    )  # fmt: skip
    return entry


@transaction.atomic
def start_handling(pk: int, *, actor: Any) -> IncomingEntry:
    """The handler starts; the sender sees "processing"."""
    entry = _entry(pk, actor)
    if entry.handler_id != actor.pk:
        raise Forbidden(code="not_handler")
    _check_open(entry, DispatchStatus.ACCEPTED)
    _set_status(entry.dispatch, DispatchStatus.PROCESSING, actor=actor, note="")
    return entry


@transaction.atomic
def complete_handling(pk: int, *, actor: Any, note: str = "") -> IncomingEntry:
    """The handler has dealt with the document; the sender sees "done"."""
    entry = _entry(pk, actor)
    if entry.handler_id != actor.pk:
        raise Forbidden(code="not_handler")
    _check_open(entry, DispatchStatus.ACCEPTED, DispatchStatus.PROCESSING)
    entry.done_at = clock.now()
    entry.save(update_fields=["done_at"])
    _set_status(entry.dispatch, DispatchStatus.DONE, actor=actor, note=note.strip())
    return entry


# --- after issue: revoke, update, replace -------------------------------------------------------


def _tell_recipients(document: OfficialDocument, action: str, *, actor: Any, note: str) -> None:
    now = clock.now()
    for dispatch in document.dispatches.all():
        _history(document, f"recipient_{action}", actor=actor, at=now, dispatch=dispatch, note=note)


@transaction.atomic
def revoke_document(pk: int, *, actor: Any, reason: str) -> OfficialDocument:
    """The issuing agency's leader or clerk revokes an issued document; every recipient sees
    it revoked and can no longer act on it."""
    document = _step(pk, actor, roles=(Role.LEADER, Role.CLERK), sources=(DocumentState.ISSUED,))
    if not reason.strip():
        raise InvalidInput(_("Ghi lý do thu hồi."), field="reason", code="required")
    document.revoked_at, document.revoke_reason = clock.now(), reason.strip()
    document.save(update_fields=["revoked_at", "revoke_reason"])
    _move(document, DocumentState.REVOKED, "revoked", actor=actor, note=reason.strip())
    _tell_recipients(document, "revoked", actor=actor, note=reason.strip())
    _notify_peers(document, "revoke", reason.strip())
    return document


@transaction.atomic
def update_document(pk: int, *, actor: Any, due_date: date | None, note: str) -> OfficialDocument:
    """Change the processing deadline of an issued document (edXML "update"): the signed text
    stays as signed; every recipient sees the change and its reason."""
    document = _step(pk, actor, roles=(Role.LEADER, Role.CLERK), sources=(DocumentState.ISSUED,))
    if not note.strip():
        raise InvalidInput(_("Ghi nội dung cập nhật."), field="note", code="required")
    document.due_date = due_date
    document.updated_at = clock.now()
    document.save(update_fields=["due_date", "updated_at"])
    text = note.strip() + (f" ({due_date:%d/%m/%Y})" if due_date else "")
    _history(document, "updated", actor=actor, at=document.updated_at, note=text)
    _tell_recipients(document, "updated", actor=actor, note=text)
    _notify_peers(document, "update", note.strip())
    return document


def _notify_peers(document: OfficialDocument, business: str, reason: str) -> None:
    """Recipients in other systems learn of it by envelope: queued in this transaction (the
    exchange outbox), or sent once it commits by a transport that delivers at once."""
    if document.dispatches.filter(agency__isnull=True).exists():
        from motcua.eoffice import peers, transport

        if transport.queues_in_transaction():
            peers.notify_peers(document.pk, business, reason)
        else:
            transaction.on_commit(lambda: peers.notify_peers(document.pk, business, reason))


# --- dossier forms and results ------------------------------------------------------------------


def register_dossier_document(
    stored: Any,
    *,
    agency: Agency,
    doc_type: str,
    symbol: str,
    summary: str,
    signer: Any = None,
    signer_position: str = "",
) -> OfficialDocument:
    """Register a signed dossier form or result (``stored`` is its ``DossierFile``) as an
    issued document of ``agency``. Its number is the one printed on it (from the dossier
    code), so it takes no number of the agency's outgoing register; the file is not copied.

    Called by ``motcua.dossiers.documents`` inside the transaction that stores the file.
    """
    now = stored.created_at
    document = OfficialDocument.objects.create(
        document_id=str(uuid.uuid4()),
        origin=Origin.DOSSIER,
        issuer=agency,
        issuer_code=agency.code,
        issuer_name=agency.name,
        doc_type=marks_module.document_type(doc_type).key,
        symbol=symbol,
        place=place_name(agency),
        issued_at=now,
        year=clock.localtime(now).year,
        summary=summary[:500],
        search_key=search_key(summary)[:500],
        signer_position=signer_position,
        signer_name=str(getattr(signer, "full_name", "") or getattr(signer, "username", "")),
        signer=signer if getattr(signer, "is_authenticated", False) else None,
        state=DocumentState.ISSUED,
        pdf=stored.file.name,
        pdf_sha256=stored.sha256,
        dossier_id=stored.dossier_id,
        created_at=now,
        updated_at=now,
    )
    DocumentHistory.objects.create(document=document, action="issued", at=now, note=symbol)
    audit.record("eoffice.dossier_document", document, actor=signer, data={"symbol": symbol})
    logger.info("eoffice.dossier_document document=%s dossier=%s", document.pk, stored.dossier_id)
    return document
