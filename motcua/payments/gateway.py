"""Online payment gateways: the provider interface and the VNPAY 2.1.0 adapter.

The protocol, as the gateway publishes it:

* **Payment URL.** The applicant's browser is redirected to the gateway with query parameters
  ``vnp_Version=2.1.0``, ``vnp_Command=pay``, ``vnp_TmnCode`` (merchant), ``vnp_Amount`` (VND
  × 100), ``vnp_CurrCode=VND``, ``vnp_TxnRef``, ``vnp_OrderInfo``, ``vnp_OrderType``,
  ``vnp_Locale`` (``vn``/``en``), ``vnp_ReturnUrl``, ``vnp_IpAddr``, ``vnp_CreateDate`` and
  ``vnp_ExpireDate`` (``yyyyMMddHHmmss`` in GMT+7).
* **Signature.** The ``vnp_`` fields other than the hash fields, with a non-empty value, sorted
  by key, URL-encoded (spaces as ``+``) and joined with ``&``; ``vnp_SecureHash`` is the hex
  HMAC-SHA512 of that string under the merchant's secret. The browser's return and the IPN
  (the server-to-server notification, a GET) carry result fields signed the same way.
* **Status query** (``vnp_Command=querydr``): a signed JSON POST; the request and the answer are
  each signed over their fixed fields joined with ``|``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from unidecode import unidecode

from motcua.core import clock
from motcua.core.errors import InvalidInput
from motcua.payments.models import PaymentAttempt

logger = logging.getLogger(__name__)

VERSION = "2.1.0"
GATEWAY_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # the protocol's dates are GMT+7 whatever our zone
DATE_FORMAT = "%Y%m%d%H%M%S"
HASH_FIELDS = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})
# How long the gateway keeps a payment page open (vnp_ExpireDate = vnp_CreateDate + this).
PAYMENT_EXPIRY = timedelta(minutes=15)
HTTP_TIMEOUT = 5.0  # seconds; a status query must not hold the applicant's page for long

# Tests and the drill put an httpx transport here (httpx.WSGITransport into this very Django
# app, or httpx.MockTransport) so that gateway traffic runs without a network.
HTTP_TRANSPORT: httpx.BaseTransport | None = None

QUERY_REQUEST_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
QUERY_RESPONSE_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)

SUCCESS = "00"
QUERY_NOT_FOUND = "91"
STATUS_INCOMPLETE = "01"  # the payer has not finished (or abandoned) the payment page
STATUS_SUSPECTED = "07"  # held by the gateway for fraud review: neither paid nor failed yet


# --- signing -----------------------------------------------------------------------------------


def format_time(moment: datetime) -> str:
    """``moment`` as the protocol writes dates: ``yyyyMMddHHmmss`` in GMT+7."""
    return moment.astimezone(GATEWAY_TZ).strftime(DATE_FORMAT)


def parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=GATEWAY_TZ)
    except (TypeError, ValueError):
        return None


def signing_data(params: Mapping[str, Any]) -> str:
    """The string that ``vnp_SecureHash`` signs: the non-empty ``vnp_`` fields except the hash
    fields, sorted by key, URL-encoded with ``+`` for spaces, joined with ``&``."""
    pairs = sorted(
        (key, str(value))
        for key, value in params.items()
        if key.startswith("vnp_") and key not in HASH_FIELDS and str(value) != ""
    )
    return urlencode(pairs)


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def signed_query(params: Mapping[str, Any], secret: str) -> str:
    """The query string of a signed redirect: the signing data, then ``vnp_SecureHash``."""
    data = signing_data(params)
    return f"{data}&vnp_SecureHash={hmac_sha512(secret, data)}"


def sign_fields(params: Mapping[str, Any], fields: tuple[str, ...], secret: str) -> str:
    """The querydr signature: HMAC-SHA512 of the ``fields``' values joined with ``|``."""
    return hmac_sha512(secret, "|".join(str(params.get(name, "")) for name in fields))


