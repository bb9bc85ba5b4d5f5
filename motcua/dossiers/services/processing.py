"""Processing at the competent unit: take, assign, propose, approve, stop, return."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import (
    InvalidInput,
    InvalidTransition,
)
from motcua.dossiers.models import Dossier
from motcua.dossiers.services.custody import result_is_at_receiving_center
from motcua.dossiers.services.lifecycle import act, require_text
from motcua.dossiers.services.substeps import obligations_met
from motcua.dossiers.states import State
from motcua.org.models import Membership, Role
from motcua.payments import services as payments

logger = logging.getLogger(__name__)


def start_processing(dossier_id: int, *, actor: Any) -> Dossier:
    """A specialist of the competent unit takes the dossier."""

    def change(dossier: Dossier, now: datetime) -> str:
        require_file_at_competent_unit(dossier)
        dossier.assignee = actor
        return State.PROCESSING

    return act(dossier_id, "start_processing", actor=actor, change=change)


def require_file_at_competent_unit(dossier: Dossier) -> None:
    """A paper-file dossier is processed once its file has reached the competent unit (the
    3-working-day supplement window runs from that receipt)."""
    if dossier.procedure.paper_file and dossier.competent_received_at is None:
        raise InvalidTransition(
            _("Hồ sơ giấy chưa được chuyển đến và xác nhận tại cơ quan giải quyết."),
            code="file_not_received",
        )


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
        require_file_at_competent_unit(dossier)
        dossier.assignee = ok.user
        return State.PROCESSING

    return act(dossier_id, "assign", actor=actor, change=change, data={"assignee": assignee_id})


def submit_for_approval(dossier_id: int, *, actor: Any, note: str) -> Dossier:
    """The specialist records the appraisal and proposes the result to the leader."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Cần ghi ý kiến xử lý, đề xuất."), field="note", code="required")

    def change(dossier: Dossier, now: datetime) -> str:
        if not obligations_met(dossier):
            raise InvalidTransition(
                _("Chưa có chứng từ hoàn thành nghĩa vụ tài chính: chưa thể trình phê duyệt."),
                code="obligations_not_met",
            )
        if dossier.assignee_id not in (None, actor.pk):
            raise InvalidTransition(_("Hồ sơ đang do chuyên viên khác xử lý."), code="not_assignee")
        dossier.assignee = actor
        dossier.processing_note = note
        return State.AWAITING_APPROVAL

    return act(dossier_id, "submit_for_approval", actor=actor, change=change, note=note)


def send_back(dossier_id: int, *, actor: Any, reason: str) -> Dossier:
    reason = require_text(reason, "reason")
    return act(
        dossier_id, "send_back", actor=actor, change=lambda d, now: State.PROCESSING, note=reason
    )


def approve(dossier_id: int, *, actor: Any, note: str = "") -> Dossier:
    """The leader approves: the result is produced and processing ends (national status 9)."""
    from motcua.dossiers import documents

    # Rendered and signed before the transaction, whose write lock (SQLite: the database's)
    # then covers storing the files only; issue_result renders again if they no longer fit.
    prepared = documents.prepare_result(
        dossier_id, signer=actor, note=note.strip(), now=clock.now()
    )

    def change(dossier: Dossier, now: datetime) -> str:
        dossier.finished_at = now
        dossier.decision_note = note.strip()
        documents.issue_result(dossier, signer=actor, now=now, prepared=prepared)
        return State.APPROVED

    return act(dossier_id, "approve", actor=actor, change=change, note=note.strip())


def stop(dossier_id: int, *, actor: Any, reason: str) -> Dossier:
    """The leader stops processing with reasons (refusal after appraisal, national status 8)."""
    reason = require_text(reason, "reason")

    def change(dossier: Dossier, now: datetime) -> str:
        dossier.finished_at = dossier.closed_at = now
        dossier.decision_note = reason
        return State.STOPPED

    return act(dossier_id, "stop", actor=actor, change=change, note=reason)


def return_result(dossier_id: int, *, actor: Any) -> Dossier:
    """Hand the result over (national status 10); the fee must be settled first."""

    def change(dossier: Dossier, now: datetime) -> str:
        if not payments.is_settled(dossier):
            raise InvalidTransition(
                _("Người nộp chưa nộp phí, lệ phí; chưa thể trả kết quả."), code="fee_unpaid"
            )
        if not result_is_at_receiving_center(dossier):
            raise InvalidTransition(
                _("Kết quả chưa được chuyển về và nhận tại nơi tiếp nhận hồ sơ."),
                code="result_not_here",
            )
        dossier.returned_at = dossier.closed_at = now
        return State.RETURNED

    return act(dossier_id, "return_result", actor=actor, change=change)
