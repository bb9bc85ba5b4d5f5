"""Operators' pages of the interconnection (/mot-cua/lien-thong/): peers, outbox, inbox, jobs.

Province administrators only. Thin: selectors read, ``outbox.retry_message`` acts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from motcua.core import audit, clock
from motcua.core.errors import MotcuaError
from motcua.core.web import flash_error
from motcua.exchange import outbox, selectors, services
from motcua.exchange.models import InboxState, OutboxState, Peer
from motcua.exchange.permissions import is_exchange_operator
from motcua.exchange.templatetags.exchange_tags import OUTBOX_BADGES

PAGE_SIZE = 50
View = Callable[..., HttpResponse]

INBOX_BADGES = {
    InboxState.RECEIVED: "soon",
    InboxState.PROCESSED: "ok",
    InboxState.REJECTED: "late",
    InboxState.FAILED: "late",
}


def operator_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_exchange_operator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context.setdefault("section", template.split(".")[0])
    context["outbox_badges"] = OUTBOX_BADGES
    context["inbox_badges"] = INBOX_BADGES
    return render(request, f"exchange/{template}", context)


@operator_only
def peers(request: HttpRequest) -> HttpResponse:
    context = {
        "rows": selectors.peer_overview(),
        "summary": selectors.outbox_summary(),
        "states": OutboxState.choices,
    }
    return _render(request, "peers.html", context)


def _outbox_page(
    request: HttpRequest, *, peer: Peer | None, stream: str | None, title: str
) -> HttpResponse:
    state = request.GET.get("state") or None
    if state is not None and state not in OutboxState.values:
        state = None
    queryset = selectors.list_outbox(peer=peer, stream=stream, state=state)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    base_query = {key: value for key, value in (("stream", stream), ("state", state)) if value}
    context = {
        "title": title,
        "peer": peer,
        "stream": stream,
        "state": state,
        "states": OutboxState.choices,
        "page": page,
        "blocked": selectors.blocked_streams(),
        "base_query": urlencode(base_query),
        "here": request.get_full_path(),
    }
    return _render(request, "outbox.html", context)


@operator_only
def outbox_list(request: HttpRequest) -> HttpResponse:
    stream = (request.GET.get("stream") or "").strip()[:120] or None
    title = (
        _("Tin gửi đi") if stream is None else _("Tin gửi đi của %(stream)s") % {"stream": stream}
    )
    return _outbox_page(request, peer=None, stream=stream, title=title)


@operator_only
def peer_outbox(request: HttpRequest, code: str) -> HttpResponse:
    peer = Peer.objects.filter(code=code).first()
    if peer is None:
        raise Http404
    title = _("Tin gửi đến %(name)s") % {"name": peer.name}
    return _outbox_page(request, peer=peer, stream=None, title=title)


@operator_only
def dossier_outbox(request: HttpRequest, pk: int) -> HttpResponse:
    stream = selectors.dossier_stream(pk)
    # A purged dossier keeps its messages (the trail of what was sent); an id that never had
    # either is not a page.
    if not selectors.dossier_known(pk, stream):
        raise Http404
    title = _("Tin gửi đi về hồ sơ #%(id)s") % {"id": pk}
    return _outbox_page(request, peer=None, stream=stream, title=title)


@operator_only
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One outbound message with what was sent and what the peer answered. The payload may
    carry an applicant's personal data, so opening it is recorded (Decree 13/2023)."""
    message = selectors.list_outbox().filter(pk=pk).first()
    if message is None:
        raise Http404
    audit.record_personal_data_view(message, actor=request.user, purpose="exchange.outbox")
    context = {
        "m": message,
        "payload": json.dumps(message.payload, ensure_ascii=False, indent=2),
        "response": json.dumps(message.response, ensure_ascii=False, indent=2)
        if message.response is not None
        else "",
        "here": request.get_full_path(),
        "section": "outbox",
    }
    return _render(request, "message.html", context)


@operator_only
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        message = outbox.retry_message(pk, actor=request.user)
    except MotcuaError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("Tin #%(id)s sẽ được gửi lại ngay.") % {"id": message.pk})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("exchange:outbox")
    return redirect(back)


@operator_only
@require_POST
def peer_active(request: HttpRequest, code: str) -> HttpResponse:
    """Pause (tạm ngừng) or resume exchanges with a peer; its messages wait meanwhile."""
    active = request.POST.get("active") == "1"
    try:
        peer = services.set_peer_active(code, active, actor=request.user)
    except MotcuaError as error:
        flash_error(request, error)
    else:
        text = (
            _("Đã kết nối lại với %(name)s.") if active else _("Đã tạm ngừng gửi tin đến %(name)s.")
        )
        messages.success(request, text % {"name": peer.name})
    return redirect("exchange:peers")


@operator_only
def inbox_list(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("peer") or None
    peer = Peer.objects.filter(code=code).first() if code else None
    state = request.GET.get("state") or None
    if state is not None and state not in InboxState.values:
        state = None
    page = Paginator(selectors.list_inbox(peer=peer, state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = urlencode({key: value for key, value in (("peer", code), ("state", state)) if value})
    context = {"page": page, "peer": peer, "state": state, "peer_query": query}
    return _render(request, "inbox.html", context)


@operator_only
def inbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One inbound message: what the peer sent and the reply we gave (personal-data view)."""
    message = selectors.list_inbox().filter(pk=pk).first()
    if message is None:
        raise Http404
    audit.record_personal_data_view(message, actor=request.user, purpose="exchange.inbox")
    context = {
        "m": message,
        "payload": json.dumps(message.payload, ensure_ascii=False, indent=2),
        "response": json.dumps(message.result, ensure_ascii=False, indent=2)
        if message.result is not None
        else "",
        "section": "inbox",
    }
    return _render(request, "inbox_message.html", context)


@operator_only
def jobs(request: HttpRequest) -> HttpResponse:
    return _render(request, "jobs.html", {"rows": selectors.list_jobs()})


@operator_only
def reconciliation(request: HttpRequest) -> HttpResponse:
    """The national portal's acknowledged statuses against motcua's (đối soát)."""
    from motcua.exchange.dvcqg import reconciliation as dvcqg_reconciliation

    days = 30
    since = clock.now() - timedelta(days=days)
    report = dvcqg_reconciliation.reconcile(since=since)
    return _render(request, "reconciliation.html", {"report": report, "days": days})


@operator_only
@require_POST
def resync(request: HttpRequest, pk: int) -> HttpResponse:
    from motcua.exchange.dvcqg import reconciliation as dvcqg_reconciliation

    try:
        message = dvcqg_reconciliation.resync_dossier(pk, actor=request.user)
    except MotcuaError as error:
        flash_error(request, error)
    else:
        messages.success(
            request,
            _("Đã đưa trạng thái hồ sơ %(code)s vào hộp thư đi (tin số %(id)s).")
            % {"code": message.payload["data"][0]["MaHoSo"], "id": message.pk},
        )
    return redirect("exchange:reconciliation")
