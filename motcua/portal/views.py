"""Pages of the citizen portal: procedures, online filing, the private dossier page, tracking.

Views parse, call one service or selector, and render. Citizens hold no accounts here: a dossier
is reached through its private link (the access token) or, on the public status page, by its
code plus the requester's ID number; a citizen signed in through VNeID (motcua/citizens) also
finds their dossiers listed and the filing form prefilled.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.catalog.models import Procedure
from motcua.catalog.selectors import compute_fees, fee_items_in_force, get_current_procedure
from motcua.citizens.session import current_citizen
from motcua.core.errors import InvalidTransition, MotcuaError, NotFound
from motcua.core.web import flash_error
from motcua.dossiers import routing, services
from motcua.dossiers.models import Dossier
from motcua.dossiers.states import TERMINAL, TRANSITIONS, State
from motcua.payments.models import InvoiceStatus
from motcua.portal import selectors
from motcua.portal.forms import (
    ApplyForm,
    SupplementForm,
    TrackDownloadForm,
    WithdrawForm,
    attach_errors,
)

logger = logging.getLogger(__name__)
IDEMPOTENCY_PREFIX = "portal-"
NOT_FOUND_FOR_DOWNLOAD = gettext_lazy("Không tìm thấy hồ sơ với mã và số định danh này.")
# Compared against when the code matches no dossier, so that a wrong code and a wrong ID
# number take the same time to answer.
_NO_ID_NUMBER = "0" * 12


# --- home ---------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The procedures on offer and a search for the service center where to file."""
    query = request.GET.get("q", "").strip()[:100]
    center = selectors.get_center(request.GET.get("center", ""))
    context = {
        "cards": selectors.list_procedure_cards(timezone.localdate()),
        "query": query,
        "centers": selectors.search_centers(query) if query else [],
        "center": center,
        "nav": "home",
    }
    return render(request, "portal/home.html", context)


@require_GET
def center_search(request: HttpRequest) -> JsonResponse:
    """Service centers matching ``q``, for the search box's suggestions."""
    query = request.GET.get("q", "")[:100]
    centers = selectors.search_centers(query)
    return JsonResponse({"results": [selectors.center_as_dict(c) for c in centers]})


# --- filing a dossier online ----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, procedure_code: str) -> HttpResponse:
    """Step 1: choose the service center (any in the province). Step 2: the e-form."""
    procedure = _procedure_or_404(procedure_code)
    documents = list(procedure.documents.all())
    if request.method == "POST":
        return _submit(request, procedure, documents)

    slug = request.GET.get("center", "")
    center = selectors.get_center(slug)
    if center is None:
        if slug:
            messages.error(
                request,
                _("Không có Trung tâm Phục vụ hành chính công nào như đã chọn trong tỉnh."),
            )
        return _choose_center(request, procedure)

    initial = {"center": center.slug, "form_token": secrets.token_urlsafe(24)}
    citizen = current_citizen(request)
    if citizen is not None:  # signed in through VNeID: their identity fills the form
        initial |= {"requester_name": citizen.full_name, "requester_id_number": citizen.id_number}
    form = ApplyForm(
        initial=initial,
        schema=procedure.form_schema,
        documents=documents,
    )
    return _render_apply(request, procedure, form, center)


def _procedure_or_404(code: str) -> Procedure:
    try:
        return get_current_procedure(code)
    except NotFound as error:
        raise Http404(error.message) from None


