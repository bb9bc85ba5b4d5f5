"""Every state change of a dossier: one function per business verb.

Each runs in one transaction: lock the dossier, check the transition and the actor's role and
unit, change, write the history row and the audit row, and send ``dossier_transitioned`` so
that outbound work joins the same transaction.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from motcua.catalog.eform import validate_form_data
from motcua.catalog.selectors import get_current_procedure
from motcua.core import audit, clock
from motcua.core.errors import (
    Conflict,
    InvalidInput,
    InvalidInputs,
    InvalidTransition,
    NotFound,
)
from motcua.core.sequences import next_value
from motcua.dossiers import permissions, routing
from motcua.dossiers.clock import deadline_for
from motcua.dossiers.models import Dossier, DossierEvent, DossierFile, FileKind, SupplementRequest
from motcua.dossiers.signals import dossier_transitioned
from motcua.dossiers.states import TRANSITIONS, Channel, State
from motcua.dossiers.uploads import CheckedUpload, Upload, check_upload
from motcua.org.models import Agency, Membership, Role
from motcua.payments import services as payments

logger = logging.getLogger(__name__)
APPLICANT = "applicant"
SYSTEM = "system"


# --- registration -----------------------------------------------------------------------------


def dossier_code(agency: Agency, moment: datetime) -> str:
    """``<receiving agency identifier>-YYMMDD-XXXX`` (Circular 01/2018/TT-VPCP Art. 19), with a
    per-agency per-day sequence in Vietnam time. Call inside the registering transaction."""
    day = clock.localtime(moment).strftime("%y%m%d")
    number = next_value(f"dossier:{agency.code}:{day}")
    return f"{agency.code}-{day}-{number:04d}"


def submit_online(
    *,
    procedure_code: str,
    center_id: int,
    form_data: dict[str, Any],
    uploads: Sequence[Upload] = (),
    idempotency_key: str | None = None,
) -> Dossier:
    """A citizen files a dossier online at any service center of the province (boundaryless).

    Returns the registered dossier (code given, invoice created). A repeated call with the same
    ``idempotency_key`` returns the dossier of the first call and writes nothing.
    """
    if idempotency_key:
        _check_idempotency_key(idempotency_key)
        existing = Dossier.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_applicant(existing, form_data)
    try:
        return _register(
            procedure_code=procedure_code,
            center_id=center_id,
            form_data=form_data,
            uploads=uploads,
            channel=Channel.ONLINE,
            idempotency_key=idempotency_key,
            actor=APPLICANT,
        )
    except IntegrityError:
        if idempotency_key:
            existing = Dossier.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _same_applicant(existing, form_data)
        raise


def _same_applicant(existing: Dossier, form_data: dict[str, Any]) -> Dossier:
    """A repeat must come from the same applicant: a reused key never reveals another's dossier."""
    given = str(form_data.get("requester_id_number", "")).strip().replace(" ", "")
    if not hmac.compare_digest(given, existing.applicant_id_number):
        raise Conflict(
            _("Khóa chống nộp trùng đã được dùng cho một hồ sơ khác."),
            field="idempotency_key",
            code="idempotency_key_reused",
        )
    return existing


def _check_idempotency_key(key: str) -> None:
    limit = Dossier._meta.get_field("idempotency_key").max_length or 64
    if len(key) > limit or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            _("Khóa chống nộp trùng phải gồm tối đa %(limit)s ký tự ASCII in được."),
            field="idempotency_key",
            code="idempotency_key",
            limit=limit,
        )


def register_at_counter(
    *,
    actor: Any,
    procedure_code: str,
    form_data: dict[str, Any],
    uploads: Sequence[Upload] = (),
    channel: int = Channel.DIRECT,
) -> Dossier:
    """A receiving officer registers a dossier brought to the counter (or by post): it is
    registered and, being checked at the counter, accepted at once."""
    center = _center_of_receiver(actor)
    dossier = _register(
        procedure_code=procedure_code,
        center_id=center.pk,
        form_data=form_data,
        uploads=uploads,
        channel=channel,
        idempotency_key=None,
        actor=actor,
    )
    return accept(dossier.pk, actor=actor)


