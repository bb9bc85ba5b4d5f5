"""Template helpers of the electronic office (the navigation link, labels)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from motcua.eoffice import permissions
from motcua.eoffice.models import DispatchStatus, DocumentState

register = template.Library()


@register.filter
def uses_eoffice(user: Any) -> bool:
    """Clerks, specialists, leaders and administrators see "Văn bản" in the navigation."""
    return bool(getattr(user, "is_authenticated", False)) and permissions.uses_eoffice(user)


@register.filter
def state_label(value: str) -> str:
    return str(DocumentState(value).label) if value in DocumentState.values else value


@register.filter
def status_label(value: str) -> str:
    return str(DispatchStatus(value).label) if value in DispatchStatus.values else value


HISTORY_LABELS = {
    "composed": _("Soạn dự thảo"),
    "submitted": _("Trình duyệt"),
    "approved": _("Duyệt dự thảo"),
    "sent_back": _("Trả lại dự thảo"),
    "signed": _("Lãnh đạo ký số"),
    "issued": _("Cấp số, đóng dấu số, phát hành"),
    "replaced": _("Bị thay thế"),
    "sent": _("Gửi"),
    "assigned": _("Giao xử lý, hạn"),
    "revoked": _("Đã thu hồi"),
    "updated": _("Đã cập nhật"),
    "recipient_revoked": _("Nơi nhận được báo thu hồi"),
    "recipient_replaced": _("Nơi nhận được báo thay thế"),
    "recipient_updated": _("Nơi nhận được báo cập nhật"),
    "received_from_peer": _("Nhận từ hệ thống khác"),
    "edited": _("Sửa dự thảo"),
}


@register.filter
def history_label(action: str) -> str:
    if action.startswith("status_"):
        return status_label(action.removeprefix("status_"))
    return str(HISTORY_LABELS.get(action, action))


ACTION_LABELS = {
    "submit": _("Trình duyệt"),
    "approve": _("Duyệt"),
    "send_back": _("Trả lại"),
    "sign": _("Ký số"),
    "issue": _("Cấp số và phát hành"),
    "dispatch": _("Gửi văn bản"),
    "send_to_peer": _("Gửi ra hệ thống khác"),
    "edit": _("Sửa dự thảo"),
    "replace": _("Soạn văn bản thay thế"),
    "update": _("Cập nhật"),
    "revoke": _("Thu hồi"),
    "register": _("Vào sổ văn bản đến"),
    "reject": _("Từ chối"),
    "assign": _("Giao xử lý"),
    "start": _("Bắt đầu xử lý"),
    "complete": _("Hoàn thành"),
}


@register.filter
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)
