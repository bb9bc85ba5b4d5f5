"""Work of other agencies inside processing: the tax step and consultations.

The tax step (Decree 151/2025/NĐ-CP Form 19; Đồng Tháp Decision 138/2025/QĐ-UBND, Art. 30): the
land office sends the tax-information slip, which closes the first appointment; the tax
authority's time is governed by tax law and not counted; the second appointment is counted from
the proof that the obligations are met.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import InvalidInput, InvalidTransition, NotFound
from motcua.deadlines.calendar import default_calendar
from motcua.dossiers import permissions
from motcua.dossiers.clock import deadline_for, has_two_appointments
from motcua.dossiers.models import Dossier, SubStep, SubStepKind
from motcua.dossiers.services.lifecycle import act, lock_dossier, record_event, require_text
from motcua.dossiers.states import OPEN_FOR_PROCESSING, State
from motcua.org.models import Agency, AgencyKind

logger = logging.getLogger(__name__)


def send_to_tax(dossier_id: int, *, actor: Any, note: str) -> Dossier:
    """The specialist sends the tax-information slip to the tax authority (national status 6)."""
    note = require_text(note, "note")

    def change(dossier: Dossier, now: datetime) -> str:
        if not has_two_appointments(dossier.procedure):
            raise InvalidTransition(
                _("Thủ tục này không có bước xác định nghĩa vụ tài chính."), code="no_tax_step"
            )
        if dossier.substeps.filter(kind=SubStepKind.TAX).exists():
            raise InvalidTransition(
                _("Thông tin đã được chuyển sang cơ quan thuế."), code="tax_already_sent"
            )
        SubStep.objects.create(
            dossier=dossier,
            kind=SubStepKind.TAX,
            agency=_tax_office(dossier),
            question=note,
            requested_at=now,
            requested_by=actor,
        )
        # first_appointment_at keeps the promised date; the slip's real time is the sub-step's
        # requested_at, so that the first appointment's timeliness can be judged.
        return State.AWAITING_OBLIGATIONS

    return act(dossier_id, "send_to_tax", actor=actor, change=change, note=note)


def record_obligations_met(dossier_id: int, *, actor: Any, note: str) -> Dossier:
    """Proof (or linked data) that the obligations are met arrived: the second appointment is
    counted from now."""
    note = require_text(note, "note")

    def change(dossier: Dossier, now: datetime) -> str:
        step = dossier.substeps.filter(kind=SubStepKind.TAX, answered_at__isnull=True).last()
        if step is not None:
            step.answer, step.answered_at, step.answered_by = note, now, actor
            step.save(update_fields=["answer", "answered_at", "answered_by"])
        deadline = deadline_for(dossier.procedure, now, phase=2)
        dossier.due_at = deadline.due_at
        return State.PROCESSING

    return act(dossier_id, "record_obligations_met", actor=actor, change=change, note=note)


def _tax_office(dossier: Dossier) -> Agency:
    office = Agency.objects.filter(
        province_id=dossier.competent_agency.province_id, kind=AgencyKind.TAX_OFFICE
    ).first()
    if office is None:
        raise InvalidTransition(_("Chưa khai báo cơ quan thuế của tỉnh."), code="no_tax_office")
    return office


def request_consultation(
    dossier_id: int, *, actor: Any, agency_id: int, question: str, days: int
) -> SubStep:
    """The competent unit asks another agency's opinion, with a deadline in working days
    (Decree 61/2018 Art. 19: the request states its content and its deadline)."""
    question = require_text(question, "question")
    if not 1 <= days <= 30:
        raise InvalidInput(
            _("Thời hạn trả lời phải từ 1 đến 30 ngày làm việc."), field="days", code="days"
        )
    agency = Agency.objects.filter(pk=agency_id).first()
    with transaction.atomic():
        dossier = lock_dossier(dossier_id, actor, None)
        _check_lead_specialist(actor, dossier, agency)
        assert agency is not None  # noqa: S101 (checked above)
        now = clock.now()
        step = SubStep.objects.create(
            dossier=dossier,
            kind=SubStepKind.CONSULTATION,
            agency=agency,
            question=question,
            requested_at=now,
            requested_by=actor,
            due_at=default_calendar().due_at(now, days).due_at,
        )
        record_event(
            dossier,
            "request_consultation",
            dossier.state,
            actor,
            now,
            note=question,
            data={"substep": step.pk, "agency": agency.pk},
        )
    logger.info("dossier.request_consultation id=%s substep=%s", dossier.pk, step.pk)
    return step


def _check_lead_specialist(actor: Any, dossier: Dossier, agency: Agency | None) -> None:
    if dossier.state not in OPEN_FOR_PROCESSING:
        raise InvalidTransition(_("Hồ sơ không còn đang xử lý."), code="invalid_transition")
    if not permissions.has_role(actor, dossier, "specialist", "competent"):
        raise permissions.Forbidden(code="wrong_role")
    if agency is None or agency.pk == dossier.competent_agency_id:
        raise InvalidInput(_("Chọn một cơ quan khác để lấy ý kiến."), field="agency", code="agency")


def answer_consultation(substep_id: int, *, actor: Any, answer: str) -> SubStep:
    """An officer of the consulted agency answers; the lead unit sees the answer."""
    answer = require_text(answer, "answer")
    with transaction.atomic():
        step = SubStep.objects.select_for_update().filter(pk=substep_id).first()
        if step is None or not permissions.is_officer_of(actor, step.agency_id):
            raise NotFound(_("Không tìm thấy yêu cầu xin ý kiến."), code="substep_not_found")
        if step.answered_at is not None or step.kind != SubStepKind.CONSULTATION:
            raise InvalidTransition(_("Yêu cầu này đã được trả lời."), code="already_answered")
        dossier = lock_dossier(step.dossier_id, actor, None)
        now = clock.now()
        step.answer, step.answered_at, step.answered_by = answer, now, actor
        step.save(update_fields=["answer", "answered_at", "answered_by"])
        record_event(
            dossier,
            "answer_consultation",
            dossier.state,
            actor,
            now,
            note=answer,
            data={"substep": step.pk, "late": bool(step.due_at and now > step.due_at)},
        )
    return step


def obligations_met(dossier: Dossier) -> bool:
    """For a two-appointment procedure, the tax step has been answered (obligations met)."""
    if not has_two_appointments(dossier.procedure):
        return True
    return dossier.substeps.filter(kind=SubStepKind.TAX, answered_at__isnull=False).exists()