def _center_of_receiver(actor: Any) -> Agency:
    membership = next(
        (m for m in permissions.memberships_of(actor) if m.role == Role.RECEIVER), None
    )
    if membership is None or not membership.agency.is_service_center:
        raise NotFound(_("Bạn không thuộc bộ phận tiếp nhận nào."), code="no_center")
    return membership.agency


def _register(
    *,
    procedure_code: str,
    center_id: int,
    form_data: dict[str, Any],
    uploads: Sequence[Upload],
    channel: int,
    idempotency_key: str | None,
    actor: Any,
) -> Dossier:
    procedure = get_current_procedure(procedure_code)
    center = routing.get_receiving_center(center_id)
    # Every error of the form and of the files in one answer (Decree 61/2018 Art. 15(3)).
    errors: list[InvalidInput] = []
    try:
        cleaned = validate_form_data(procedure.form_schema, form_data)
    except InvalidInputs as error:
        errors.extend(error.errors)
    checked: list[CheckedUpload] = []
    try:
        checked = _check_uploads(uploads, procedure)
    except InvalidInputs as error:
        errors.extend(error.errors)
    errors.extend(_missing_required_components(procedure, uploads))
    if errors:
        raise InvalidInputs(errors)
    competent = routing.competent_agency_for(procedure, center, cleaned)
    now = clock.now()
    with transaction.atomic():
        dossier = Dossier.objects.create(
            code=dossier_code(center, now),
            procedure=procedure,
            receiving_agency=center,
            competent_agency=competent,
            state=State.SUBMITTED,
            channel=channel,
            applicant_name=cleaned.get("requester_name", ""),
            applicant_id_number=cleaned.get("requester_id_number", ""),
            applicant_phone=cleaned.get("requester_phone", ""),
            applicant_email=cleaned.get("requester_email", ""),
            applicant_address=cleaned.get("requester_address", ""),
            summary=_summary(procedure.name_vi, cleaned),
            form_data=cleaned,
            submitted_at=now,
            access_token=secrets.token_urlsafe(24),
            idempotency_key=idempotency_key,
        )
        _store_files(dossier, checked, FileKind.ATTACHMENT, now)
        payments.create_invoice(dossier, now=now)
        _record(dossier, "submit", "", actor, now, data={"channel": channel})
    logger.info(
        "dossier.registered id=%s code=%s center=%s procedure=%s channel=%s",
        dossier.pk, dossier.code, center.pk, procedure.code, channel,
    )  # fmt: skip
    return dossier


def _summary(procedure_name: str, cleaned: dict[str, Any]) -> str:
    subject = cleaned.get("subject_name") or cleaned.get("requester_name", "")
    return f"{procedure_name} – {subject}"[:500]


def _check_uploads(uploads: Sequence[Upload], procedure: Any) -> list[CheckedUpload]:
    keys = set(procedure.documents.values_list("key", flat=True))
    errors: list[InvalidInput] = []
    checked: list[CheckedUpload] = []
    for index, upload in enumerate(uploads):
        field = f"files[{index}]"
        if upload.component_key and upload.component_key not in keys:
            errors.append(
                InvalidInput(
                    _("Thành phần hồ sơ không có trong thủ tục."),
                    field=field,
                    code="unknown_component",
                )
            )
            continue
        try:
            checked.append(check_upload(upload, field))
        except InvalidInput as error:
            errors.append(error)
    if errors:
        raise InvalidInputs(errors)
    return checked


def _missing_required_components(procedure: Any, uploads: Sequence[Upload]) -> list[InvalidInput]:
    given = {upload.component_key for upload in uploads}
    return [
        InvalidInput(
            _("Thiếu tệp đính kèm bắt buộc “%(name)s”."),
            field=f"component:{document.key}",
            code="component_required",
            name=document.name,
        )
        for document in procedure.documents.filter(upload="required")
        if document.key not in given
    ]


def _store_files(
    dossier: Dossier, files: Sequence[CheckedUpload], kind: str, now: datetime
) -> list[DossierFile]:
    stored = []
    for item in files:
        record = DossierFile(
            dossier=dossier,
            kind=kind,
            component_key=item.component_key,
            original_name=item.name,
            content_type=item.content_type,
            size=len(item.content),
            sha256=item.sha256,
            created_at=now,
        )
        record.file.save(
            f"{uuid.uuid4().hex}.{item.extension}", ContentFile(item.content), save=False
        )
        record.save()
        stored.append(record)
    return stored


