"""The officer's notices (thông báo): due-soon and overdue dossiers, late consultations.

Thin: reads and marks through ``motcua.dossiers.services.escalation``; an officer only ever
sees and marks their own notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from motcua.backoffice import selectors
from motcua.core.errors import MotcuaError
from motcua.core.web import flash_error
from motcua.dossiers.models import Notice
from motcua.dossiers.services import escalation

PAGE_SIZE = 50
BADGE_CLASS = {escalation.DUE_SOON: "soon", escalation.OVERDUE: "late"}


@dataclass(frozen=True)
class NoticeRow:
    notice: Notice

    @property
    def label(self) -> str | Promise:
        return escalation.NOTICE_KINDS.get(self.notice.kind, self.notice.kind)

    @property
    def badge_class(self) -> str:
        return BADGE_CLASS.get(self.notice.kind, "late")


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    """The officer's notices, unread first, each linking to the dossier desk."""
    user: Any = request.user
    paginator = Paginator(escalation.list_notices(user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [NoticeRow(notice) for notice in page],
        "can_register": selectors.receiving_center_of(user) is not None,
    }
    return render(request, "backoffice/notices.html", context)


@login_required
@require_POST
def mark_notices_read(request: HttpRequest) -> HttpResponse:
    """POST ``notice`` (an id) marks that notice read; without it, all of the officer's."""
    raw = request.POST.get("notice", "")
    try:
        notice_id = int(raw) if raw else None
        changed = escalation.mark_read(actor=request.user, notice_id=notice_id)
    except ValueError:
        messages.error(request, _("Thông báo không hợp lệ."))
    except MotcuaError as error:
        flash_error(request, error)
    else:
        if notice_id is None:
            messages.success(
                request, _("Đã đánh dấu %(count)s thông báo là đã đọc.") % {"count": changed}
            )
    return redirect("backoffice:notices")
