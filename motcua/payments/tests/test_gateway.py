"""The VNPAY 2.1.0 adapter: the payment URL, its signature, result parsing, the status query.

Every expected signature is computed here from the documented rule with ``hmac`` directly:
the ``vnp_`` fields except the hash fields, sorted by key, each value URL-encoded with ``+``
for spaces, joined with ``&``, HMAC-SHA512 under the merchant's secret, in hex.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit

import httpx
import pytest
from django.utils import translation

from motcua.core.errors import InvalidInput
from motcua.payments.gateway import GatewayResult, VnpayProvider

SECRET = "TESTSECRET0123456789"
MERCHANT = "MOTCUA52"
PAY_URL = "https://gateway.test/paymentv2/vpcpay.html"
QUERY_URL = "https://gateway.test/merchant_webapi/api/transaction"
RETURN_URL = "http://127.0.0.1:8000/thanh-toan/ket-qua/"
# 14:05:09 on 4 December 2026 in Vietnam (UTC+7).
NOW = datetime(2026, 12, 4, 7, 5, 9, tzinfo=UTC)


def independent_hash(params: dict[str, str], secret: str = SECRET) -> str:
    keys = sorted(
        key
        for key, value in params.items()
        if key.startswith("vnp_") and key not in ("vnp_SecureHash", "vnp_SecureHashType") and value
    )
    data = "&".join(f"{key}={quote_plus(params[key])}" for key in keys)
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def pipe_hash(values: list[str], secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), "|".join(values).encode(), hashlib.sha512).hexdigest()


def provider(transport: httpx.BaseTransport | None = None) -> VnpayProvider:
    return VnpayProvider(
        merchant=MERCHANT,
        secret=SECRET,
        pay_url=PAY_URL,
        query_url=QUERY_URL,
        transport=transport,
    )


def attempt(amount: int = 16_000) -> Any:
    """An attempt as the adapter reads it (no database needed)."""
    dossier = SimpleNamespace(code="H52.23575.01-261204-0001")
    return SimpleNamespace(
        pk=7,
        txn_ref="000042A1B2C3D4E5",
        amount=amount,
        created_at=NOW,
        invoice=SimpleNamespace(dossier=dossier),
    )


def test_payment_url_carries_the_documented_fields_signed_over_the_sorted_encoded_query() -> None:
    with translation.override("vi"):
        url = provider().payment_url(
            attempt(), return_url=RETURN_URL, client_ip="203.113.1.7", now=NOW
        )

    base, _, query = url.partition("?")
    data, _, signature = query.rpartition("&vnp_SecureHash=")
    params = dict(parse_qsl(data))
    assert base == PAY_URL
    assert params == {
        "vnp_Amount": "1600000",
        "vnp_Command": "pay",
        "vnp_CreateDate": "20261204140509",
        "vnp_CurrCode": "VND",
        "vnp_ExpireDate": "20261204142009",
        "vnp_IpAddr": "203.113.1.7",
        "vnp_Locale": "vn",
        "vnp_OrderInfo": "Thanh toan phi ho so H52.23575.01-261204-0001",
        "vnp_OrderType": "other",
        "vnp_ReturnUrl": RETURN_URL,
        "vnp_TmnCode": MERCHANT,
        "vnp_TxnRef": "000042A1B2C3D4E5",
        "vnp_Version": "2.1.0",
    }
    expected_data = "&".join(f"{key}={quote_plus(params[key])}" for key in sorted(params))
    assert data == expected_data
    assert "vnp_ReturnUrl=http%3A%2F%2F127.0.0.1%3A8000%2Fthanh-toan%2Fket-qua%2F" in data
    assert "vnp_OrderInfo=Thanh+toan+phi+ho+so+H52.23575.01-261204-0001" in data
    assert signature == independent_hash(params)
    assert len(signature) == 128


def test_english_applicants_get_the_english_gateway_page() -> None:
    with translation.override("en"):
        url = provider().payment_url(attempt(), return_url=RETURN_URL, client_ip="::1", now=NOW)

    assert dict(parse_qsl(urlsplit(url).query))["vnp_Locale"] == "en"


def ipn_params(**overrides: str) -> dict[str, str]:
    params = {
        "vnp_Amount": "1600000",
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "NCB20261204141010",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan phi ho so H52.23575.01-261204-0001",
        "vnp_PayDate": "20261204141010",
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": MERCHANT,
        "vnp_TransactionNo": "14000001",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": "000042A1B2C3D4E5",
        **overrides,
    }
    params["vnp_SecureHash"] = independent_hash(params)
    return params


def test_verify_accepts_our_signature_in_either_hex_case_and_rejects_any_change() -> None:
    params = ipn_params()
    upper = {**params, "vnp_SecureHash": params["vnp_SecureHash"].upper()}
    typed = {**params, "vnp_SecureHashType": "HmacSHA512"}

    assert provider().verify(params)
    assert provider().verify(upper)
    assert provider().verify(typed)
    assert not provider().verify({**params, "vnp_Amount": "1500000"})
    assert not provider().verify({**params, "vnp_SecureHash": ""})
    assert not provider().verify({**params, "vnp_SecureHash": "tiếng việt"})
    assert not provider().verify({key: v for key, v in params.items() if key != "vnp_SecureHash"})
    other = {**params, "vnp_SecureHash": independent_hash(params, "another-secret")}
    assert not provider().verify(other)


def test_parse_result_reads_amount_in_vnd_codes_and_gateway_numbers() -> None:
    result = provider().parse_result(ipn_params())

    assert result == GatewayResult(
        txn_ref="000042A1B2C3D4E5",
        amount=16_000,
        response_code="00",
        transaction_status="00",
        provider_txn_no="14000001",
        bank_code="NCB",
        paid_at=datetime(2026, 12, 4, 7, 10, 10, tzinfo=UTC),
    )
    assert result.success and result.state == "paid"
    cancelled = provider().parse_result(
        ipn_params(vnp_ResponseCode="24", vnp_TransactionStatus="02")
    )
    assert not cancelled.success and cancelled.state == "failed"


def test_parse_result_names_the_malformed_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        provider().parse_result(ipn_params(vnp_Amount="16000.5"))
    assert (caught.value.field, caught.value.code) == ("vnp_Amount", "bad_amount")

    with pytest.raises(InvalidInput) as caught:
        provider().parse_result({**ipn_params(), "vnp_TxnRef": ""})
    assert (caught.value.field, caught.value.code) == ("vnp_TxnRef", "required")


QUERY_ANSWER_FIELDS = [
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
]


def signed_answer(**fields: str) -> dict[str, str]:
    answer = {
        "vnp_ResponseId": "r1",
        "vnp_Command": "querydr",
        "vnp_ResponseCode": "00",
        "vnp_Message": "QueryDR Success",
        "vnp_TmnCode": MERCHANT,
        "vnp_TxnRef": "000042A1B2C3D4E5",
        "vnp_Amount": "1600000",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20261204141010",
        "vnp_TransactionNo": "14000001",
        "vnp_TransactionType": "01",
        "vnp_TransactionStatus": "00",
        "vnp_OrderInfo": "Thanh toan phi ho so H52.23575.01-261204-0001",
        "vnp_PromotionCode": "",
        "vnp_PromotionAmount": "",
        **fields,
    }
    answer["vnp_SecureHash"] = pipe_hash([answer[name] for name in QUERY_ANSWER_FIELDS])
    return answer


def test_query_posts_a_signed_querydr_and_trusts_only_a_signed_answer() -> None:
    seen: list[dict[str, str]] = []

    def gateway_side(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=signed_answer())

    result = provider(httpx.MockTransport(gateway_side)).query(attempt())

    body = seen[0]
    assert body["vnp_Command"] == "querydr"
    assert body["vnp_Version"] == "2.1.0"
    assert body["vnp_TmnCode"] == MERCHANT
    assert body["vnp_TxnRef"] == "000042A1B2C3D4E5"
    assert body["vnp_TransactionDate"] == "20261204140509"
    assert len(body["vnp_CreateDate"]) == 14
    fields = [
        "vnp_RequestId",
        "vnp_Version",
        "vnp_Command",
        "vnp_TmnCode",
        "vnp_TxnRef",
        "vnp_TransactionDate",
        "vnp_CreateDate",
        "vnp_IpAddr",
        "vnp_OrderInfo",
    ]
    assert body["vnp_SecureHash"] == pipe_hash([body[name] for name in fields])
    assert result is not None
    assert (result.amount, result.state, result.provider_txn_no) == (16_000, "paid", "14000001")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({**signed_answer(), "vnp_Amount": "9900000"}, None),  # altered after signing
        (signed_answer(vnp_ResponseCode="97", vnp_Message="Invalid checksum"), None),
        (signed_answer(vnp_TxnRef="SOMEONEELSE"), None),
        (signed_answer(vnp_TransactionStatus="01"), "pending"),
        (signed_answer(vnp_TransactionStatus="02", vnp_ResponseCode="00"), "failed"),
        (signed_answer(vnp_ResponseCode="91", vnp_Message="Not found"), "not_found"),
    ],
)
def test_query_reads_each_kind_of_answer(answer: dict[str, str], expected: str | None) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))

    result = provider(transport).query(attempt())

    assert (result.state if result else None) == expected


@pytest.mark.parametrize(
    "failure",
    [
        lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused", request=request)),
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)),
        lambda request: httpx.Response(502, text="Bad gateway"),
        lambda request: httpx.Response(200, text="<html>maintenance</html>"),
    ],
)
def test_an_unreachable_or_garbled_gateway_means_no_answer(failure: Any) -> None:
    assert provider(httpx.MockTransport(failure)).query(attempt()) is None
