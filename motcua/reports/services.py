"""State changes of the reports context: the citizen's rating and complaints, and their
handling by officers. Each verb runs in one transaction and writes its audit row."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import audit, clock
from motcua.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import APPLICANT
from motcua.dossiers.states import State
from motcua.reports.models import Complaint, ComplaintStatus, Rating

logger = logging.getLogger(__name__)

# The result is out (approved, returned) or processing ended with a decision (stopped).
RATEABLE = frozenset({State.APPROVED, State.RETURNED, State.STOPPED})
COMMENT_MAX = 2000


def _dossier_of(access_token: str) -> Dossier:
    dossier = Dossier.objects.select_for_update().filter(access_token=access_token).first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ."), code="dossier_not_found")
    return dossier


def _text(value: str, field: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_("“%(name)s” là bắt buộc."), field=field, code="required", name=field)
    if len(text) > COMMENT_MAX:
        raise InvalidInput(
            _("“%(name)s” dài quá %(limit)s ký tự."),
            field=field,
            code="max_length",
            name=field,
            limit=COMMENT_MAX,
        )
    return text


def rate_service(*, access_token: str, satisfied: bool, comment: str = "") -> Rating:
    """The applicant (identified by the dossier's private token) rates the service once,
    after the result: satisfied or not, with an optional comment."""
    comment = _text(comment, "comment", required=False)
    with transaction.atomic():
        dossier = _dossier_of(access_token)
        if dossier.state not in RATEABLE:
            raise InvalidTransition(
                _("Chỉ đánh giá được sau khi hồ sơ có kết quả giải quyết."), code="not_rateable"
            )
        if Rating.objects.filter(dossier=dossier).exists():
            raise Conflict(_("Hồ sơ này đã được đánh giá."), code="already_rated")
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    dossier=dossier, satisfied=satisfied, comment=comment, created_at=clock.now()
                )
        except IntegrityError:
            raise Conflict(_("Hồ sơ này đã được đánh giá."), code="already_rated") from None
        audit.record("reports.rate", rating, actor=APPLICANT, data={"satisfied": satisfied})
    logger.info("reports.rated dossier=%s satisfied=%s", dossier.pk, satisfied)
    return rating


def file_complaint(*, access_token: str, content: str) -> Complaint:
    """The applicant records a complaint about the handling of a dossier once received."""
    content = _text(content, "content", required=True)
    with transaction.atomic():
        dossier = _dossier_of(access_token)
        if dossier.accepted_at is None:
            raise InvalidTransition(
                _("Chỉ phản ánh được về hồ sơ đã được tiếp nhận."), code="not_received"
            )
        complaint = Complaint.objects.create(
            dossier=dossier, content=content, created_at=clock.now()
        )
        audit.record("reports.complaint", complaint, actor=APPLICANT)
    logger.info("reports.complaint_filed complaint=%s dossier=%s", complaint.pk, dossier.pk)
    return complaint


def handle_complaint(complaint_id: int, *, actor: Any, answer: str, resolve: bool) -> Complaint:
    """An officer takes a complaint (becoming its handler) and, with ``resolve``, closes it
    with the answer given to the applicant. The complaint must be in the officer's scope."""
    from motcua.reports import selectors

    answer = _text(answer, "answer", required=resolve)
    scope = selectors.scope_of(actor)
    with transaction.atomic():
        visible = scope.filter(Dossier.objects.all())
        complaint = (
            Complaint.objects.select_for_update()
            .filter(pk=complaint_id, dossier__in=visible)
            .first()
        )
        if complaint is None:
            raise NotFound(_("Không tìm thấy phản ánh."), code="complaint_not_found")
        if complaint.status == ComplaintStatus.RESOLVED:
            raise InvalidTransition(_("Phản ánh đã được xử lý xong."), code="complaint_closed")
        complaint.handler = actor
        complaint.answer = answer or complaint.answer
        complaint.status = ComplaintStatus.RESOLVED if resolve else ComplaintStatus.HANDLING
        complaint.resolved_at = clock.now() if resolve else None
        complaint.save()
        audit.record(
            "reports.complaint_handled", complaint, actor=actor, data={"status": complaint.status}
        )
    logger.info("reports.complaint_handled complaint=%s status=%s", complaint.pk, complaint.status)
    return complaint
