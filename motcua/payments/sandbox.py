"""The built-in sandbox gateway: a stand-in for the bank side of the VNPAY 2.1.0 protocol.

For development, demonstrations and drills (``MOTCUA_SANDBOX_GATEWAY``, on by default). It
plays the gateway with the merchant code and secret motcua is configured with: it checks the
signed payment request, shows a bank-like page, records the payer's choice in its own ledger
(``SandboxTransaction``), sends the browser back to the return URL with the signed result and
notifies motcua server-to-server (the IPN); its status query (querydr) answers from the ledger.

As a bank's servers do, the sandbox sends the IPN on its own, after it has answered the browser
(``MOTCUA_SANDBOX_IPN_BACKGROUND``, on by default): from a small pool of threads of its process,
so that a payer's request never waits for motcua to answer the notification, even when the
sandbox runs inside the very server it notifies. A notification not sent when its process stops
is left, as a lost one: motcua's return page and reconciliation job ask the status query.

Traffic goes over HTTP through ``gateway.http_client``, so that tests can carry it into the
same Django app with an httpx transport instead of a network.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import InvalidInput
from motcua.core.sequences import next_value
from motcua.payments import gateway
from motcua.payments.models import SandboxTransaction

logger = logging.getLogger(__name__)

BANK_CODE = "NCB"
CARD_TYPE = "ATM"
RESPONSE_CANCELLED = "24"  # the payer cancelled on the gateway's page
STATUS_FAILED = "02"
TRANSACTION_TYPE_PAYMENT = "01"
# Gateway transaction numbers start here so that they look like the real ones (8 digits).
TRANSACTION_NO_BASE = 14_000_000
# Notifications in flight at once per process; more wait their turn in the pool's queue.
IPN_THREADS = 4


def enabled() -> bool:
    return bool(settings.MOTCUA_SANDBOX_GATEWAY)


@dataclass(frozen=True)
class PaymentRequest:
    """A verified ``vnp_Command=pay`` request."""

    merchant: str
    txn_ref: str
    amount: int  # VND
    order_info: str
    return_url: str
    create_date: str
    expire_at: datetime
    locale: str


def _field(params: Mapping[str, Any], name: str) -> str:
    value = str(params.get(name, "") or "").strip()
    if not value:
        raise InvalidInput(_("Thiếu trường “%(name)s”."), field=name, code="required", name=name)
    return value


def _expect(params: Mapping[str, Any], name: str, expected: str) -> None:
    if _field(params, name) != expected:
        raise InvalidInput(
            _("Trường “%(name)s” phải là “%(expected)s”."),
            field=name,
            code="unsupported",
            name=name,
            expected=expected,
        )


def check_payment_request(params: Mapping[str, Any], *, now: datetime) -> PaymentRequest:
    """Verify a payment request as the gateway would; ``InvalidInput`` names the bad field."""
    if not gateway.verify_signature(params, settings.MOTCUA_PAYMENT_SECRET):
        raise InvalidInput(
            _("Chữ ký của yêu cầu thanh toán không hợp lệ."),
            field="vnp_SecureHash",
            code="invalid_signature",
        )
    _expect(params, "vnp_Version", gateway.VERSION)
    _expect(params, "vnp_Command", "pay")
    _expect(params, "vnp_CurrCode", "VND")
    _expect(params, "vnp_TmnCode", settings.MOTCUA_PAYMENT_MERCHANT)
    amount = _field(params, "vnp_Amount")
    if not amount.isdigit() or int(amount) <= 0 or int(amount) % 100:
        raise InvalidInput(
            _("Số tiền phải là số nguyên dương, tính bằng đồng nhân 100."),
            field="vnp_Amount",
            code="bad_amount",
        )
    create_date = _field(params, "vnp_CreateDate")
    expire_at = gateway.parse_time(_field(params, "vnp_ExpireDate"))
    if gateway.parse_time(create_date) is None or expire_at is None:
        raise InvalidInput(
            _("Thời gian phải theo dạng yyyyMMddHHmmss."), field="vnp_ExpireDate", code="bad_date"
        )
    if now > expire_at:
        raise InvalidInput(
            _("Giao dịch đã hết thời gian chờ thanh toán."), field="vnp_ExpireDate", code="expired"
        )
    return PaymentRequest(
        merchant=settings.MOTCUA_PAYMENT_MERCHANT,
        txn_ref=_field(params, "vnp_TxnRef"),
        amount=int(amount) // 100,
        order_info=_field(params, "vnp_OrderInfo"),
        return_url=_field(params, "vnp_ReturnUrl"),
        create_date=create_date,
        expire_at=expire_at,
        locale=str(params.get("vnp_Locale", "vn")),
    )


def record_choice(payment: PaymentRequest, *, pay: bool, now: datetime) -> SandboxTransaction:
    """Record what the payer chose. A second submission returns the first outcome unchanged."""
    existing = SandboxTransaction.objects.filter(
        merchant=payment.merchant, txn_ref=payment.txn_ref
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            number = next_value("sandbox-gateway:transaction")
            txn = SandboxTransaction.objects.create(
                merchant=payment.merchant,
                txn_ref=payment.txn_ref,
                amount=payment.amount,
                order_info=payment.order_info,
                create_date=payment.create_date,
                transaction_no=str(TRANSACTION_NO_BASE + number),
                bank_code=BANK_CODE,
                card_type=CARD_TYPE,
                response_code=gateway.SUCCESS if pay else RESPONSE_CANCELLED,
                transaction_status=gateway.SUCCESS if pay else STATUS_FAILED,
                pay_date=gateway.format_time(now),
                created_at=now,
            )
    except IntegrityError:
        return SandboxTransaction.objects.get(merchant=payment.merchant, txn_ref=payment.txn_ref)
    logger.info("sandbox.transaction id=%s code=%s", txn.pk, txn.response_code)
    return txn


def result_params(txn: SandboxTransaction) -> dict[str, str]:
    """The signed result that the gateway sends to both the IPN and the return URL."""
    params = {
        "vnp_Amount": str(txn.amount * 100),
        "vnp_BankCode": txn.bank_code,
        "vnp_BankTranNo": f"{txn.bank_code}{txn.pay_date}" if txn.response_code == "00" else "",
        "vnp_CardType": txn.card_type,
        "vnp_OrderInfo": txn.order_info,
        "vnp_PayDate": txn.pay_date,
        "vnp_ResponseCode": txn.response_code,
        "vnp_TmnCode": txn.merchant,
        "vnp_TransactionNo": txn.transaction_no,
        "vnp_TransactionStatus": txn.transaction_status,
        "vnp_TxnRef": txn.txn_ref,
    }
    data = gateway.signing_data(params)
    signed = {key: value for key, value in params.items() if value != ""}
    signed["vnp_SecureHash"] = gateway.hmac_sha512(settings.MOTCUA_PAYMENT_SECRET, data)
    return signed


def return_url(payment: PaymentRequest, params: Mapping[str, str]) -> str:
    """Where the payer's browser goes back: the merchant's return URL with the signed result."""
    separator = "&" if "?" in payment.return_url else "?"
    return (
        payment.return_url
        + separator
        + gateway.signed_query(params, settings.MOTCUA_PAYMENT_SECRET)
    )


def ipn_url() -> str:
    return settings.MOTCUA_PUBLIC_URL + reverse("payments:ipn")


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_in_flight: set[Future[bool]] = set()


def notify(params: Mapping[str, str]) -> None:
    """Send the IPN for a recorded choice: in the background (see the module's text) or, with
    ``MOTCUA_SANDBOX_IPN_BACKGROUND`` off, here and now."""
    if not settings.MOTCUA_SANDBOX_IPN_BACKGROUND:
        deliver_ipn(params)
        return
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=IPN_THREADS, thread_name_prefix="sandbox-ipn")
        future = _pool.submit(deliver_ipn, dict(params))
        _in_flight.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future[bool]) -> None:
    with _pool_lock:
        _in_flight.discard(future)


def drain(timeout: float = 30.0) -> int:
    """Wait until the notifications sent in the background so far are done (or ``timeout``
    seconds); how many are still in flight."""
    with _pool_lock:
        pending = set(_in_flight)
    _done, not_done = wait(pending, timeout=timeout)
    return len(not_done)


def deliver_ipn(params: Mapping[str, str]) -> bool:
    """Notify motcua's IPN endpoint server-to-server; ``True`` once it confirmed ("00"/"02").

    A failed delivery is logged and left: the merchant's status query still finds the result.
    """
    try:
        with gateway.http_client() as client:
            response = client.get(ipn_url(), params=dict(params))
            answer = response.json()
    except (httpx.HTTPError, ValueError) as error:
        logger.warning("sandbox.ipn_undelivered error=%s", type(error).__name__)
        return False
    code = answer.get("RspCode") if isinstance(answer, dict) else None
    logger.info("sandbox.ipn_delivered status=%s answer=%s", response.status_code, code)
    return code in ("00", "02")


def answer_query(body: Any) -> dict[str, str]:
    """Answer a querydr request from the sandbox ledger, signed as the gateway signs."""
    request = body if isinstance(body, dict) else {}
    answer = {
        "vnp_ResponseId": secrets.token_hex(16),
        "vnp_Command": "querydr",
        "vnp_TmnCode": str(request.get("vnp_TmnCode", "")),
        "vnp_TxnRef": str(request.get("vnp_TxnRef", "")),
    }
    code, message = _query_code(request)
    answer.update(vnp_ResponseCode=code, vnp_Message=message)
    if code == gateway.SUCCESS:
        txn = SandboxTransaction.objects.get(
            merchant=answer["vnp_TmnCode"], txn_ref=answer["vnp_TxnRef"]
        )
        answer.update(
            vnp_Amount=str(txn.amount * 100),
            vnp_BankCode=txn.bank_code,
            vnp_PayDate=txn.pay_date,
            vnp_TransactionNo=txn.transaction_no,
            vnp_TransactionType=TRANSACTION_TYPE_PAYMENT,
            vnp_TransactionStatus=txn.transaction_status,
            vnp_OrderInfo=txn.order_info,
            vnp_PromotionCode="",
            vnp_PromotionAmount="",
        )
    answer["vnp_SecureHash"] = gateway.sign_fields(
        answer, gateway.QUERY_RESPONSE_FIELDS, settings.MOTCUA_PAYMENT_SECRET
    )
    return answer


def _query_code(request: dict[str, Any]) -> tuple[str, str]:
    expected = gateway.sign_fields(
        request, gateway.QUERY_REQUEST_FIELDS, settings.MOTCUA_PAYMENT_SECRET
    )
    if not gateway.same_hash(request.get("vnp_SecureHash"), expected):
        return "97", "Invalid checksum"
    if request.get("vnp_Command") != "querydr" or request.get("vnp_Version") != gateway.VERSION:
        return "03", "Invalid data format"
    if request.get("vnp_TmnCode") != settings.MOTCUA_PAYMENT_MERCHANT:
        return "02", "Merchant is not valid"
    # The gateway finds a transaction by its reference and the date the merchant created it.
    found = SandboxTransaction.objects.filter(
        merchant=request.get("vnp_TmnCode"),
        txn_ref=request.get("vnp_TxnRef"),
        create_date=request.get("vnp_TransactionDate"),
    ).exists()
    if not found:
        return gateway.QUERY_NOT_FOUND, "Transaction not found"
    return gateway.SUCCESS, "QueryDR Success"
