"""Reception (tiếp nhận): accept, refuse, ask for a supplement, the fee, withdrawal."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from motcua.deadlines.calendar import default_calendar
from motcua.dossiers import permissions
from motcua.dossiers.clock import deadline_for, has_two_appointments
from motcua.dossiers.models import Dossier, FileKind, SupplementRequest
from motcua.dossiers.services.lifecycle import APPLICANT, SYSTEM, act, lock_dossier, require_text
from motcua.dossiers.services.registration import check_uploads, register, store_files
from motcua.dossiers.states import Channel, State
from motcua.dossiers.uploads import Upload
from motcua.org.models import Agency, Role
from motcua.payments import services as payments

logger = logging.getLogger(__name__)


def accept(dossier_id: int, *, actor: Any) -> Dossier:
    """Receive the dossier (tiếp nhận): the clock starts, the receipt slip (Mẫu 01) is issued.
    An unpaid fee holds the dossier in "awaiting payment" until it is paid."""

    def change(dossier: Dossier, now: datetime) -> str:
        if payments.is_settled(dossier):
            start_clock(dossier, now)
            return State.ACCEPTED
        return State.AWAITING_PAYMENT

    dossier = act(dossier_id, "accept", actor=actor, change=change)
    if dossier.state == State.ACCEPTED:
        _issue_receipt_slip(dossier, actor)
    return dossier


def start_clock(dossier: Dossier, now: datetime) -> None:
    """Start (or, after an appraisal-stage supplement, restart) the legal clock. The receipt
    time stays the first one: it is the national portal's NgayTiepNhan."""
    procedure = dossier.procedure
    deadline = deadline_for(procedure, now)
    first_time = dossier.accepted_at is None
    if first_time:
        dossier.accepted_at = now
    dossier.counting_starts = deadline.counting_starts
    dossier.due_at = deadline.due_at
    if has_two_appointments(procedure):
        dossier.first_appointment_at = deadline.due_at
    if not procedure.paper_file:
        # Electronic dossiers reach the competent unit at once (Decree 61/2018 Art. 18).
        dossier.competent_received_at = dossier.competent_received_at or now
    elif first_time:
        dossier.holder = dossier.receiving_agency


def _issue_receipt_slip(dossier: Dossier, actor: Any) -> None:
    from motcua.dossiers import documents

    documents.issue_receipt_slip(dossier, officer=actor)


def settle_payment(dossier_id: int) -> Dossier:
    """The fee of a dossier held for payment has been paid: reception completes now."""

    def change(dossier: Dossier, now: datetime) -> str:
        start_clock(dossier, now)
        return State.ACCEPTED

    dossier = act(dossier_id, "settle_payment", actor=SYSTEM, change=change)
    accepted_by = dossier.events.filter(action="accept").select_related("actor").last()
    _issue_receipt_slip(dossier, accepted_by.actor if accepted_by else None)
    return dossier


def refuse(dossier_id: int, *, actor: Any, reason: str) -> Dossier:
    """Refuse to receive (Mẫu 03), with reasons."""
    reason = require_text(reason, "reason")

    def change(dossier: Dossier, now: datetime) -> str:
        dossier.decision_note = reason
        dossier.closed_at = now
        return State.REFUSED

    dossier = act(dossier_id, "refuse", actor=actor, change=change, note=reason)
    from motcua.dossiers import documents

    assert dossier.closed_at is not None  # noqa: S101 (set by the change)
    documents.issue_refusal_notice(dossier, officer=actor, reason=reason, at=dossier.closed_at)
    return dossier


def request_supplement(
    dossier_id: int, *, actor: Any, items: Sequence[str], reason: str
) -> Dossier:
    """Ask for the missing documents once and completely (Mẫu 02, Decree 61/2018 Art. 15(3)).

    At reception (receiving officer) or after appraisal (specialist of the competent unit)."""
    reason = require_text(reason, "reason")
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
        if stage == "appraisal":
            _check_supplement_window(dossier, now)
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

    dossier = act(
        dossier_id, action, actor=actor, change=change, note=reason, data={"items": clean_items}
    )
    from motcua.dossiers import documents

    request = dossier.supplements.select_related("requested_by").last()
    assert request is not None  # noqa: S101 (created by the change)
    documents.issue_supplement_notice(dossier, request)
    return dossier


def _check_supplement_window(dossier: Dossier, now: datetime) -> None:
    """Decree 61/2018 Art. 19(4): after appraisal, a dossier is sent back for completion within
    3 working days (or the procedure's own window) of its receipt by the competent unit."""
    received = dossier.competent_received_at or dossier.accepted_at or now
    calendar = default_calendar()
    spent = calendar.working_days_between(
        clock.localtime(received).date(), clock.localtime(now).date()
    )
    window = dossier.procedure.supplement_window_days
    if spent > window:
        raise InvalidTransition(
            _(
                "Đã quá %(window)s ngày làm việc kể từ khi cơ quan giải quyết nhận hồ sơ: "
                "không được yêu cầu bổ sung nữa, hãy giải quyết hoặc từ chối có lý do."
            ),
            code="supplement_window_passed",
            window=window,
        )


def supplement(
    dossier_id: int, *, access_token: str, uploads: Sequence[Upload], note: str = ""
) -> Dossier:
    """The applicant completes the dossier. After an appraisal-stage request the legal clock
    restarts from zero (Decree 61/2018 Art. 19(4))."""
    dossier = Dossier.objects.filter(pk=dossier_id, access_token=access_token).first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ."), code="dossier_not_found")
    checked = check_uploads(uploads, dossier.procedure)
    if not checked and not note.strip():
        raise InvalidInput(
            _("Cần gửi giấy tờ bổ sung hoặc ghi chú."), field="files", code="required"
        )

    def change(dossier: Dossier, now: datetime) -> str:
        request = dossier.supplements.filter(completed_at__isnull=True).last()
        store_files(dossier, checked, FileKind.ATTACHMENT, now)
        if request is None or request.stage == "reception":
            if request:
                request.completed_at = now
                request.save(update_fields=["completed_at"])
            return State.SUBMITTED
        request.completed_at = now
        request.save(update_fields=["completed_at"])
        start_clock(dossier, now)
        return State.PROCESSING

    return act(
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
    reason = require_text(reason, "reason")

    def change(dossier: Dossier, now: datetime) -> str:
        dossier.decision_note = reason
        dossier.closed_at = now
        return State.WITHDRAWN

    return act(
        dossier_id,
        "withdraw",
        actor=APPLICANT,
        change=change,
        note=reason,
        access_token=access_token,
    )


def record_cash_payment(dossier_id: int, *, actor: Any) -> Dossier:
    """The receiving officer collects the fee in cash at the counter.

    A dossier held for its fee is received with it (``settle_payment``): its receipt slip is
    rendered and signed before the transaction, which only stores it (or renders it again if
    what it prints changed in between)."""
    from motcua.dossiers import documents

    prepared = documents.prepare_receipt_slip(dossier_id, actor=actor, now=clock.now())
    with documents.prepared_slip(prepared), transaction.atomic():
        dossier = lock_dossier(dossier_id, actor, None)
        if not permissions.has_role(actor, dossier, Role.RECEIVER, "receiving"):
            raise Forbidden(code="wrong_role")
        payments.record_cash_payment(dossier, actor=actor)
    return Dossier.objects.get(pk=dossier_id)


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
    dossier = register(
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