def same_hash(given: Any, expected: str) -> bool:
    """Constant-time comparison of a received hex hash with ours (hex case is not significant)."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.strip().lower().encode(), expected.lower().encode())


def verify_signature(params: Mapping[str, Any], secret: str) -> bool:
    return same_hash(params.get("vnp_SecureHash"), hmac_sha512(secret, signing_data(params)))


# --- what a gateway reports ------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayResult:
    """One transaction's outcome as the gateway reports it (return, IPN or status query)."""

    txn_ref: str
    amount: int  # VND
    response_code: str
    transaction_status: str = ""
    provider_txn_no: str = ""
    bank_code: str = ""
    paid_at: datetime | None = None
    found: bool = True

    @property
    def success(self) -> bool:
        return (
            self.found
            and self.response_code == SUCCESS
            and self.transaction_status in (SUCCESS, "")
        )

    @property
    def state(self) -> str:
        """``paid``, ``failed``, ``pending`` (payer not done), ``review`` or ``not_found``."""
        if not self.found:
            return "not_found"
        if self.success:
            return "paid"
        if self.transaction_status == STATUS_INCOMPLETE:
            return "pending"
        if self.transaction_status == STATUS_SUSPECTED:
            return "review"
        return "failed"


class PaymentProvider(Protocol):
    """An online payment gateway, as the payment services use it."""

    name: str

    def payment_url(
        self, attempt: PaymentAttempt, *, return_url: str, client_ip: str, now: datetime
    ) -> str:
        """Where to send the applicant's browser to pay ``attempt``."""
        ...

    def verify(self, params: Mapping[str, Any]) -> bool:
        """Whether ``params`` (a return or a notification) carry our valid signature."""
        ...

    def parse_result(self, params: Mapping[str, Any]) -> GatewayResult:
        """The outcome carried by verified ``params``; ``InvalidInput`` when malformed."""
        ...

    def query(self, attempt: PaymentAttempt) -> GatewayResult | None:
        """Ask the gateway for the attempt's status; ``None`` when no trustworthy answer came."""
        ...


def http_client(timeout: float = HTTP_TIMEOUT) -> httpx.Client:
    return httpx.Client(transport=HTTP_TRANSPORT, timeout=timeout)


def _amount_of(params: Mapping[str, Any]) -> int:
    raw = str(params.get("vnp_Amount", ""))
    if not raw.isdigit() or int(raw) % 100:
        raise InvalidInput(
            _("Số tiền phải là số nguyên: số đồng nhân 100."), field="vnp_Amount", code="bad_amount"
        )
    return int(raw) // 100


def _required(params: Mapping[str, Any], name: str) -> str:
    value = str(params.get(name, "") or "").strip()
    if not value:
        raise InvalidInput(_("Thiếu trường bắt buộc."), field=name, code="required")
    return value


# --- VNPAY 2.1.0 -------------------------------------------------------------------------------


