"""A return from the gateway that fails a check says which one (the signature, the transaction,
the amount), in Vietnamese and English, settles nothing, reveals no secret, and leaves one log
line with the attempt and the check."""

from __future__ import annotations

from html import unescape
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from motcua.payments.models import InvoiceStatus, PaymentAttempt
from motcua.payments.tests.conftest import Recorder
from motcua.payments.tests.test_gateway import independent_hash
from motcua.payments.tests.test_online_payment import gateway_result, invoice_of, open_attempt

if TYPE_CHECKING:
    from motcua.conftest import World

CHECKS = {
    "signature": (
        "Chữ ký của kết quả trả về không khớp",
        "The signature of the returned result does not match",
    ),
    "unknown_transaction": (
        "một giao dịch không có trong hệ thống",
        "a transaction this system does not have",
    ),
    "amount": (
        "Số tiền trong kết quả trả về khác với số tiền của khoản phí (16.000 đồng)",
        "The amount in the returned result differs from the fee's amount (16.000 đồng)",
    ),
}


def tampered(attempt: PaymentAttempt, check: str) -> dict[str, str]:
    if check == "signature":
        # The applicant's browser changed the amount of a genuine return: the hash no longer
        # matches what the gateway signed.
        params = gateway_result(attempt)
        params["vnp_Amount"] = "100"
        return params
    if check == "unknown_transaction":
        return gateway_result(attempt, vnp_TxnRef="KHONGCO0001")
    # Signed with our secret yet another amount: a gateway's error (or a leaked secret).
    return gateway_result(attempt, vnp_Amount=str(attempt.amount * 100 + 100))


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("check", list(CHECKS))
def test_a_forged_return_names_the_check_it_failed(
    world: World,
    network: Recorder,
    client: Client,
    caplog: pytest.LogCaptureFixture,
    check: str,
    language: str,
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    attempt = open_attempt(dossier)
    assert attempt.amount == 16_000  # two copies at 8,000 VND
    caplog.clear()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # the pages' language switch
    page = client.get(reverse("payments:return"), tampered(attempt, check))

    html = unescape(page.content.decode())
    assert page.status_code == 400
    assert 'data-payment-status="invalid"' in html
    assert f'data-check="{check}"' in html
    vietnamese, english = CHECKS[check]
    assert (english if language == "en" else vietnamese) in html
    # Nothing settled, nothing asked of the gateway, no secret shown.
    assert network.requests == []
    assert invoice_of(dossier).status == InvoiceStatus.UNPAID
    assert PaymentAttempt.objects.get().state == attempt.state
    assert settings.MOTCUA_PAYMENT_SECRET not in html
    lines = [r.getMessage() for r in caplog.records if "payment.return_refused" in r.getMessage()]
    shown_attempt = "-" if check == "unknown_transaction" else str(attempt.pk)
    assert lines == [f"payment.return_refused check={check} attempt={shown_attempt}"]


def test_a_return_signed_with_another_secret_is_a_signature_failure(
    world: World, network: Recorder, client: Client
) -> None:
    attempt = open_attempt(world.dossier_in("awaiting_payment"))
    params = gateway_result(attempt)
    params["vnp_SecureHash"] = independent_hash(params, "guessed")
    page = client.get(reverse("payments:return"), params)
    assert page.status_code == 400 and 'data-check="signature"' in page.content.decode()


def test_a_genuine_return_passes_every_check(
    world: World, network: Recorder, client: Client
) -> None:
    attempt = open_attempt(world.dossier_in("awaiting_payment"))
    page = client.get(reverse("payments:return"), gateway_result(attempt))
    # The sandbox never saw this payment: the status query says it is still pending.
    assert page.status_code == 200
    assert "data-check" not in page.content.decode()
    assert 'data-payment-status="pending"' in page.content.decode()
