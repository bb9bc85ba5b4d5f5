"""Dossier states and the transitions between them: the one table of the lifecycle.

Internal states are finer than the national portal's ``TrangThaiHoSo`` (codes 1–10,
shown at each step as Circular 22/2019/TT-BTTTT Art. 4 requires);
each maps onto exactly one national code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from motcua.org.models import Role


class State(models.TextChoices):
    SUBMITTED = "submitted", _("Mới đăng ký")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Yêu cầu bổ sung hồ sơ")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    AWAITING_PAYMENT = "awaiting_payment", _("Chờ nộp phí")
    AWAITING_OBLIGATIONS = "awaiting_obligations", _("Chờ thực hiện nghĩa vụ tài chính")
    ACCEPTED = "accepted", _("Đã tiếp nhận")
    PROCESSING = "processing", _("Đang xử lý")
    AWAITING_APPROVAL = "awaiting_approval", _("Chờ phê duyệt")
    APPROVED = "approved", _("Đã có kết quả")
    STOPPED = "stopped", _("Dừng xử lý")
    WITHDRAWN = "withdrawn", _("Đã rút hồ sơ")
    RETURNED = "returned", _("Đã trả kết quả")


NATIONAL_STATUS: dict[str, int] = {
    State.SUBMITTED: 1,
    State.ACCEPTED: 2,
    State.REFUSED: 3,
    State.PROCESSING: 4,
    State.AWAITING_APPROVAL: 4,
    State.SUPPLEMENT_REQUESTED: 5,
    State.AWAITING_PAYMENT: 6,
    State.AWAITING_OBLIGATIONS: 6,
    State.WITHDRAWN: 7,
    State.STOPPED: 8,
    State.APPROVED: 9,
    State.RETURNED: 10,
}

TERMINAL = frozenset({State.REFUSED, State.STOPPED, State.WITHDRAWN, State.RETURNED})
OPEN_FOR_PROCESSING = frozenset(
    {State.ACCEPTED, State.PROCESSING, State.AWAITING_APPROVAL, State.AWAITING_OBLIGATIONS}
)


class Channel(models.IntegerChoices):
    """``KenhThucHien`` of the national portal."""

    DIRECT = 1, _("Trực tiếp")
    ONLINE = 2, _("Trực tuyến")
    POSTAL = 3, _("Bưu chính công ích")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    role: str | None  # None: the applicant or the system
    unit: str  # "receiving", "competent", "applicant" or "system"


def _t(action: str, sources: set[str], role: str | None, unit: str) -> Transition:
    return Transition(action, frozenset(sources), role, unit)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("accept", {State.SUBMITTED}, Role.RECEIVER, "receiving"),
        _t("refuse", {State.SUBMITTED}, Role.RECEIVER, "receiving"),
        _t("request_supplement", {State.SUBMITTED}, Role.RECEIVER, "receiving"),
        _t("request_supplement_after_appraisal", {State.PROCESSING}, Role.SPECIALIST, "competent"),
        _t("supplement", {State.SUPPLEMENT_REQUESTED}, None, "applicant"),
        _t("settle_payment", {State.AWAITING_PAYMENT}, None, "system"),
        _t("start_processing", {State.ACCEPTED}, Role.SPECIALIST, "competent"),
        _t("assign", {State.ACCEPTED, State.PROCESSING}, Role.LEADER, "competent"),
        _t("submit_for_approval", {State.PROCESSING}, Role.SPECIALIST, "competent"),
        _t("send_to_tax", {State.PROCESSING}, Role.SPECIALIST, "competent"),
        _t("record_obligations_met", {State.AWAITING_OBLIGATIONS}, Role.SPECIALIST, "competent"),
        _t(
            "reschedule",
            {State.ACCEPTED, State.PROCESSING, State.AWAITING_APPROVAL, State.AWAITING_OBLIGATIONS},
            Role.LEADER,
            "competent",
        ),
        _t("send_back", {State.AWAITING_APPROVAL}, Role.LEADER, "competent"),
        _t("approve", {State.AWAITING_APPROVAL}, Role.LEADER, "competent"),
        _t(
            "stop",
            {State.PROCESSING, State.AWAITING_APPROVAL, State.AWAITING_OBLIGATIONS},
            Role.LEADER,
            "competent",
        ),
        _t("return_result", {State.APPROVED}, Role.RECEIVER, "receiving"),
        _t(
            "withdraw",
            {
                State.SUBMITTED,
                State.SUPPLEMENT_REQUESTED,
                State.AWAITING_PAYMENT,
                State.ACCEPTED,
                State.PROCESSING,
                State.AWAITING_OBLIGATIONS,
            },
            None,
            "applicant",
        ),
    )
}

# Where the same Vietnamese words also name a state or a date label, the "action" context lets
# the English catalog use a verb on buttons ("Refuse the dossier" beside the state "Refused").
ACTION_LABELS = {
    "submit": _("Nộp hồ sơ"),
    "register_at_counter": _("Tiếp nhận trực tiếp"),
    "accept": _("Tiếp nhận hồ sơ"),
    "refuse": pgettext_lazy("action", "Từ chối tiếp nhận"),
    "request_supplement": pgettext_lazy("action", "Yêu cầu bổ sung hồ sơ"),
    "request_supplement_after_appraisal": _("Yêu cầu bổ sung sau thẩm định"),
    "supplement": _("Bổ sung hồ sơ"),
    "settle_payment": _("Đã nộp phí"),
    "start_processing": _("Nhận xử lý"),
    "assign": _("Phân công xử lý"),
    "submit_for_approval": _("Trình phê duyệt"),
    "send_back": _("Trả lại để xử lý lại"),
    "approve": _("Phê duyệt kết quả"),
    "stop": pgettext_lazy("action", "Dừng xử lý"),
    "return_result": pgettext_lazy("action", "Trả kết quả"),
    "withdraw": _("Rút hồ sơ"),
    "record_cash_payment": _("Thu phí tại quầy"),
    "send_to_tax": _("Chuyển thông tin sang cơ quan thuế"),
    "record_obligations_met": _("Đã hoàn thành nghĩa vụ tài chính"),
    "reschedule": _("Xin lỗi, hẹn lại ngày trả kết quả"),
    "send_file": _("Chuyển hồ sơ"),
    "receive_file": _("Nhận hồ sơ chuyển đến"),
    "request_consultation": _("Lấy ý kiến cơ quan liên quan"),
    "answer_consultation": _("Trả lời xin ý kiến"),
    # Federation between provinces (motcua/exchange/federation): not officers' transitions.
    "federation_handover": _("Chuyển hồ sơ sang tỉnh có thửa đất"),
    "federation_receive": _("Nhận hồ sơ do tỉnh khác chuyển đến"),
    "federation_status": _("Cập nhật trạng thái từ tỉnh giải quyết"),
}