class VnpayProvider:
    """The VNPAY 2.1.0 payment gateway (and the built-in sandbox, which speaks the same)."""

    name = "vnpay"

    def __init__(
        self,
        *,
        merchant: str,
        secret: str,
        pay_url: str,
        query_url: str,
        server_ip: str = "127.0.0.1",
        transport: httpx.BaseTransport | None = None,
        timeout: float = HTTP_TIMEOUT,
    ) -> None:
        self.merchant = merchant
        self.secret = secret
        self.pay_url = pay_url
        self.query_url = query_url
        self.server_ip = server_ip
        self.transport = transport
        self.timeout = timeout

    def payment_url(
        self, attempt: PaymentAttempt, *, return_url: str, client_ip: str, now: datetime
    ) -> str:
        language = translation.get_language() or "vi"
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.merchant,
            "vnp_Amount": str(attempt.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": attempt.txn_ref,
            "vnp_OrderInfo": order_info(attempt),
            "vnp_OrderType": "other",
            "vnp_Locale": "en" if language.startswith("en") else "vn",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_CreateDate": format_time(now),
            "vnp_ExpireDate": format_time(now + PAYMENT_EXPIRY),
        }
        return f"{self.pay_url}?{signed_query(params, self.secret)}"

    def verify(self, params: Mapping[str, Any]) -> bool:
        return verify_signature(params, self.secret)

    def parse_result(self, params: Mapping[str, Any]) -> GatewayResult:
        return GatewayResult(
            txn_ref=_required(params, "vnp_TxnRef"),
            amount=_amount_of(params),
            response_code=_required(params, "vnp_ResponseCode"),
            transaction_status=str(params.get("vnp_TransactionStatus", "")),
            provider_txn_no=str(params.get("vnp_TransactionNo", "")),
            bank_code=str(params.get("vnp_BankCode", "")),
            paid_at=parse_time(str(params.get("vnp_PayDate", ""))),
        )

    def query_request(self, attempt: PaymentAttempt, *, now: datetime) -> dict[str, str]:
        """The signed querydr body for ``attempt``."""
        body = {
            "vnp_RequestId": secrets.token_hex(16),
            "vnp_Version": VERSION,
            "vnp_Command": "querydr",
            "vnp_TmnCode": self.merchant,
            "vnp_TxnRef": attempt.txn_ref,
            "vnp_OrderInfo": f"Truy van giao dich {attempt.txn_ref}",
            "vnp_TransactionDate": format_time(attempt.created_at),
            "vnp_CreateDate": format_time(now),
            "vnp_IpAddr": self.server_ip,
        }
        body["vnp_SecureHash"] = sign_fields(body, QUERY_REQUEST_FIELDS, self.secret)
        return body

    def query(self, attempt: PaymentAttempt) -> GatewayResult | None:
        body = self.query_request(attempt, now=clock.now())
        try:
            with httpx.Client(transport=self.transport, timeout=self.timeout) as client:
                response = client.post(self.query_url, json=body)
                response.raise_for_status()
                answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            logger.warning(
                "payment.query_unreachable attempt=%s error=%s", attempt.pk, type(error).__name__
            )
            return None
        return self._read_query_answer(attempt, answer)

    def _read_query_answer(self, attempt: PaymentAttempt, answer: Any) -> GatewayResult | None:
        if not isinstance(answer, dict) or not same_hash(
            answer.get("vnp_SecureHash"), sign_fields(answer, QUERY_RESPONSE_FIELDS, self.secret)
        ):
            logger.warning("payment.query_bad_signature attempt=%s", attempt.pk)
            return None
        code = str(answer.get("vnp_ResponseCode", ""))
        if code == QUERY_NOT_FOUND:
            return GatewayResult(txn_ref=attempt.txn_ref, amount=0, response_code=code, found=False)
        if code != SUCCESS or answer.get("vnp_TxnRef") != attempt.txn_ref:
            logger.warning("payment.query_refused attempt=%s code=%s", attempt.pk, code)
            return None
        try:
            return self.parse_result({**answer, "vnp_ResponseCode": code})
        except InvalidInput:
            logger.warning("payment.query_malformed attempt=%s", attempt.pk)
            return None


def order_info(attempt: PaymentAttempt) -> str:
    """``vnp_OrderInfo``: Vietnamese without diacritics, as the gateway requires."""
    code = attempt.invoice.dossier.code
    return unidecode(f"Thanh toan phi ho so {code}")[:255]


def get_provider() -> VnpayProvider:
    """The configured gateway (the built-in sandbox by default)."""
    return VnpayProvider(
        merchant=settings.MOTCUA_PAYMENT_MERCHANT,
        secret=settings.MOTCUA_PAYMENT_SECRET,
        pay_url=settings.MOTCUA_PAYMENT_GATEWAY_URL,
        query_url=settings.MOTCUA_PAYMENT_QUERY_URL,
        transport=HTTP_TRANSPORT,
    )