def attach_generated(
    dossier: Dossier, kind: str, name: str, content: bytes, now: datetime
) -> DossierFile:
    """Store a document the system produced (receipt slip, result) with the dossier."""
    import hashlib

    checked = CheckedUpload(
        name=name,
        content=content,
        component_key="",
        content_type="application/pdf",
        extension="pdf",
        sha256=hashlib.sha256(content).hexdigest(),
    )
    return _store_files(dossier, [checked], kind, now)[0]


# --- the one place where a state changes -------------------------------------------------------


def _act(
    dossier_id: int,
    action: str,
    *,
    actor: Any,
    change: Callable[[Dossier, datetime], str],
    note: str = "",
    data: dict[str, Any] | None = None,
    access_token: str | None = None,
) -> Dossier:
    transition = TRANSITIONS[action]
    with transaction.atomic():
        dossier = _locked(dossier_id, actor, access_token)
        if transition.role is not None:
            permissions.check_officer_may(actor, dossier, transition)
        if dossier.state not in transition.sources:
            raise InvalidTransition(
                _("Không thể “%(action)s” khi hồ sơ đang ở trạng thái “%(state)s”."),
                code="invalid_transition",
                action=_action_label(action),
                state=State(dossier.state).label,
            )
        from_state, now = dossier.state, clock.now()
        dossier.state = change(dossier, now)
        dossier.save()
        event = _record(dossier, action, from_state, actor, now, note=note, data=data)
    logger.info("dossier.%s id=%s from=%s to=%s", action, dossier.pk, from_state, dossier.state)
    del event
    return dossier


def _locked(dossier_id: int, actor: Any, access_token: str | None) -> Dossier:
    queryset = Dossier.objects.select_for_update().select_related(
        "procedure", "receiving_agency", "competent_agency"
    )
    if access_token is not None:
        queryset = queryset.filter(access_token=access_token)
    elif actor not in (SYSTEM,):
        queryset = permissions.visible_to(actor, queryset)
    dossier = queryset.filter(pk=dossier_id).first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ."), code="dossier_not_found")
    return dossier