def _choose_center(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    context = {
        "procedure": procedure,
        "query": query,
        "centers": selectors.search_centers(query) if query else [],
        "province_center": selectors.get_province_center(),
        "step": 1,
    }
    return render(request, "portal/apply_center.html", context)


def _submit(request: HttpRequest, procedure: Procedure, documents: list[Any]) -> HttpResponse:
    form = ApplyForm(request.POST, request.FILES, schema=procedure.form_schema, documents=documents)
    center = selectors.get_center(request.POST.get("center", ""))
    if not form.is_valid():
        return _render_apply(request, procedure, form, center, status=422)

    uploads, origin = form.uploads()
    try:
        center = routing.get_receiving_center(form.cleaned_data["center"])
        dossier = services.submit_online(
            procedure_code=procedure.code,
            center_id=center.pk,
            form_data=form.form_data(),
            uploads=uploads,
            idempotency_key=IDEMPOTENCY_PREFIX + form.cleaned_data["form_token"],
        )
    except MotcuaError as error:
        attach_errors(form, error, origin)
        return _render_apply(request, procedure, form, center, status=422)

    messages.success(
        request,
        _("Đã nộp hồ sơ %(code)s. Hãy lưu lại đường dẫn của trang này để theo dõi hồ sơ.")
        % {"code": dossier.code},
    )
    return redirect("portal:dossier", dossier.access_token)


def _render_apply(
    request: HttpRequest,
    procedure: Procedure,
    form: ApplyForm,
    center: Any,
    status: int = 200,
) -> HttpResponse:
    fee_items = fee_items_in_force(procedure, timezone.localdate(), settings.MOTCUA_PROVINCE_CODE)
    context = {
        "procedure": procedure,
        "form": form,
        "center": center,
        "fee_items": fee_items,
        "fee_pairs": list(zip(fee_items, selectors.fee_summary(procedure, fee_items), strict=True)),
        "estimate": _estimate(procedure, form) if form.is_bound else None,
        "step": 2,
    }
    return render(request, "portal/apply_form.html", context, status=status)


def _estimate(procedure: Procedure, form: ApplyForm) -> int | None:
    """The fee for what was entered, computed as the invoice will be; None while the entered
    quantities are not numbers."""
    data = {name: form.data.get(name, "") for name in form.eform_names}
    try:
        lines = compute_fees(procedure, data, timezone.localdate(), settings.MOTCUA_PROVINCE_CODE)
    except ValueError:
        return None
    return sum(line.amount for line in lines)


# --- the citizen's dossier page ------------------------------------------------------------


@never_cache
@require_GET
def dossier(request: HttpRequest, access_token: str) -> HttpResponse:
    return _render_dossier(request, _dossier_or_404(access_token))


@never_cache
@require_POST
def supplement(request: HttpRequest, access_token: str) -> HttpResponse:
    record = _dossier_or_404(access_token)
    form = SupplementForm(request.POST, request.FILES, documents=record.procedure.documents.all())
    if form.is_valid():
        uploads, origin = form.uploads()
        try:
            services.supplement(
                record.pk,
                access_token=access_token,
                uploads=uploads,
                note=form.cleaned_data["note"],
            )
        except InvalidTransition as error:
            flash_error(request, error)
            return redirect("portal:dossier", access_token)
        except MotcuaError as error:
            attach_errors(form, error, origin)
        else:
            messages.success(request, _("Đã gửi hồ sơ bổ sung."))
            return redirect("portal:dossier", access_token)
    return _render_dossier(request, record, supplement_form=form, status=422)


@never_cache
@require_POST
def withdraw(request: HttpRequest, access_token: str) -> HttpResponse:
    record = _dossier_or_404(access_token)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.withdraw(
                record.pk, access_token=access_token, reason=form.cleaned_data["reason"]
            )
        except InvalidTransition as error:
            flash_error(request, error)
            return redirect("portal:dossier", access_token)
        except MotcuaError as error:
            attach_errors(form, error, {})
        else:
            messages.success(request, _("Đã rút hồ sơ."))
            return redirect("portal:dossier", access_token)
    return _render_dossier(request, record, withdraw_form=form, status=422)


@never_cache
@require_GET
def dossier_file(request: HttpRequest, access_token: str, file_id: int) -> FileResponse:
    """A file of the dossier (receipt slip, result, attachment), downloaded under its name."""
    try:
        record = selectors.get_dossier_file(access_token, file_id)
    except NotFound:
        raise Http404 from None
    logger.info("portal.file_downloaded dossier=%s file=%s", record.dossier_id, record.pk)
    return FileResponse(
        record.file.open("rb"),
        as_attachment=True,
        filename=record.original_name,
        content_type=record.content_type,
    )


def _dossier_or_404(access_token: str) -> Dossier:
    try:
        return selectors.get_dossier_by_token(access_token)
    except NotFound:
        raise Http404 from None


def _render_dossier(
    request: HttpRequest,
    record: Dossier,
    *,
    supplement_form: SupplementForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    invoice = getattr(record, "invoice", None)
    unpaid = invoice is not None and invoice.status == InvoiceStatus.UNPAID
    files = selectors.files_by_kind(record)
    context = {
        "dossier": record,
        "state_label": State(record.state).label,
        "is_closed": record.state in TERMINAL,
        "invoice": invoice,
        "invoice_lines": list(invoice.lines.all()) if invoice else [],
        "unpaid": unpaid,
        "pay_url": _payments_url("payments:start", record)
        if unpaid and record.state not in TERMINAL
        else None,
        "receipt_url": _payments_url("payments:receipt", record)
        if invoice is not None and invoice.status == InvoiceStatus.PAID
        else None,
        "receipt_slips": files["receipt_slip"],
        "results": files["result"],
        "attachments": files["attachment"],
        "timeline": selectors.timeline(record, public=False),
        "supplement_request": selectors.open_supplement_request(record),
        "supplement_form": supplement_form
        or SupplementForm(documents=record.procedure.documents.all()),
        "can_withdraw": record.state in TRANSITIONS["withdraw"].sources,
        "withdraw_form": withdraw_form or WithdrawForm(),
        "private_url": request.build_absolute_uri(),
    }
    return render(request, "portal/dossier.html", context, status=status)


def _payments_url(name: str, record: Dossier) -> str | None:
    """A page of the payments app for this dossier; None until that app offers it."""
    try:
        return reverse(name, args=[record.access_token])
    except NoReverseMatch:
        return None


# --- public status by code -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Where a dossier stands, by its code (the QR code of the receipt slip points here)."""
    if request.method == "POST":
        return _open_by_id_number(request)
    code = request.GET.get("code", "").strip()[:50]
    found = selectors.find_dossier_by_code(code) if code else None
    return _render_track(request, code, found, TrackDownloadForm(initial={"code": code}))


def _render_track(
    request: HttpRequest,
    code: str,
    found: Dossier | None,
    form: TrackDownloadForm,
    status: int = 200,
) -> HttpResponse:
    context = {
        "code": code,
        "found": found,
        "state_label": State(found.state).label if found else "",
        "timeline": selectors.timeline(found, public=True) if found else [],
        "download_form": form,
        "nav": "track",
    }
    return render(request, "portal/track.html", context, status=status)


def _open_by_id_number(request: HttpRequest) -> HttpResponse:
    """Code plus the requester's ID number open the dossier page. A wrong code and a wrong
    number give the same answer, so that neither can be probed on its own."""
    form = TrackDownloadForm(request.POST)
    if form.is_valid():
        record = selectors.find_dossier_for_download(form.cleaned_data["code"])
        expected = record.applicant_id_number if record else _NO_ID_NUMBER
        given = form.cleaned_data["id_number"]
        if hmac.compare_digest(expected.encode(), given.encode()) and record is not None:
            return redirect("portal:dossier", record.access_token)
        form.add_error(None, str(NOT_FOUND_FOR_DOWNLOAD))
    code = str(request.POST.get("code", "")).strip()[:50]
    found = selectors.find_dossier_by_code(code) if code else None
    return _render_track(request, code, found, form, status=422)
