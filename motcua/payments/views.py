"""Online payment pages and endpoints, and the built-in sandbox gateway's pages.

The applicant's pages are reached with the dossier's access token (the capability the
applicant's links carry). The IPN endpoint and the sandbox's query endpoint are machine
endpoints: csrf-exempt, signed, JSON.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import clock
from motcua.core.context import current_origin
from motcua.core.errors import InvalidInput, MotcuaError, NotFound
from motcua.payments import gateway, sandbox, selectors, services
from motcua.payments.models import Invoice, InvoiceStatus

logger = logging.getLogger(__name__)


def dossier_url(access_token: str) -> str:
    """The applicant's dossier page, where the portal provides one."""
    try:
        return reverse("portal:dossier", args=[access_token])
    except NoReverseMatch:
        return "/"


def vnd(amount: int) -> str:
    """ "16.000 đồng": dots between thousands, as Vietnamese writes amounts."""
    return f"{amount:,} đồng".replace(",", ".")


def _error_page(request: HttpRequest, error: MotcuaError, back_url: str = "/") -> HttpResponse:
    return render(
        request,
        "payments/error.html",
        {"error": error, "back_url": back_url},
        status=error.status,
    )


@require_POST
def start(request: HttpRequest, token: str) -> HttpResponse:
    """The applicant chooses to pay online: open an attempt, go to the gateway."""
    try:
        invoice = selectors.get_invoice_by_token(token)
        url = services.start_online_payment(
            invoice.dossier,
            return_url=settings.MOTCUA_PUBLIC_URL + reverse("payments:return"),
            client_ip=current_origin().ip or request.META.get("REMOTE_ADDR") or "127.0.0.1",
        )
    except MotcuaError as error:
        return _error_page(request, error, dossier_url(token))
    return redirect(url)


@dataclass(frozen=True)
class RefusedReturn:
    """A return from the gateway that is not believed: the check it failed (``signature``,
    ``unknown_transaction`` or ``amount``) and what to tell the applicant about it."""

    check: str
    message: str


def refused_return(outcome: services.ReturnOutcome) -> RefusedReturn:
    """The applicant's words for the check a return failed: they name the check, never the
    secret or the expected signature."""
    if outcome.check == "amount" and outcome.attempt is not None:
        message = gettext(
            "Số tiền trong kết quả trả về khác với số tiền của khoản phí (%(amount)s). Kết "
            "quả này không được ghi nhận; hệ thống sẽ đối soát với cổng thanh toán."
        ) % {"amount": vnd(outcome.attempt.amount)}
    elif outcome.check == "signature":
        message = gettext(
            "Chữ ký của kết quả trả về không khớp: địa chỉ trả về đã bị sửa hoặc không do "
            "cổng thanh toán tạo ra. Kết quả này không được ghi nhận."
        )
    else:
        message = gettext(
            "Kết quả trả về nói về một giao dịch không có trong hệ thống (không khớp mã giao "
            "dịch nào). Kết quả này không được ghi nhận."
        )
    return RefusedReturn(outcome.check, message)


@require_GET
def payment_return(request: HttpRequest) -> HttpResponse:
    """The browser back from the gateway: paid, pending, failed or not known yet; a return that
    fails a check is refused with the check it failed (400), and nothing is settled from it."""
    outcome = services.handle_return(request.GET.dict())
    if outcome.status == "invalid":
        # Nothing of the dossier is shown for a return that is not believed.
        refused = {"outcome": outcome, "refusal": refused_return(outcome)}
        return render(request, "payments/result.html", refused, status=400)
    invoice = outcome.invoice
    context: dict[str, Any] = {"outcome": outcome, "invoice": invoice, "attempt": outcome.attempt}
    if invoice is not None:
        token = invoice.dossier.access_token
        context["dossier"] = invoice.dossier
        context["amount_text"] = vnd(invoice.amount)
        context["dossier_url"] = dossier_url(token)
        if invoice.status == InvoiceStatus.PAID:
            context["receipt_url"] = reverse("payments:receipt", args=[token])
    return render(request, "payments/result.html", context)


@csrf_exempt
@require_GET
def ipn(request: HttpRequest) -> JsonResponse:
    """The gateway's server-to-server notification (IPN); the answer tells it to stop retrying."""
    answer = services.handle_notification(request.GET.dict(), provider=gateway.get_provider())
    return JsonResponse(answer)


@require_GET
def receipt(request: HttpRequest, token: str) -> HttpResponse:
    """A printable receipt (biên lai) for a paid fee."""
    try:
        invoice = selectors.get_invoice_by_token(token)
    except MotcuaError as error:
        return _error_page(request, error)
    if invoice.status != InvoiceStatus.PAID:
        return _error_page(request, _not_paid(invoice), dossier_url(token))
    context = {
        "invoice": invoice,
        "dossier": invoice.dossier,
        "lines": [
            {
                "name": line.name_vi,
                "unit_text": vnd(line.unit_amount),
                "quantity": line.quantity,
                "amount_text": vnd(line.amount),
            }
            for line in invoice.lines.all()
        ],
        "amount_text": vnd(invoice.amount),
        "attempt": selectors.get_paid_attempt(invoice),
        "dossier_url": dossier_url(token),
    }
    return render(request, "payments/receipt.html", context)


def _not_paid(invoice: Invoice) -> MotcuaError:
    if invoice.status == InvoiceStatus.NOT_DUE:
        return NotFound(_("Hồ sơ không phải nộp phí nên không có biên lai."), code="nothing_due")
    return NotFound(_("Khoản phí của hồ sơ chưa được nộp nên chưa có biên lai."), code="not_paid")


# --- the sandbox gateway -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sandbox_pay(request: HttpRequest) -> HttpResponse:
    """The sandbox's bank page: GET shows the signed request, POST records the payer's choice,
    sends the browser back with the signed result and notifies motcua (IPN)."""
    if not sandbox.enabled():
        raise Http404
    try:
        payment = sandbox.check_payment_request(request.GET.dict(), now=clock.now())
    except InvalidInput as error:
        return render(request, "payments/sandbox_error.html", {"error": error}, status=400)
    choice = request.POST.get("choice") if request.method == "POST" else None
    if choice not in ("pay", "cancel"):
        context = {
            "payment": payment,
            "action": request.get_full_path(),
            "amount_text": vnd(payment.amount),
        }
        status = 400 if request.method == "POST" else 200
        return render(request, "payments/sandbox_pay.html", context, status=status)
    txn = sandbox.record_choice(payment, pay=choice == "pay", now=clock.now())
    params = sandbox.result_params(txn)
    if not request.POST.get("skip_ipn"):
        sandbox.notify(params)
    return redirect(sandbox.return_url(payment, params))


@csrf_exempt
@require_POST
def sandbox_query(request: HttpRequest) -> JsonResponse:
    """The sandbox's querydr endpoint (signed JSON in, signed JSON out)."""
    if not sandbox.enabled():
        raise Http404
    try:
        body = json.loads(request.body)
    except ValueError:
        body = None
    return JsonResponse(sandbox.answer_query(body))