def _record(
    dossier: Dossier,
    action: str,
    from_state: str,
    actor: Any,
    now: datetime,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> DossierEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    agency = _acting_agency(actor, dossier) if user else None
    event = DossierEvent.objects.create(
        dossier=dossier,
        at=now,
        action=action,
        from_state=from_state,
        to_state=dossier.state,
        actor=user,
        actor_label=audit.actor_label(actor),
        agency=agency,
        note=note,
        data=data or {},
    )
    audit.record(
        f"dossier.{action}",
        dossier,
        actor=actor,
        data={"from": from_state, "to": dossier.state, **(data or {})},
    )
    dossier_transitioned.send(
        sender=Dossier, dossier=dossier, action=action, from_state=from_state, event=event
    )
    return event


def _acting_agency(user: Any, dossier: Dossier) -> Agency | None:
    ids = {dossier.receiving_agency_id, dossier.competent_agency_id}
    for membership in permissions.memberships_of(user):
        if membership.agency_id in ids:
            return membership.agency
    return None


def _action_label(action: str) -> str:
    from motcua.dossiers.states import ACTION_LABELS

    return str(ACTION_LABELS.get(action, action))


def _require_text(value: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(_("Cần ghi rõ lý do."), field=field, code="required")
    return text


# --- reception ---------------------------------------------------------------------------------


def accept(dossier_id: int, *, actor: Any) -> Dossier:
    """Receive the dossier (tiếp nhận): the clock starts, the receipt slip (Mẫu 01) is issued.
    An unpaid fee holds the dossier in "awaiting payment" until it is paid."""

    def change(dossier: Dossier, now: datetime) -> str:
        if payments.is_settled(dossier):
            _start_clock(dossier, now)
            return State.ACCEPTED
        return State.AWAITING_PAYMENT

    dossier = _act(dossier_id, "accept", actor=actor, change=change)
    if dossier.state == State.ACCEPTED:
        _issue_receipt_slip(dossier, actor)
    return dossier


def _start_clock(dossier: Dossier, now: datetime) -> None:
    """Start (or, after an appraisal-stage supplement, restart) the legal clock. The receipt
    time stays the first one: it is the national portal's NgayTiepNhan."""
    deadline = deadline_for(dossier.procedure, now)
    if dossier.accepted_at is None:
        dossier.accepted_at = now
    dossier.counting_starts = deadline.counting_starts
    dossier.due_at = deadline.due_at


def _issue_receipt_slip(dossier: Dossier, actor: Any) -> None:
    from motcua.dossiers import documents

    documents.issue_receipt_slip(dossier, officer=actor)


def settle_payment(dossier_id: int) -> Dossier:
    """The fee of a dossier held for payment has been paid: reception completes now."""

    def change(dossier: Dossier, now: datetime) -> str:
        _start_clock(dossier, now)
        return State.ACCEPTED

    dossier = _act(dossier_id, "settle_payment", actor=SYSTEM, change=change)
    accepted_by = dossier.events.filter(action="accept").select_related("actor").last()
    _issue_receipt_slip(dossier, accepted_by.actor if accepted_by else None)
    return dossier


def refuse(dossier_id: int, *, actor: Any, reason: str) -> Dossier:
    """Refuse to receive (Mẫu 03), with reasons."""
    reason = _require_text(reason, "reason")

    def change(dossier: Dossier, now: datetime) -> str:
        dossier.decision_note = reason
        dossier.closed_at = now
        return State.REFUSED

    return _act(dossier_id, "refuse", actor=actor, change=change, note=reason)


def request_supplement(
    dossier_id: int, *, actor: Any, items: Sequence[str], reason: str
) -> Dossier:
    """Ask for the missing documents once and completely (Mẫu 02, Decree 61/2018 Art. 15(3)).

    At reception (receiving officer) or after appraisal (specialist of the competent unit)."""
    reason = _require_text(reason, "reason")
    clean_items = [item.strip() for item in items if item and item.strip()]
    if not clean_items:
        raise InvalidInput(
            _("Cần liệt kê đầy đủ các giấy tờ phải bổ sung."), field="items", code="required"
        )
    dossier = Dossier.objects.filter(pk=dossier_id).only("state").first()
    action = (
        "request_supplement_after_appraisal"
        if dossier is not None and dossier.state == State.PROCESSING
        else "request_supplement"
    )

    def change(dossier: Dossier, now: datetime) -> str:
        stage = "appraisal" if action.endswith("appraisal") else "reception"
        SupplementRequest.objects.create(
            dossier=dossier,
            stage=stage,
            requested_at=now,
            requested_by=actor,
            items=clean_items,
            reason=reason,
        )
        dossier.supplement_count += 1
        return State.SUPPLEMENT_REQUESTED

    return _act(
        dossier_id, action, actor=actor, change=change, note=reason, data={"items": clean_items}
    )


def supplement(
    dossier_id: int, *, access_token: str, uploads: Sequence[Upload], note: str = ""
) -> Dossier:
    """The applicant completes the dossier. After an appraisal-stage request the legal clock
    restarts from zero (Decree 61/2018 Art. 19(4))."""
    dossier = Dossier.objects.filter(pk=dossier_id, access_token=access_token).first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ."), code="dossier_not_found")
    checked = _check_uploads(uploads, dossier.procedure)
    if not checked and not note.strip():
        raise InvalidInput(
            _("Cần gửi giấy tờ bổ sung hoặc ghi chú."), field="files", code="required"
        )

    def change(dossier: Dossier, now: datetime) -> str:
        request = dossier.supplements.filter(completed_at__isnull=True).last()
        _store_files(dossier, checked, FileKind.ATTACHMENT, now)
        if request is None or request.stage == "reception":
            if request:
                request.completed_at = now
                request.save(update_fields=["completed_at"])
            return State.SUBMITTED
        request.completed_at = now
        request.save(update_fields=["completed_at"])
        _start_clock(dossier, now)
        return State.PROCESSING

    return _act(
        dossier_id,
        "supplement",
        actor=APPLICANT,
        change=change,
        note=note.strip(),
        access_token=access_token,
        data={"files": len(checked)},
    )


def withdraw(dossier_id: int, *, access_token: str, reason: str) -> Dossier:
    """The applicant withdraws the dossier (national status 7)."""
    reason = _require_text(reason, "reason")

    def change(dossier: Dossier, now: datetime) -> str:
        dossier.decision_note = reason
        dossier.closed_at = now
        return State.WITHDRAWN

    return _act(
        dossier_id,
        "withdraw",
        actor=APPLICANT,
        change=change,
        note=reason,
        access_token=access_token,
    )


# --- processing --------------------------------------------------------------------------------


def start_processing(dossier_id: int, *, actor: Any) -> Dossier:
    """A specialist of the competent unit takes the dossier."""

    def change(dossier: Dossier, now: datetime) -> str:
        dossier.assignee = actor
        return State.PROCESSING

    return _act(dossier_id, "start_processing", actor=actor, change=change)


def assign(dossier_id: int, *, actor: Any, assignee_id: int) -> Dossier:
    """The unit leader assigns (or reassigns) a specialist of the competent unit."""

    def change(dossier: Dossier, now: datetime) -> str:
        ok = (
            Membership.objects.filter(
                user_id=assignee_id, agency=dossier.competent_agency, role=Role.SPECIALIST
            )
            .select_related("user")
            .first()
        )
        if ok is None:
            raise InvalidInput(
                _("Người được phân công không phải chuyên viên của đơn vị."),
                field="assignee",
                code="not_a_specialist",
            )
        dossier.assignee = ok.user
        return State.PROCESSING

    return _act(dossier_id, "assign", actor=actor, change=change, data={"assignee": assignee_id})


def submit_for_approval(dossier_id: int, *, actor: Any, note: str) -> Dossier:
    """The specialist records the appraisal and proposes the result to the leader."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Cần ghi ý kiến xử lý, đề xuất."), field="note", code="required")

    def change(dossier: Dossier, now: datetime) -> str:
        if dossier.assignee_id not in (None, actor.pk):
            raise InvalidTransition(_("Hồ sơ đang do chuyên viên khác xử lý."), code="not_assignee")
        dossier.assignee = actor
        dossier.processing_note = note
        return State.AWAITING_APPROVAL

    return _act(dossier_id, "submit_for_approval", actor=actor, change=change, note=note)


def send_back(dossier_id: int, *, actor: Any, reason: str) -> Dossier:
    reason = _require_text(reason, "reason")
    return _act(
        dossier_id, "send_back", actor=actor, change=lambda d, now: State.PROCESSING, note=reason
    )


def approve(dossier_id: int, *, actor: Any, note: str = "") -> Dossier:
    """The leader approves: the result is produced and processing ends (national status 9)."""
    from motcua.dossiers import documents

    def change(dossier: Dossier, now: datetime) -> str:
        dossier.finished_at = now
        dossier.decision_note = note.strip()
        documents.issue_result(dossier, signer=actor, now=now)
        return State.APPROVED

    return _act(dossier_id, "approve", actor=actor, change=change, note=note.strip())


def stop(dossier_id: int, *, actor: Any, reason: str) -> Dossier:
    """The leader stops processing with reasons (refusal after appraisal, national status 8)."""
    reason = _require_text(reason, "reason")

    def change(dossier: Dossier, now: datetime) -> str:
        dossier.finished_at = dossier.closed_at = now
        dossier.decision_note = reason
        return State.STOPPED

    return _act(dossier_id, "stop", actor=actor, change=change, note=reason)


def return_result(dossier_id: int, *, actor: Any) -> Dossier:
    """Hand the result over (national status 10); the fee must be settled first."""

    def change(dossier: Dossier, now: datetime) -> str:
        if not payments.is_settled(dossier):
            raise InvalidTransition(
                _("Người nộp chưa nộp phí, lệ phí; chưa thể trả kết quả."), code="fee_unpaid"
            )
        dossier.returned_at = dossier.closed_at = now
        return State.RETURNED

    return _act(dossier_id, "return_result", actor=actor, change=change)


def record_cash_payment(dossier_id: int, *, actor: Any) -> Dossier:
    """The receiving officer collects the fee in cash at the counter."""
    with transaction.atomic():
        dossier = _locked(dossier_id, actor, None)
        if not permissions.has_role(actor, dossier, Role.RECEIVER, "receiving"):
            raise permissions.Forbidden(code="wrong_role")
        payments.record_cash_payment(dossier, actor=actor)
    return Dossier.objects.get(pk=dossier_id)
