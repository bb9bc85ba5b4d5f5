"""Pages of the electronic office under /mot-cua/van-ban/: outgoing documents, the incoming
register, a document's page with the actions of the officer's role, the compose form.

Thin: each view loads through the selectors, parses with a form, calls one service with
``actor=request.user``, then messages and redirects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from motcua.core import clock
from motcua.core.errors import InvalidInputs, MotcuaError, NotFound
from motcua.core.web import add_error_to_form, flash_error
from motcua.eoffice import forms, peers, permissions, selectors, services
from motcua.eoffice.models import IncomingEntry, OfficialDocument

logger = logging.getLogger(__name__)
PAGE_SIZE = 25


def _tabs(tabs: tuple[selectors.Tab, ...], counts: dict[str, int], current: str) -> list[Any]:
    return [{"key": t.key, "label": t.label, "count": counts[t.key], "active": t.key == current}
            for t in tabs]  # fmt: skip


@login_required
def outgoing(request: HttpRequest) -> HttpResponse:
    """Văn bản đi: drafts, those waiting for review, signature or issue, and the issued."""
    user: Any = request.user
    query = request.GET.get("q", "").strip()[:200]
    tab = request.GET.get("tab", "drafts")
    if tab not in {t.key for t in selectors.OUTGOING_TABS}:
        tab = "drafts"
    page = Paginator(selectors.list_outgoing(user, tab, query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "tabs": _tabs(selectors.OUTGOING_TABS, selectors.count_outgoing(user, query), tab),
        "page": page,
        "query": query,
        "tab": tab,
        "can_compose": bool(permissions.drafting_agencies(user)),
    }
    return render(request, "eoffice/outgoing.html", context)


@login_required
def incoming(request: HttpRequest) -> HttpResponse:
    """Sổ văn bản đến of the officer's agencies."""
    user: Any = request.user
    query = request.GET.get("q", "").strip()[:200]
    tab = request.GET.get("tab", "new")
    if tab not in {t.key for t in selectors.INCOMING_TABS}:
        tab = "new"
    page = Paginator(selectors.list_incoming(user, tab, query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = clock.now()
    rows = []
    for entry in page.object_list:
        due = selectors.registration_due(entry) if entry.registered_at is None else None
        rows.append({"entry": entry, "register_by": due, "late": due is not None and now > due})
    context = {
        "rows": rows,
        "tabs": _tabs(selectors.INCOMING_TABS, selectors.count_incoming(user, query), tab),
        "page": page,
        "query": query,
        "tab": tab,
    }
    return render(request, "eoffice/incoming.html", context)


@login_required
def compose(request: HttpRequest) -> HttpResponse:
    """A new draft; ``?thay-the=<id>`` starts the replacement of an issued document."""
    user: Any = request.user
    if not permissions.drafting_agencies(user):
        raise Http404
    initial: dict[str, Any] = {}
    replaced = request.GET.get("thay-the", "")
    if replaced.isdigit():
        try:
            old = selectors.get_document(user, int(replaced))
        except NotFound as error:
            raise Http404 from error
        initial = {**vars(services.draft_of(old)), "replaces_id": old.pk}
    form = forms.ComposeForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.compose_document(form.draft(), actor=user)
        except MotcuaError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Đã lưu dự thảo."))
            return redirect("eoffice:document", pk=document.pk)
    return render(request, "eoffice/compose.html", {"form": form, "replaces": initial})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft (after it was sent back)."""
    user: Any = request.user
    try:
        document = selectors.get_document(user, pk)
    except NotFound as error:
        raise Http404 from error
    if "edit" not in selectors.document_actions(user, document):
        raise Http404
    initial = vars(services.draft_of(document))
    form = forms.ComposeForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_draft(pk, form.draft(), actor=user)
        except MotcuaError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Đã lưu dự thảo."))
            return redirect("eoffice:document", pk=pk)
    return render(request, "eoffice/compose.html", {"form": form, "document": document})


def _document_page(
    request: HttpRequest, document: OfficialDocument, bound: dict[str, Any] | None = None
) -> HttpResponse:
    user: Any = request.user
    entries = selectors.entries_for(user, document)
    panels: dict[str, Any] = {
        "send_to_peer": forms.PeerForm(prefix="send_to_peer"),
        "send_back": forms.ReasonForm(prefix="send_back"),
        "revoke": forms.ReasonForm(prefix="revoke"),
        "update": forms.UpdateForm(prefix="update"),
    }
    panels.update(bound or {})
    context = {
        "doc": document,
        "doc_type": services.marks_module.marks().types.get(document.doc_type),
        "actions": selectors.document_actions(user, document),
        "panels": panels,
        "dispatches": document.dispatches.select_related("agency").order_by("pk"),
        "history": permissions.history_visible_to(user, document)
        .select_related("actor", "dispatch")
        .order_by("at", "pk"),
        "entries": [
            {
                "entry": entry,
                "actions": selectors.entry_actions(user, entry),
                "assign": (bound or {}).get(f"assign-{entry.pk}")
                or forms.AssignForm(agency_id=entry.agency_id, prefix=f"assign-{entry.pk}"),
                "reject": (bound or {}).get(f"reject-{entry.pk}")
                or forms.ReasonForm(prefix=f"reject-{entry.pk}"),
            }
            for entry in entries
        ],
    }
    return render(request, "eoffice/document.html", context)


@login_required
def document(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        found = selectors.get_document(request.user, pk)
    except NotFound as error:
        raise Http404 from error
    return _document_page(request, found)


@login_required
def document_pdf(request: HttpRequest, pk: int) -> FileResponse:
    try:
        found = selectors.get_document(request.user, pk)
    except NotFound as error:
        raise Http404 from error
    if not found.pdf:
        raise Http404
    name = f"{found.number_text.replace('/', '-') or found.document_id}.pdf"
    return FileResponse(found.pdf.open("rb"), content_type="application/pdf", filename=name)


# --- actions ------------------------------------------------------------------------------------

DONE_MESSAGES: dict[str, Any] = {
    "submit": gettext_lazy("Đã trình duyệt dự thảo."),
    "approve": gettext_lazy("Đã duyệt dự thảo, chờ ký."),
    "send_back": gettext_lazy("Đã trả lại dự thảo."),
    "sign": gettext_lazy("Đã ký số văn bản."),
    "issue": gettext_lazy("Đã phát hành văn bản số %(number)s."),
    "dispatch": gettext_lazy("Đã gửi văn bản tới nơi nhận."),
    "send_to_peer": gettext_lazy("Đã gửi văn bản ra hệ thống khác."),
    "revoke": gettext_lazy("Đã thu hồi văn bản."),
    "update": gettext_lazy("Đã cập nhật văn bản, nơi nhận đã được báo."),
    "register": gettext_lazy("Đã vào sổ văn bản đến số %(number)s."),
    "reject": gettext_lazy("Đã từ chối văn bản."),
    "assign": gettext_lazy("Đã giao xử lý."),
    "start": gettext_lazy("Đã bắt đầu xử lý."),
    "complete": gettext_lazy("Đã hoàn thành xử lý."),
}


def _run(
    request: HttpRequest,
    document: OfficialDocument,
    action: str,
    call: Callable[[], Any],
    form: django_forms.Form | None = None,
    panel: str = "",
) -> HttpResponse:
    try:
        changed = call()
    except NotFound as error:
        raise Http404 from error
    except MotcuaError as error:
        logger.info("eoffice.action_rejected document=%s action=%s code=%s",
                    document.pk, action, error.code)  # fmt: skip
        errors = error.errors if isinstance(error, InvalidInputs) else [error]
        if form is not None and any(item.field in form.fields for item in errors):
            add_error_to_form(form, error)
            return _document_page(request, document, {panel or action: form})
        flash_error(request, error)
        return redirect("eoffice:document", pk=document.pk)
    number = getattr(changed, "number_text", "") or getattr(changed, "number", "")
    messages.success(request, str(DONE_MESSAGES[action]) % {"number": number})
    return redirect("eoffice:document", pk=document.pk)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """An outgoing action on the document."""
    user: Any = request.user
    try:
        document = selectors.get_document(user, pk)
    except NotFound as error:
        raise Http404 from error
    simple: dict[str, Callable[..., Any]] = {
        "submit": services.submit_for_review,
        "approve": services.approve_document,
        "sign": services.sign_document,
        "issue": services.issue_document,
        "dispatch": services.dispatch_document,
    }
    if action in simple:
        return _run(request, document, action, lambda: simple[action](pk, actor=user))
    if action in ("send_back", "revoke"):
        reason_form = forms.ReasonForm(request.POST, prefix=action)
        if not reason_form.is_valid():
            return _document_page(request, document, {action: reason_form})
        service = services.send_back if action == "send_back" else services.revoke_document
        reason = reason_form.cleaned_data["reason"]
        return _run(request, document, action, lambda: service(pk, actor=user, reason=reason),
                    reason_form)  # fmt: skip
    if action == "send_to_peer":
        peer_form = forms.PeerForm(request.POST, prefix="send_to_peer")
        if not peer_form.is_valid():
            return _document_page(request, document, {action: peer_form})
        peer = peer_form.cleaned_data
        return _run(
            request, document, action,
            lambda: peers.send_to_peer(pk, actor=user, peer_code=peer["peer_code"],
                                       peer_name=peer["peer_name"]),
            peer_form,
        )  # fmt: skip
    if action == "update":
        update_form = forms.UpdateForm(request.POST, prefix="update")
        if not update_form.is_valid():
            return _document_page(request, document, {"update": update_form})
        data = update_form.cleaned_data
        return _run(
            request, document, action,
            lambda: services.update_document(pk, actor=user, due_date=data["due_date"],
                                             note=data["note"]),
            update_form,
        )  # fmt: skip
    raise Http404


@login_required
@require_POST
def entry_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """An incoming action on a register entry of the officer's agency."""
    user: Any = request.user
    entry = (
        IncomingEntry.objects.filter(pk=pk, dispatch__in=permissions.dispatches_visible_to(user))
        .select_related("dispatch__document")
        .first()
    )
    if entry is None:
        raise Http404
    document = entry.dispatch.document
    if action == "register":
        return _run(request, document, action,
                    lambda: services.register_incoming(pk, actor=user))  # fmt: skip
    if action == "start":
        return _run(request, document, action, lambda: services.start_handling(pk, actor=user))
    if action == "complete":
        note = forms.NoteForm(request.POST)
        text = note.cleaned_data["note"] if note.is_valid() else ""
        return _run(request, document, action,
                    lambda: services.complete_handling(pk, actor=user, note=text))  # fmt: skip
    if action == "reject":
        reason_form = forms.ReasonForm(request.POST, prefix=f"reject-{pk}")
        if not reason_form.is_valid():
            return _document_page(request, document, {f"reject-{pk}": reason_form})
        reason = reason_form.cleaned_data["reason"]
        return _run(request, document, action,
                    lambda: services.reject_incoming(pk, actor=user, reason=reason),
                    reason_form, f"reject-{pk}")  # fmt: skip
    if action == "assign":
        form = forms.AssignForm(request.POST, agency_id=entry.agency_id, prefix=f"assign-{pk}")
        if not form.is_valid():
            return _document_page(request, document, {f"assign-{pk}": form})
        data = form.cleaned_data
        return _run(
            request, document, action,
            lambda: services.assign_handler(pk, actor=user, handler_id=data["handler_id"],
                                            days=data["days"]),
            form, f"assign-{pk}",
        )  # fmt: skip
    raise Http404
