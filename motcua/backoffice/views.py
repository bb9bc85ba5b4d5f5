"""The officers' pages: worklist, dossier desk with its actions, counter registration.

Thin: each view loads through the selectors (which apply ``permissions.visible_to``), parses
with a form, calls one service with ``actor=request.user``, then messages and redirects.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from motcua.backoffice import forms, selectors
from motcua.backoffice.templatetags.backoffice_tags import vnd
from motcua.catalog.selectors import get_current_procedure, list_current_procedures
from motcua.core import audit, clock
from motcua.core.errors import Forbidden, InvalidInputs, MotcuaError, NotFound
from motcua.core.web import add_error_to_form, flash_error
from motcua.dossiers import documents, permissions, services
from motcua.dossiers.models import Dossier, SubStep, Transfer
from motcua.dossiers.services.custody import result_is_at_receiving_center
from motcua.dossiers.states import ACTION_LABELS, Channel, State
from motcua.org.models import Agency
from motcua.privacy import services as privacy_services

logger = logging.getLogger(__name__)
PAGE_SIZE = 25
NOT_OFFERED = Forbidden(
    gettext_lazy("Thao tác này không dành cho bạn ở bước hiện tại của hồ sơ."), code="not_offered"
)


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render a back-office page with what the navigation needs."""
    user: Any = request.user
    context.setdefault("can_register", selectors.receiving_center_of(user) is not None)
    return render(request, f"backoffice/{template}", context)


def _when(moment: datetime | None) -> str:
    return clock.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else ""


# --- worklist -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    dossier: Dossier
    badge: selectors.DeadlineBadge | None

    @property
    def state_class(self) -> str:
        return selectors.state_class(self.dossier.state)


@dataclass(frozen=True)
class TabLink:
    tab: selectors.Tab
    count: int
    active: bool


