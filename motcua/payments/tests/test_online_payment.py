"""Online payment of a dossier's fee through the sandbox gateway, over the real views.

The browser steps go through Django's test client; the gateway's server-to-server traffic (the
IPN, the status query) goes over HTTP through an httpx WSGI transport into the same app. See
``motcua/conftest.py`` for the cast: Nguyễn Văn An pays for his birth extract, which the
receiving officer of Phường Pleiku accepted and holds for the fee.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.core.errors import InvalidTransition
from motcua.core.models import AuditEntry
from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from motcua.payments import gateway, services
from motcua.payments.models import (
    AttemptState,
    GatewayNotification,
    Invoice,
    InvoiceStatus,
    PaymentAttempt,
    SandboxTransaction,
)
from motcua.payments.tests.conftest import Recorder, fee_for
from motcua.payments.tests.test_gateway import independent_hash
from motcua.payments.views import dossier_url

if TYPE_CHECKING:
    from motcua.conftest import World

IPN_PATH = "/thanh-toan/ipn/"
QUERY_PATH = "/sandbox-gateway/query"
GATEWAY_ACTOR = "gateway:vnpay"


def local_path(url: str) -> str:
    """``url`` as the test client requests it (this app serves the public URL's paths)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def pay_through_sandbox(client: Client, dossier: Dossier, *, choice: str = "pay") -> Any:
    """An clicks "pay online", sees the bank page, chooses, and comes back to motcua."""
    start = client.post(reverse("payments:start", args=[dossier.access_token]))
    assert start.status_code == 302
    assert start["Location"].startswith(settings.MOTCUA_PAYMENT_GATEWAY_URL + "?")
    bank_page = client.get(local_path(start["Location"]))
    assert bank_page.status_code == 200
    back = client.post(local_path(start["Location"]), {"choice": choice})
    assert back.status_code == 302
    return_url = settings.MOTCUA_PUBLIC_URL + reverse("payments:return")
    assert back["Location"].startswith(return_url + "?")
    return client.get(local_path(back["Location"]))


def invoice_of(dossier: Dossier) -> Invoice:
    return Invoice.objects.get(dossier=dossier)


def audit_actions(action: str) -> list[str]:
    return list(AuditEntry.objects.filter(action=action).values_list("actor_label", flat=True))


def ipn_answer(params: dict[str, str]) -> dict[str, str]:
    with httpx.Client(transport=gateway.HTTP_TRANSPORT) as http:
        response = http.get(settings.MOTCUA_PUBLIC_URL + IPN_PATH, params=params)
    assert response.status_code == 200
    return dict(response.json())


def gateway_result(attempt: PaymentAttempt, **overrides: str) -> dict[str, str]:
    """A result as the gateway would send it for ``attempt``, signed with our secret."""
    params = {
        "vnp_Amount": str(attempt.amount * 100),
        "vnp_BankCode": "NCB",
        "vnp_OrderInfo": "Thanh toan phi ho so",
        "vnp_PayDate": gateway.format_time(clock.now()),
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": settings.MOTCUA_PAYMENT_MERCHANT,
        "vnp_TransactionNo": "14999999",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": attempt.txn_ref,
        **overrides,
    }
    params["vnp_SecureHash"] = independent_hash(params, settings.MOTCUA_PAYMENT_SECRET)
    return params


def open_attempt(dossier: Dossier) -> PaymentAttempt:
    services.start_online_payment(
        dossier,
        return_url=settings.MOTCUA_PUBLIC_URL + reverse("payments:return"),
        client_ip="127.0.0.1",
    )
    return PaymentAttempt.objects.get(invoice__dossier=dossier)


# --- the happy path ----------------------------------------------------------------------------


def test_an_pays_online_and_his_dossier_held_for_the_fee_is_received(
    world: World, network: Recorder, client: Client
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    fee = fee_for(world, world.form())
    assert dossier.state == State.AWAITING_PAYMENT
    assert invoice_of(dossier).amount == fee == 8_000 * 2

    page = pay_through_sandbox(client, dossier)

    invoice = invoice_of(dossier)
    attempt = PaymentAttempt.objects.get(invoice=invoice)
    ledger = SandboxTransaction.objects.get(txn_ref=attempt.txn_ref)
    year = clock.localtime(invoice.paid_at).year  # type: ignore[arg-type]
    assert (invoice.status, invoice.channel) == (InvoiceStatus.PAID, "online")
    assert invoice.receipt_number == f"BL-{invoice.collector.code}-{year}-000001"
    assert (attempt.state, attempt.amount, attempt.response_code) == ("paid", fee, "00")
    assert attempt.provider_txn_no == ledger.transaction_no
    assert ledger.amount == fee
    dossier.refresh_from_db()
    assert dossier.state == State.ACCEPTED
    assert dossier.accepted_at is not None and dossier.due_at is not None
    assert list(dossier.events.values_list("action", flat=True)) == [
        "submit",
        "accept",
        "settle_payment",
    ]
    assert audit_actions("invoice.paid") == [GATEWAY_ACTOR]

    [ipn] = network.sent_to(IPN_PATH)
    delivered = dict(parse_qsl(ipn.url.query.decode()))
    assert ipn.method == "GET"
    assert delivered["vnp_SecureHash"] == independent_hash(
        delivered, settings.MOTCUA_PAYMENT_SECRET
    )
    assert delivered["vnp_Amount"] == str(fee * 100)
    notification = GatewayNotification.objects.get()
    assert (notification.signature_valid, notification.outcome, notification.answer_code) == (
        True,
        "paid",
        "00",
    )
    assert notification.params == delivered
    assert network.sent_to(QUERY_PATH) == []  # the IPN came first: no need to ask

    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-payment-status="paid"' in text
    assert "16.000 đồng" in text
    assert invoice.receipt_number in text
    assert f'href="{dossier_url(dossier.access_token)}"' in text
    receipt_url = reverse("payments:receipt", args=[dossier.access_token])
    assert f'href="{receipt_url}"' in text

    receipt = client.get(receipt_url)
    assert receipt.status_code == 200
    receipt_text = receipt.content.decode()
    assert invoice.receipt_number in receipt_text
    assert "Nguyễn Văn An" in receipt_text
    assert "8.000 đồng" in receipt_text and "16.000 đồng" in receipt_text


def test_a_notification_delivered_three_times_settles_once(
    world: World, network: Recorder, client: Client
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    pay_through_sandbox(client, dossier)
    [first] = network.sent_to(IPN_PATH)
    replay = dict(parse_qsl(first.url.query.decode()))
    receipt_number = invoice_of(dossier).receipt_number

    answers = [ipn_answer(replay), ipn_answer(replay)]

    assert answers == [{"RspCode": "02", "Message": "Order already confirmed"}] * 2
    invoice = invoice_of(dossier)
    assert invoice.receipt_number == receipt_number
    assert Invoice.objects.exclude(receipt_number=None).count() == 1
    assert audit_actions("invoice.paid") == [GATEWAY_ACTOR]
    assert audit_actions("payment.attempt_paid") == [GATEWAY_ACTOR]
    assert PaymentAttempt.objects.get().state == AttemptState.PAID
    assert list(
        GatewayNotification.objects.order_by("pk").values_list("answer_code", "outcome")
    ) == [("00", "paid"), ("02", "already_confirmed"), ("02", "already_confirmed")]
    assert Dossier.objects.get(pk=dossier.pk).events.filter(action="settle_payment").count() == 1


# --- notifications that must not settle -------------------------------------------------------


def test_a_notification_with_another_amount_is_refused_and_recorded(
    world: World, network: Recorder
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    attempt = open_attempt(dossier)
    fee = fee_for(world, world.form())

    answer = ipn_answer(gateway_result(attempt, vnp_Amount=str((fee - 1_000) * 100)))

    assert answer == {"RspCode": "04", "Message": "Invalid amount"}
    notification = GatewayNotification.objects.get()
    assert (notification.signature_valid, notification.outcome, notification.txn_ref) == (
        True,
        "amount_mismatch",
        attempt.txn_ref,
    )
    assert invoice_of(dossier).status == InvoiceStatus.UNPAID
    assert PaymentAttempt.objects.get().state == AttemptState.PENDING
    entry = AuditEntry.objects.get(action="payment.amount_mismatch")
    assert entry.data == {"source": "ipn", "expected": fee, "reported": fee - 1_000}
    assert Dossier.objects.get(pk=dossier.pk).state == State.AWAITING_PAYMENT


def test_a_notification_with_a_bad_signature_is_refused_and_recorded(
    world: World, network: Recorder
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    attempt = open_attempt(dossier)
    forged = gateway_result(attempt)
    forged["vnp_SecureHash"] = independent_hash(forged, "not-our-secret")

    answer = ipn_answer(forged)

    assert answer == {"RspCode": "97", "Message": "Invalid signature"}
    notification = GatewayNotification.objects.get()
    assert (notification.signature_valid, notification.outcome) == (False, "invalid_signature")
    assert notification.params == forged
    assert invoice_of(dossier).status == InvoiceStatus.UNPAID
    assert PaymentAttempt.objects.get().state == AttemptState.PENDING


def test_a_notification_for_an_unknown_transaction_answers_order_not_found(
    world: World, network: Recorder
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    attempt = open_attempt(dossier)

    answer = ipn_answer(gateway_result(attempt, vnp_TxnRef="999999DEADBEEF00"))

    assert answer == {"RspCode": "01", "Message": "Order not found"}
    notification = GatewayNotification.objects.get()
    assert (notification.outcome, notification.txn_ref) == ("unknown_order", "999999DEADBEEF00")
    assert invoice_of(dossier).status == InvoiceStatus.UNPAID


def test_the_ipn_endpoint_takes_only_get(world: World, client: Client) -> None:
    assert client.post(reverse("payments:ipn")).status_code == 405
    assert GatewayNotification.objects.count() == 0


# --- the return path: late IPN, unreachable gateway, reconciliation -----------------------------


def test_when_the_ipn_is_lost_the_return_page_settles_from_the_status_query(
    world: World, network: Recorder, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    network.down = {IPN_PATH}

    page = pay_through_sandbox(client, dossier)

    assert "sandbox.ipn_undelivered" in caplog.text
    assert GatewayNotification.objects.count() == 0
    assert len(network.sent_to(QUERY_PATH)) == 1
    invoice = invoice_of(dossier)
    assert invoice.status == InvoiceStatus.PAID
    assert PaymentAttempt.objects.get().state == AttemptState.PAID
    assert AuditEntry.objects.get(action="payment.attempt_paid").data["source"] == "query"
    assert audit_actions("invoice.paid") == [GATEWAY_ACTOR]
    assert Dossier.objects.get(pk=dossier.pk).state == State.ACCEPTED
    assert 'data-payment-status="paid"' in page.content.decode()
    assert str(invoice.receipt_number) in page.content.decode()


def test_a_forged_return_settles_nothing(world: World, network: Recorder, client: Client) -> None:
    dossier = world.dossier_in("awaiting_payment")
    attempt = open_attempt(dossier)
    claims_paid = gateway_result(attempt)
    claims_paid["vnp_SecureHash"] = independent_hash(claims_paid, "guessed")

    page = client.get(reverse("payments:return"), claims_paid)

    assert page.status_code == 400
    assert 'data-payment-status="invalid"' in page.content.decode()
    assert network.requests == []
    assert invoice_of(dossier).status == InvoiceStatus.UNPAID


def test_a_signed_return_alone_never_settles(
    world: World, network: Recorder, client: Client
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    attempt = open_attempt(dossier)  # the sandbox never saw this payment

    page = client.get(reverse("payments:return"), gateway_result(attempt))

    assert 'data-payment-status="pending"' in page.content.decode()
    assert len(network.sent_to(QUERY_PATH)) == 1
    assert invoice_of(dossier).status == InvoiceStatus.UNPAID
    assert PaymentAttempt.objects.get().state == AttemptState.PENDING


def test_with_the_gateway_unreachable_the_result_is_not_known_yet_then_reconciled(
    world: World, network: Recorder, client: Client
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    network.down = {"*"}

    page = pay_through_sandbox(client, dossier)

    text = page.content.decode()
    assert 'data-payment-status="unknown"' in text
    assert "Chưa xác định được kết quả thanh toán" in text
    attempt = PaymentAttempt.objects.get()
    assert attempt.state == AttemptState.PENDING
    assert invoice_of(dossier).status == InvoiceStatus.UNPAID
    assert Dossier.objects.get(pk=dossier.pk).state == State.AWAITING_PAYMENT

    network.down = set()
    refreshed = services.refresh_pending(attempt)

    assert refreshed.state == AttemptState.PAID
    assert invoice_of(dossier).status == InvoiceStatus.PAID
    assert Dossier.objects.get(pk=dossier.pk).state == State.ACCEPTED


def test_past_its_expiry_an_unanswered_attempt_becomes_unknown_and_can_still_settle(
    world: World, network: Recorder, client: Client
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    network.down = {"*"}
    pay_through_sandbox(client, dossier)
    attempt = PaymentAttempt.objects.get()
    later = attempt.created_at + gateway.PAYMENT_EXPIRY + timedelta(minutes=6)

    early = services.refresh_pending(attempt, now=attempt.created_at + timedelta(minutes=2))
    late = services.refresh_pending(attempt, now=later)

    assert early.state == AttemptState.PENDING
    assert late.state == AttemptState.UNKNOWN
    assert audit_actions("payment.attempt_unknown") == [GATEWAY_ACTOR]
    network.down = set()
    assert services.refresh_pending(late, now=later).state == AttemptState.PAID
    assert invoice_of(dossier).status == InvoiceStatus.PAID


def test_an_abandoned_attempt_fails_after_its_expiry(world: World, network: Recorder) -> None:
    dossier = world.dossier_in("awaiting_payment")
    attempt = open_attempt(dossier)  # An closed the bank page without choosing

    before = services.refresh_pending(attempt, now=attempt.created_at + timedelta(minutes=5))
    after = services.refresh_pending(attempt, now=attempt.created_at + timedelta(minutes=21))

    assert before.state == AttemptState.PENDING
    assert (after.state, after.response_code) == (AttemptState.FAILED, "91")
    assert invoice_of(dossier).status == InvoiceStatus.UNPAID
    assert services.refresh_open_attempts(now=attempt.created_at + timedelta(hours=1)) == {}


def test_a_refresh_run_stops_at_its_budget_pending_attempts_first(
    world: World, network: Recorder
) -> None:
    """A slow gateway must not hold the worker: the run asks for as long as its budget allows
    and leaves the rest to the next run, the attempts still pending before the unknown ones."""
    dossiers = [world.dossier_in("awaiting_payment") for _ in range(3)]
    attempts = [open_attempt(dossier) for dossier in dossiers]
    PaymentAttempt.objects.filter(pk=attempts[0].pk).update(state=AttemptState.UNKNOWN)
    asked: list[str] = []
    provider = gateway.get_provider()
    real_query = provider.query

    def query(attempt: PaymentAttempt) -> Any:
        asked.append(attempt.txn_ref)
        return real_query(attempt)

    provider.query = query  # type: ignore[method-assign]
    ticks = iter(range(0, 1000, 20))  # every look at the clock: 20 more seconds gone

    # Younger than five minutes, the payers may still be on the bank's page: nobody is asked.
    young = services.refresh_open_attempts(
        provider=provider, now=attempts[0].created_at + timedelta(minutes=4, seconds=59)
    )
    assert (young, asked) == ({}, [])

    counts = services.refresh_open_attempts(
        provider=provider,
        now=attempts[-1].created_at + timedelta(minutes=6),
        budget_seconds=30,
        monotonic=lambda: float(next(ticks)),
    )

    assert asked == [attempts[1].txn_ref]  # the oldest pending one; the budget is then spent
    assert counts == {"pending": 1, "left": 2}


def test_a_cancelled_payment_fails_and_an_can_pay_again(
    world: World, network: Recorder, client: Client
) -> None:
    dossier = world.dossier_in("awaiting_payment")

    page = pay_through_sandbox(client, dossier, choice="cancel")

    assert 'data-payment-status="failed"' in page.content.decode()
    failed = PaymentAttempt.objects.get()
    assert (failed.state, failed.response_code) == (AttemptState.FAILED, "24")
    assert GatewayNotification.objects.get().answer_code == "00"
    assert invoice_of(dossier).status == InvoiceStatus.UNPAID
    assert Dossier.objects.get(pk=dossier.pk).state == State.AWAITING_PAYMENT

    pay_through_sandbox(client, dossier)

    assert invoice_of(dossier).status == InvoiceStatus.PAID
    assert sorted(PaymentAttempt.objects.values_list("state", flat=True)) == ["failed", "paid"]


# --- starting a payment ------------------------------------------------------------------------


def test_a_paid_fee_cannot_be_paid_again(world: World, network: Recorder, client: Client) -> None:
    dossier = world.dossier_in("awaiting_payment")
    pay_through_sandbox(client, dossier)
    receipt_number = invoice_of(dossier).receipt_number

    again = client.post(reverse("payments:start", args=[dossier.access_token]))

    assert again.status_code == 409
    assert f"biên lai số {receipt_number}" in again.content.decode()
    assert PaymentAttempt.objects.count() == 1


def test_nothing_to_pay_and_closed_dossiers_are_refused_with_a_clear_code(world: World) -> None:
    free = world.submit()
    Invoice.objects.filter(dossier=free).update(status=InvoiceStatus.NOT_DUE, amount=0)
    with pytest.raises(InvalidTransition) as caught:
        services.start_online_payment(free, return_url="http://x/", client_ip="127.0.0.1")
    assert caught.value.code == "nothing_due"

    withdrawn = world.submit()
    from motcua.dossiers import services as dossiers

    dossiers.withdraw(withdrawn.pk, access_token=withdrawn.access_token, reason="Nộp nhầm")
    withdrawn.refresh_from_db()
    with pytest.raises(InvalidTransition) as caught:
        services.start_online_payment(withdrawn, return_url="http://x/", client_ip="127.0.0.1")
    assert caught.value.code == "dossier_closed"
    assert PaymentAttempt.objects.count() == 0


def test_unknown_tokens_find_nothing(world: World, client: Client) -> None:
    assert client.post(reverse("payments:start", args=["no-such-token"])).status_code == 404
    assert client.get(reverse("payments:receipt", args=["no-such-token"])).status_code == 404


def test_an_unpaid_fee_has_no_receipt_yet(world: World, client: Client) -> None:
    dossier = world.dossier_in("awaiting_payment")

    page = client.get(reverse("payments:receipt", args=[dossier.access_token]))

    assert page.status_code == 404
    assert "chưa được nộp" in page.content.decode()


# --- the sandbox gateway -----------------------------------------------------------------------


def test_the_sandbox_refuses_a_tampered_payment_request(
    world: World, network: Recorder, client: Client
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    start = client.post(reverse("payments:start", args=[dossier.access_token]))
    tampered = local_path(start["Location"]).replace("vnp_Amount=1600000", "vnp_Amount=100")

    page = client.get(tampered)
    choice = client.post(tampered, {"choice": "pay"})

    assert page.status_code == choice.status_code == 400
    assert "Chữ ký của yêu cầu thanh toán không hợp lệ" in page.content.decode()
    assert SandboxTransaction.objects.count() == 0
    assert network.requests == []


def test_the_sandbox_is_absent_when_switched_off(
    world: World, client: Client, settings: Any
) -> None:
    settings.MOTCUA_SANDBOX_GATEWAY = False

    assert client.get("/sandbox-gateway/pay").status_code == 404
    assert client.post("/sandbox-gateway/query", "{}", "application/json").status_code == 404


def test_the_sandbox_query_refuses_an_unsigned_request(world: World, client: Client) -> None:
    answer = client.post(
        "/sandbox-gateway/query", {"vnp_TxnRef": "X"}, content_type="application/json"
    ).json()

    assert (answer["vnp_ResponseCode"], answer["vnp_Message"]) == ("97", "Invalid checksum")