@dataclass(frozen=True)
class TabNav:
    group: selectors.TabGroup
    links: list[TabLink]


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """The officer's tabs, computed from their roles and units, and the rows of the open tab."""
    user: Any = request.user
    now = clock.now()
    groups = selectors.tab_groups_for(user, now)
    tabs = [tab for group in groups for tab in group.tabs]
    current = next((tab for tab in tabs if tab.ident == request.GET.get("tab")), None)
    current = current or (tabs[0] if tabs else None)
    counts = selectors.count_tabs(user, tabs)

    page: Page[Dossier] | None = None
    rows: list[Row] = []
    if current is not None:
        paginator = Paginator(selectors.list_tab(user, current), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = [Row(dossier, selectors.deadline_badge(dossier, now)) for dossier in page]
    nav = [
        TabNav(group, [TabLink(t, counts[t.ident], t is current) for t in group.tabs])
        for group in groups
    ]
    context = {
        "nav": nav,
        "current": current,
        "page": page,
        "rows": rows,
        "now": now,
        "register_form": register_book_form(user, now),
    }
    return _page(request, "worklist.html", context)


# --- the desk -----------------------------------------------------------------------------------


def _accepted(dossier: Dossier) -> str:
    if dossier.state == State.AWAITING_PAYMENT:
        invoice = selectors.invoice_of(dossier)
        return _(
            "Đã tiếp nhận hồ sơ %(code)s; hồ sơ chờ nộp phí, lệ phí %(amount)s trước khi "
            "tính thời hạn giải quyết."
        ) % {"code": dossier.code, "amount": vnd(invoice.amount if invoice else 0)}
    return _("Đã tiếp nhận hồ sơ %(code)s, hẹn trả %(due)s.") % {
        "code": dossier.code,
        "due": _when(dossier.due_at),
    }


def _cash_taken(dossier: Dossier) -> str:
    invoice = selectors.invoice_of(dossier)
    text = _("Đã thu %(amount)s phí, lệ phí của hồ sơ %(code)s, biên lai số %(receipt)s.") % {
        "amount": vnd(invoice.amount if invoice else 0),
        "code": dossier.code,
        "receipt": invoice.receipt_number if invoice else "",
    }
    if dossier.state == State.ACCEPTED:
        text += " " + _("Hồ sơ đã được tiếp nhận, hẹn trả %(due)s.") % {
            "due": _when(dossier.due_at)
        }
    return text


def _done(message: str | Promise) -> Callable[[Dossier], str]:
    def build(dossier: Dossier) -> str:
        assignee = str(dossier.assignee) if dossier.assignee_id else ""
        return str(message) % {"code": dossier.code, "name": assignee}

    return build


@dataclass(frozen=True)
class DeskAction:
    """How the desk offers one action: its form, the one service it calls (with the dossier's
    id, ``actor`` and the form's arguments), the message made from what the service returns."""

    form: type[forms.ActionForm]
    service: Callable[..., Any]
    done: Callable[[Any], str]
    style: str = ""


def _supplement_requested(dossier: Dossier) -> str:
    return _("Đã gửi yêu cầu bổ sung hồ sơ %(code)s.") % {"code": dossier.code}


def _obligations_met(dossier: Dossier) -> str:
    return _(
        "Đã ghi nhận hoàn thành nghĩa vụ tài chính của hồ sơ %(code)s; hẹn lần 2: %(due)s."
    ) % {
        "code": dossier.code,
        "due": _when(dossier.due_at),
    }


def _rescheduled(dossier: Dossier) -> str:
    return _(
        "Đã hẹn lại ngày trả kết quả hồ sơ %(code)s: %(due)s; Phiếu xin lỗi và hẹn lại (Mẫu 04) "
        "đã được phát hành."
    ) % {"code": dossier.code, "due": _when(dossier.due_at)}


# Custody and consultations are not transitions: their services take other ids and return the
# transfer or the sub-step; the desk calls them the way it calls the others.


def _send_file(dossier_id: int, *, actor: Any, means: str, items: list[str], note: str) -> Any:
    return services.send_file(dossier_id, actor=actor, means=means, items=items, note=note)


def _receive_file(dossier_id: int, *, actor: Any, transfer_id: int) -> Any:
    return services.receive_file(transfer_id, actor=actor)


def _answer_consultation(dossier_id: int, *, actor: Any, substep_id: int, answer: str) -> Any:
    return services.answer_consultation(substep_id, actor=actor, answer=answer)


def _file_sent(transfer: Transfer) -> str:
    return _("Đã chuyển hồ sơ %(code)s đến %(to)s, phiếu chuyển số %(slip)s.") % {
        "code": transfer.dossier.code,
        "to": transfer.to_agency.name,
        "slip": transfer.slip_number,
    }


def _file_received(transfer: Transfer) -> str:
    return _("Đã nhận hồ sơ %(code)s theo phiếu chuyển số %(slip)s.") % {
        "code": transfer.dossier.code,
        "slip": transfer.slip_number,
    }


def _consultation_sent(step: SubStep) -> str:
    return _("Đã gửi xin ý kiến %(agency)s, hạn trả lời %(due)s.") % {
        "agency": step.agency.name,
        "due": _when(step.due_at),
    }


def _consultation_answered(step: SubStep) -> str:
    return _("Đã gửi ý kiến trả lời về hồ sơ %(code)s.") % {"code": step.dossier.code}


ACTIONS: dict[str, DeskAction] = {
    "record_cash_payment": DeskAction(forms.ActionForm, services.record_cash_payment, _cash_taken),
    "accept": DeskAction(forms.ActionForm, services.accept, _accepted, "ok"),
    "request_supplement": DeskAction(
        forms.SupplementRequestForm,
        services.request_supplement,
        _supplement_requested,
        "secondary",
    ),
    "refuse": DeskAction(
        forms.RefuseForm,
        services.refuse,
        _done(gettext_lazy("Đã từ chối tiếp nhận hồ sơ %(code)s.")),
        "danger",
    ),
    "request_supplement_after_appraisal": DeskAction(
        forms.SupplementRequestForm,
        services.request_supplement,
        _supplement_requested,
        "secondary",
    ),
    "start_processing": DeskAction(
        forms.ActionForm,
        services.start_processing,
        _done(gettext_lazy("Đã nhận xử lý hồ sơ %(code)s.")),
        "ok",
    ),
    "assign": DeskAction(
        forms.AssignForm,
        services.assign,
        _done(gettext_lazy("Đã phân công hồ sơ %(code)s cho %(name)s.")),
    ),
    "submit_for_approval": DeskAction(
        forms.ProcessingNoteForm,
        services.submit_for_approval,
        _done(gettext_lazy("Đã trình lãnh đạo phê duyệt hồ sơ %(code)s.")),
        "ok",
    ),
    "send_back": DeskAction(
        forms.SendBackForm,
        services.send_back,
        _done(gettext_lazy("Đã trả lại hồ sơ %(code)s để xử lý lại.")),
        "secondary",
    ),
    "approve": DeskAction(
        forms.ApprovalForm,
        services.approve,
        _done(gettext_lazy("Đã phê duyệt kết quả hồ sơ %(code)s.")),
        "ok",
    ),
    "stop": DeskAction(
        forms.StopForm,
        services.stop,
        _done(gettext_lazy("Đã dừng xử lý hồ sơ %(code)s.")),
        "danger",
    ),
    "return_result": DeskAction(
        forms.ActionForm,
        services.return_result,
        _done(gettext_lazy("Đã trả kết quả hồ sơ %(code)s.")),
        "ok",
    ),
    "send_to_tax": DeskAction(
        forms.SendToTaxForm,
        services.send_to_tax,
        _done(
            gettext_lazy(
                "Đã chuyển thông tin hồ sơ %(code)s sang cơ quan thuế; thời gian cơ quan thuế "
                "xác định nghĩa vụ tài chính không tính vào thời hạn."
            )
        ),
        "ok",
    ),
    "record_obligations_met": DeskAction(
        forms.ObligationsMetForm, services.record_obligations_met, _obligations_met, "ok"
    ),
    "reschedule": DeskAction(forms.RescheduleForm, services.reschedule, _rescheduled, "secondary"),
    "send_file": DeskAction(forms.SendFileForm, _send_file, _file_sent, "ok"),
    "receive_file": DeskAction(forms.ReceiveFileForm, _receive_file, _file_received, "ok"),
    "request_consultation": DeskAction(
        forms.ConsultationForm, services.request_consultation, _consultation_sent, "secondary"
    ),
    "answer_consultation": DeskAction(
        forms.AnswerConsultationForm, _answer_consultation, _consultation_answered, "ok"
    ),
}


@dataclass(frozen=True)
class ActionPanel:
    name: str
    label: str | Promise
    form: forms.ActionForm
    url: str
    style: str
    is_open: bool


def offered_actions(user: Any, dossier: Dossier, data: selectors.DeskData) -> list[str]:
    """The desk's buttons in order: receiving and handing over the file and answering a
    consultation first, then the transitions, then asking another agency."""
    before, after = selectors.extra_actions(user, dossier, data)
    transitions = permissions.allowed_actions(user, dossier)
    if not result_is_at_receiving_center(dossier):
        # A paper result is handed over once it is back at the center (its button would only
        # meet "result_not_here").
        transitions = [name for name in transitions if name != "return_result"]
    return [*before, *transitions, *after]


def _panels(
    user: Any, dossier: Dossier, names: list[str], bound: forms.ActionForm | None
) -> list[ActionPanel]:
    panels = []
    for name in names:
        spec = ACTIONS.get(name)
        if spec is None:
            continue
        form = bound if bound is not None and bound.action == name else None
        panels.append(
            ActionPanel(
                name=name,
                label=ACTION_LABELS.get(name, name),
                form=form or spec.form(dossier=dossier, action=name, user=user),
                url=reverse("backoffice:act", args=[dossier.pk, name]),
                style=spec.style,
                is_open=form is not None,
            )
        )
    return panels


def _render_desk(
    request: HttpRequest, dossier: Dossier, bound: forms.ActionForm | None = None
) -> HttpResponse:
    user: Any = request.user
    now = clock.now()
    data = selectors.desk_data(dossier, now)
    context = {
        "dossier": dossier,
        "data": data,
        "form_rows": selectors.form_rows(dossier),
        "badge": selectors.deadline_badge(dossier, now),
        "boundaryless": selectors.is_boundaryless(dossier),
        "panels": _panels(user, dossier, offered_actions(user, dossier, data), bound),
        "state_label": State(dossier.state).label,
        "state_class": selectors.state_class(dossier.state),
        "may_print_control_sheet": dossier.accepted_at is not None and dossier.due_at is not None,
    }
    return _page(request, "desk.html", context)


@login_required
def desk(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about one dossier, and the actions the officer may take on it now."""
    dossier = selectors.get_visible_dossier(request.user, pk)
    audit.record_personal_data_view(dossier, actor=request.user, purpose="backoffice.desk")
    return _render_desk(request, dossier)


def _concerns_a_field(form: forms.ActionForm, error: MotcuaError) -> bool:
    errors = error.errors if isinstance(error, InvalidInputs) else [error]
    return any(item.field in form.fields for item in errors)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take ``action`` on the dossier: parse its form, call its one service, report."""
    user: Any = request.user
    dossier = selectors.get_visible_dossier(user, pk)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    form = spec.form(request.POST, dossier=dossier, action=action, user=user)
    if not form.is_valid():
        if action not in offered_actions(user, dossier, selectors.desk_data(dossier)):
            # The form would be re-shown in a panel this officer does not get: say why instead.
            flash_error(request, NOT_OFFERED)
            return redirect("backoffice:desk", pk=dossier.pk)
        return _render_desk(request, dossier, bound=form)

    try:
        changed = spec.service(dossier.pk, actor=user, **form.arguments())
    except NotFound as error:
        raise Http404 from error
    except MotcuaError as error:
        logger.info(
            "backoffice.action_rejected dossier=%s action=%s code=%s user=%s",
            dossier.pk,
            action,
            error.code,
            user.pk,
        )
        if _concerns_a_field(form, error):
            add_error_to_form(form, error)
            return _render_desk(request, dossier, bound=form)
        flash_error(request, error)
        return redirect("backoffice:desk", pk=dossier.pk)

    messages.success(request, spec.done(changed))
    return redirect("backoffice:desk", pk=dossier.pk)


@login_required
def dossier_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    """A file of a visible dossier, shown in the browser or (``?tai=1``) downloaded."""
    record = selectors.get_visible_file(request.user, pk, file_id)
    try:
        handle = record.file.open("rb")
    except FileNotFoundError as error:
        logger.warning("backoffice.file_missing file=%s dossier=%s", record.pk, pk)
        raise Http404 from error
    return FileResponse(
        handle,
        as_attachment=request.GET.get("tai") == "1",
        filename=record.original_name,
        content_type=record.content_type,
    )


# --- forms printed on demand: Mẫu 05 and Mẫu 06 -------------------------------------------------


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
def control_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The processing control sheet (Mẫu 05) of a visible dossier as it stands now."""
    dossier = selectors.get_visible_dossier(request.user, pk)
    if dossier.accepted_at is None or dossier.due_at is None:
        messages.error(
            request,
            _("Hồ sơ %(code)s chưa được tiếp nhận: chưa có phiếu kiểm soát.")
            % {"code": dossier.code},
        )
        return redirect("backoffice:desk", pk=dossier.pk)
    logger.info("backoffice.control_sheet dossier=%s user=%s", dossier.pk, request.user.pk)
    return _pdf(documents.control_sheet(dossier), f"{dossier.code}-phieu-kiem-soat.pdf")


@login_required
def register_book(request: HttpRequest) -> HttpResponse:
    """The dossier register (Mẫu 06) of one of the officer's units for a period: the form, or
    with a valid period the PDF."""
    units = selectors.user_units(request.user)
    if not units:
        raise Http404
    form = forms.RegisterBookForm(request.GET or None, units=units)
    if form.is_bound and form.is_valid():
        agency = form.agency()
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        logger.info("backoffice.dossier_register agency=%s user=%s", agency.pk, request.user.pk)
        full_names = bool(form.cleaned_data["full_names"])
        if full_names:
            privacy_services.record_full_names_purpose(
                agency,
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                period=(start, end),
            )
        content = documents.dossier_register(agency, start, end, full_names=full_names)
        return _pdf(content, f"so-theo-doi-{agency.code}-{start:%Y%m%d}-{end:%Y%m%d}.pdf")
    status = 422 if form.is_bound else 200
    response = _page(request, "register_book.html", {"form": form})
    response.status_code = status
    return response


def register_book_form(user: Any, now: datetime) -> forms.RegisterBookForm | None:
    """The worklist's register form, this month so far by default; None without a unit."""
    units = selectors.user_units(user)
    if not units:
        return None
    today = clock.localtime(now).date()
    initial = {"start": today.replace(day=1), "end": today}
    return forms.RegisterBookForm(units=units, initial=initial)


# --- counter registration ------------------------------------------------------------------------


def _center_or_404(request: HttpRequest) -> Agency:
    """The receiver's service center; anyone else meets a missing page."""
    center = selectors.receiving_center_of(request.user)
    if center is None:
        raise Http404
    return center


@login_required
def register_index(request: HttpRequest) -> HttpResponse:
    """The procedures a receiver can register at the counter."""
    center = _center_or_404(request)
    context = {"procedures": list_current_procedures(), "center": center}
    return _page(request, "register_index.html", context)


_UPLOAD_FIELD = re.compile(r"^files\[(\d+)\]$")


def _point_at_file_fields(error: MotcuaError, origins: list[str]) -> None:
    """The service names files by position (``files[0]``); the form by component."""
    for item in error.errors if isinstance(error, InvalidInputs) else [error]:
        match = _UPLOAD_FIELD.match(item.field or "")
        if match and int(match.group(1)) < len(origins):
            item.field = origins[int(match.group(1))]


@login_required
def register(request: HttpRequest, code: str) -> HttpResponse:
    """A dossier brought to the counter: the procedure's e-form, registered and accepted at once."""
    center = _center_or_404(request)
    try:
        procedure = get_current_procedure(code)
    except NotFound as error:
        raise Http404 from error
    form = forms.CounterRegistrationForm(
        request.POST or None, request.FILES or None, procedure=procedure
    )
    if request.method == "POST" and form.is_valid():
        uploads, origins = form.uploads()
        try:
            dossier = services.register_at_counter(
                actor=request.user,
                procedure_code=procedure.code,
                form_data=form.form_data(),
                uploads=uploads,
                channel=Channel.DIRECT,
            )
        except MotcuaError as error:
            _point_at_file_fields(error, origins)
            add_error_to_form(form, error)
        else:
            messages.success(request, _accepted(dossier))
            return redirect("backoffice:desk", pk=dossier.pk)
    context = {"procedure": procedure, "form": form, "center": center}
    return _page(request, "register.html", context)
