"""Fees: invoices from the procedure's fee items, cash at the counter, online payment.

Online gateways live in ``motcua.payments.gateway``. An online payment is settled only from
a verified gateway statement: the IPN (server-to-server notification) or, when it is late,
the answer to our own status query. The browser's return alone never settles anything.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager as ContextManager
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.catalog.selectors import compute_fees
from motcua.core import audit, clock
from motcua.core.errors import InvalidInput, InvalidTransition
from motcua.core.sequences import next_value
from motcua.dossiers.states import TERMINAL
from motcua.payments import gateway
from motcua.payments.gateway import GatewayResult, PaymentProvider
from motcua.payments.models import (
    AttemptState,
    GatewayNotification,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentAttempt,
    PaymentChannel,
)
from motcua.payments.signals import invoice_paid

logger = logging.getLogger(__name__)


def create_invoice(dossier: Any, *, now: datetime) -> Invoice:
    """Build the invoice of a newly registered dossier from the fee items in force today."""
    lines = compute_fees(
        dossier.procedure,
        dossier.form_data,
        clock.localtime(now).date(),
        dossier.receiving_agency.province_id,
    )
    total = sum(line.amount for line in lines)
    invoice = Invoice.objects.create(
        dossier=dossier,
        collector=dossier.competent_agency,
        amount=total,
        status=InvoiceStatus.UNPAID if total > 0 else InvoiceStatus.NOT_DUE,
        created_at=now,
    )
    created = InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            fee_key=line.key,
            name_vi=line.name_vi,
            name_en=line.name_en,
            unit_amount=line.unit_amount,
            quantity=line.quantity,
            amount=line.amount,
            is_example=line.is_example,
        )
        for line in lines
    )
    # The answer to the submission shows the lines: hand them over instead of reading them back
    # (as a prefetch would leave them).
    invoice._prefetched_objects_cache = {"lines": _as_queryset(invoice, created)}  # type: ignore[attr-defined]
    return invoice


def _as_queryset(invoice: Invoice, lines: list[InvoiceLine]) -> Any:
    queryset: Any = invoice.lines.all()
    queryset._result_cache = lines
    queryset._prefetch_done = True
    return queryset


def is_settled(dossier: Any) -> bool:
    invoice = Invoice.objects.filter(dossier=dossier).only("status").first()
    return invoice is None or invoice.status in (InvoiceStatus.PAID, InvoiceStatus.NOT_DUE)


def _receipt_number(invoice: Invoice, now: datetime) -> str:
    year = clock.localtime(now).year
    number = next_value(f"receipt:{invoice.collector.code}:{year}")
    return f"BL-{invoice.collector.code}-{year}-{number:06d}"


def mark_paid(invoice_id: int, *, channel: str, actor: Any) -> Invoice:
    """Settle an invoice once. A second settlement of a paid invoice changes nothing."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("collector")
            .get(pk=invoice_id)
        )
        if invoice.status != InvoiceStatus.UNPAID:
            return invoice
        now = clock.now()
        invoice.status = InvoiceStatus.PAID
        invoice.channel = channel
        invoice.paid_at = now
        invoice.receipt_number = _receipt_number(invoice, now)
        invoice.save()
        audit.record(
            "invoice.paid",
            invoice,
            actor=actor,
            data={"channel": channel, "amount": invoice.amount, "receipt": invoice.receipt_number},
        )
        invoice_paid.send(sender=Invoice, invoice=invoice)
    logger.info(
        "payment.invoice_paid invoice=%s dossier=%s channel=%s amount=%s",
        invoice.pk,
        invoice.dossier_id,
        channel,
        invoice.amount,
    )
    return invoice


def record_cash_payment(dossier: Any, *, actor: Any) -> Invoice:
    invoice = Invoice.objects.filter(dossier=dossier).first()
    if invoice is None or invoice.status != InvoiceStatus.UNPAID:
        raise InvalidTransition(_("Hồ sơ không có khoản phí nào chưa nộp."), code="nothing_due")
    return mark_paid(invoice.pk, channel=PaymentChannel.CASH, actor=actor)


# --- online payment ----------------------------------------------------------------------------

APPLICANT = "applicant"
OPEN_ATTEMPT_STATES = (AttemptState.PENDING, AttemptState.UNKNOWN)
# After the gateway's own expiry, a margin for clocks that disagree before we give up waiting.
RECONCILE_AFTER = gateway.PAYMENT_EXPIRY + timedelta(minutes=5)

# The IPN answer codes of the protocol, checked in this order.
IPN_CONFIRMED = "00"
IPN_ORDER_NOT_FOUND = "01"
IPN_ALREADY_CONFIRMED = "02"
IPN_INVALID_AMOUNT = "04"
IPN_INVALID_SIGNATURE = "97"
IPN_OTHER = "99"
IPN_MESSAGES = {
    IPN_CONFIRMED: "Confirm Success",
    IPN_ORDER_NOT_FOUND: "Order not found",
    IPN_ALREADY_CONFIRMED: "Order already confirmed",
    IPN_INVALID_AMOUNT: "Invalid amount",
    IPN_INVALID_SIGNATURE: "Invalid signature",
    IPN_OTHER: "Unknown error",
}


def gateway_actor(provider: PaymentProvider) -> str:
    return f"gateway:{provider.name}"


def start_online_payment(
    dossier: Any,
    *,
    return_url: str,
    client_ip: str,
    provider: PaymentProvider | None = None,
    now: datetime | None = None,
) -> str:
    """Open a payment attempt for the dossier's unpaid fee and return the gateway URL to which
    the applicant's browser goes. Each call is a new attempt with its own ``txn_ref``.

    Raises ``InvalidTransition`` ``nothing_due`` (no fee), ``already_paid`` or
    ``dossier_closed`` (refused, withdrawn, stopped or returned dossiers take no payment).
    """
    provider = provider or gateway.get_provider()
    now = now or clock.now()
    with transaction.atomic():
        invoice = _payable_invoice(dossier)
        attempt = PaymentAttempt.objects.create(
            invoice=invoice,
            provider=provider.name,
            txn_ref=_new_txn_ref(invoice),
            amount=invoice.amount,
            state=AttemptState.PENDING,
            created_at=now,
        )
        audit.record(
            "payment.attempt_started",
            attempt,
            actor=APPLICANT,
            data={"txn_ref": attempt.txn_ref, "amount": attempt.amount, "invoice": invoice.pk},
        )
    logger.info(
        "payment.attempt_started attempt=%s invoice=%s amount=%s",
        attempt.pk,
        invoice.pk,
        attempt.amount,
    )
    return provider.payment_url(attempt, return_url=return_url, client_ip=client_ip, now=now)


def _payable_invoice(dossier: Any) -> Invoice:
    """The dossier's unpaid invoice, locked; ``InvalidTransition`` when nothing can be paid."""
    invoice = Invoice.objects.select_for_update().filter(dossier=dossier).first()
    if invoice is None or invoice.status == InvoiceStatus.NOT_DUE or invoice.amount <= 0:
        raise InvalidTransition(_("Hồ sơ không có khoản phí nào phải nộp."), code="nothing_due")
    if invoice.status == InvoiceStatus.PAID:
        raise InvalidTransition(
            _("Phí, lệ phí của hồ sơ đã được nộp (biên lai số %(receipt)s)."),
            code="already_paid",
            receipt=invoice.receipt_number or "",
        )
    if dossier.state in TERMINAL:
        raise InvalidTransition(
            _("Hồ sơ đã kết thúc xử lý; không thể nộp phí."), code="dossier_closed"
        )
    return invoice


def _new_txn_ref(invoice: Invoice) -> str:
    """Our transaction reference: the invoice number and a random tail, letters and digits
    only (the gateway refuses other characters)."""
    return f"{invoice.pk:06d}{secrets.token_hex(5).upper()}"


def handle_notification(params: Mapping[str, Any], *, provider: PaymentProvider) -> dict[str, str]:
    """Answer the gateway's IPN. The notification is stored first, in its own transaction, so
    that nothing is lost whatever happens next; then, in order: a bad signature answers "97",
    an unknown ``txn_ref`` "01", an amount other than the attempt's "04" (the invoice is left
    as it is), an attempt already decided "02" (nothing changes), else the attempt is settled
    (paid: the invoice is paid and its receipt numbered) or failed, and the answer is "00".
    """
    data = {str(key): str(value) for key, value in params.items()}
    with transaction.atomic():
        notification = GatewayNotification.objects.create(
            received_at=clock.now(),
            provider=provider.name,
            txn_ref=data.get("vnp_TxnRef", "")[:40],
            params=data,
            signature_valid=False,
            outcome="received",
            answer_code="",
        )
    signature_valid = provider.verify(data)
    try:
        code, outcome = _process_notification(data, signature_valid, provider)
    except Exception:
        # The gateway retries on anything but "00"/"02"; the stored row keeps the evidence.
        logger.exception("payment.ipn_failed notification=%s", notification.pk)
        code, outcome = IPN_OTHER, "error"
    GatewayNotification.objects.filter(pk=notification.pk).update(
        signature_valid=signature_valid, outcome=outcome, answer_code=code
    )
    logger.info("payment.ipn notification=%s outcome=%s answer=%s", notification.pk, outcome, code)
    return {"RspCode": code, "Message": IPN_MESSAGES[code]}


def _process_notification(
    data: dict[str, str], signature_valid: bool, provider: PaymentProvider
) -> tuple[str, str]:
    if not signature_valid:
        return IPN_INVALID_SIGNATURE, "invalid_signature"
    try:
        result = provider.parse_result(data)
    except InvalidInput:
        return IPN_OTHER, "malformed"
    with _receipt_slip_ahead(result, provider), transaction.atomic():
        attempt = (
            PaymentAttempt.objects.select_for_update()
            .filter(txn_ref=result.txn_ref, provider=provider.name)
            .first()
        )
        if attempt is None:
            return IPN_ORDER_NOT_FOUND, "unknown_order"
        if result.amount != attempt.amount:
            _record_amount_mismatch(attempt, result, provider, source="ipn")
            return IPN_INVALID_AMOUNT, "amount_mismatch"
        if attempt.state not in OPEN_ATTEMPT_STATES:
            return IPN_ALREADY_CONFIRMED, "already_confirmed"
        _apply_result(attempt, result, provider, source="ipn")
    return IPN_CONFIRMED, attempt.state


def _receipt_slip_ahead(result: GatewayResult, provider: PaymentProvider) -> ContextManager[None]:
    """Outside the transaction that settles a verified payment: when it will complete the
    reception of a dossier held for its fee, that dossier's receipt slip rendered and sealed
    now, for the transaction only to store (see ``documents.prepare_receipt_slip``)."""
    from motcua.dossiers import documents

    if result.state != "paid":
        return nullcontext()
    attempt = (
        PaymentAttempt.objects.filter(txn_ref=result.txn_ref, provider=provider.name)
        .values("amount", "state", "invoice__dossier_id")
        .first()
    )
    if attempt is None or attempt["amount"] != result.amount:
        return nullcontext()
    if attempt["state"] not in OPEN_ATTEMPT_STATES:
        return nullcontext()
    prepared = documents.prepare_receipt_slip(
        attempt["invoice__dossier_id"], actor=None, now=clock.now()
    )
    return documents.prepared_slip(prepared)


def _record_amount_mismatch(
    attempt: PaymentAttempt, result: GatewayResult, provider: PaymentProvider, *, source: str
) -> None:
    audit.record(
        "payment.amount_mismatch",
        attempt,
        actor=gateway_actor(provider),
        data={"source": source, "expected": attempt.amount, "reported": result.amount},
    )
    logger.warning(
        "payment.amount_mismatch attempt=%s source=%s expected=%s reported=%s",
        attempt.pk,
        source,
        attempt.amount,
        result.amount,
    )


def _apply_result(
    attempt: PaymentAttempt, result: GatewayResult, provider: PaymentProvider, *, source: str
) -> None:
    """Record a verified final outcome on a locked, still open attempt (inside a transaction).

    A success pays the invoice through ``mark_paid``; an invoice already paid otherwise (cash,
    an earlier attempt) stays as it is and the double payment is flagged for a refund.
    """
    if result.state not in ("paid", "failed"):
        return
    actor = gateway_actor(provider)
    attempt.state = AttemptState.PAID if result.state == "paid" else AttemptState.FAILED
    attempt.provider_txn_no = result.provider_txn_no[:64]
    attempt.response_code = result.response_code[:10]
    attempt.settled_at = clock.now()
    attempt.save(update_fields=["state", "provider_txn_no", "response_code", "settled_at"])
    data = {"source": source, "txn_ref": attempt.txn_ref, "code": result.response_code}
    if attempt.state == AttemptState.FAILED:
        audit.record("payment.attempt_failed", attempt, actor=actor, data=data)
        return
    invoice = Invoice.objects.select_for_update().only("status").get(pk=attempt.invoice_id)
    paid_before = invoice.status == InvoiceStatus.PAID
    audit.record(
        "payment.attempt_paid", attempt, actor=actor, data={**data, "paid_twice": paid_before}
    )
    if paid_before:
        logger.warning("payment.paid_twice attempt=%s invoice=%s", attempt.pk, attempt.invoice_id)
    mark_paid(attempt.invoice_id, channel=PaymentChannel.ONLINE, actor=actor)


@dataclass(frozen=True)
class ReturnOutcome:
    """What the applicant's return page shows.

    ``status``: ``paid``, ``failed``, ``pending`` (the gateway answered: not decided yet),
    ``unknown`` (no trustworthy answer yet) or ``invalid`` (a forged or unknown return), then
    with ``check``, the first check it failed: ``signature``, ``unknown_transaction`` or
    ``amount`` (its amount against the attempt's).
    """

    status: str
    attempt: PaymentAttempt | None = None
    check: str = ""

    @property
    def invoice(self) -> Invoice | None:
        return self.attempt.invoice if self.attempt is not None else None


def handle_return(
    params: Mapping[str, Any], *, provider: PaymentProvider | None = None
) -> ReturnOutcome:
    """The applicant's browser comes back from the gateway. Its signed parameters only say
    which attempt it was: if the IPN has not settled it yet, we ask the gateway ourselves and
    settle from that verified answer."""
    provider = provider or gateway.get_provider()
    txn_ref = str(params.get("vnp_TxnRef", "") or "")
    attempt = (
        PaymentAttempt.objects.select_related("invoice__dossier").filter(txn_ref=txn_ref).first()
        if txn_ref
        else None
    )
    # Checked in the order the answer is trusted; nothing is settled from a return that fails.
    if not provider.verify(params):
        return _refused_return("signature", attempt)
    if attempt is None or attempt.provider != provider.name:
        return _refused_return("unknown_transaction", None)
    if str(params.get("vnp_Amount", "")) != str(attempt.amount * 100):
        return _refused_return("amount", attempt)
    answered = True
    if attempt.state in OPEN_ATTEMPT_STATES:
        attempt, answered = _refresh(attempt, provider, clock.now())
    if attempt.state == AttemptState.PENDING and answered:
        return ReturnOutcome("pending", attempt)
    if attempt.state in OPEN_ATTEMPT_STATES:
        return ReturnOutcome("unknown", attempt)
    return ReturnOutcome(str(attempt.state), attempt)


def _refused_return(check: str, attempt: PaymentAttempt | None) -> ReturnOutcome:
    logger.warning(
        "payment.return_refused check=%s attempt=%s", check, attempt.pk if attempt else "-"
    )
    return ReturnOutcome("invalid", attempt, check=check)


def refresh_pending(
    attempt: PaymentAttempt,
    *,
    provider: PaymentProvider | None = None,
    now: datetime | None = None,
) -> PaymentAttempt:
    """Reconcile an open attempt with the gateway's status query (đối soát).

    A verified final answer settles it as the IPN would. Past the payment page's expiry (and a
    margin), an attempt the gateway does not know or reports unfinished has failed, and one
    with no trustworthy answer at all becomes ``unknown`` for an operator to follow up.
    Returns the attempt as it now stands.
    """
    refreshed, _answered = _refresh(attempt, provider or gateway.get_provider(), now or clock.now())
    return refreshed


def _refresh(
    attempt: PaymentAttempt, provider: PaymentProvider, now: datetime
) -> tuple[PaymentAttempt, bool]:
    if attempt.state not in OPEN_ATTEMPT_STATES:
        return attempt, True
    result = provider.query(attempt)
    answered = result is not None
    ahead = _receipt_slip_ahead(result, provider) if result is not None and result.found else None
    with ahead or nullcontext(), transaction.atomic():
        locked = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.state not in OPEN_ATTEMPT_STATES:
            pass  # the IPN came in while we were asking
        elif result is not None and result.found and result.amount != locked.amount:
            _record_amount_mismatch(locked, result, provider, source="query")
            answered = False
            if now >= locked.created_at + RECONCILE_AFTER:
                _expire(locked, None, provider)
        else:
            if result is not None:
                _apply_result(locked, result, provider, source="query")
            if locked.state in OPEN_ATTEMPT_STATES and now >= locked.created_at + RECONCILE_AFTER:
                _expire(locked, result, provider)
    fresh = PaymentAttempt.objects.select_related("invoice__dossier").get(pk=attempt.pk)
    return fresh, answered or fresh.state not in OPEN_ATTEMPT_STATES


def _expire(
    attempt: PaymentAttempt, result: GatewayResult | None, provider: PaymentProvider
) -> None:
    """An open attempt past its expiry: failed if the gateway says it never completed, else
    ``unknown`` (no answer, or held for review)."""
    never_completed = result is not None and result.state in ("not_found", "pending")
    new_state = AttemptState.FAILED if never_completed else AttemptState.UNKNOWN
    if new_state == attempt.state:
        return
    attempt.state = new_state
    attempt.response_code = result.response_code[:10] if result is not None else ""
    attempt.save(update_fields=["state", "response_code"])
    audit.record(
        "payment.attempt_failed" if never_completed else "payment.attempt_unknown",
        attempt,
        actor=gateway_actor(provider),
        data={"source": "reconcile", "txn_ref": attempt.txn_ref},
    )
    logger.info("payment.attempt_expired attempt=%s state=%s", attempt.pk, new_state)


# A periodic run asks the gateway for this long at most: the worker that runs it also delivers
# the outbox, and a gateway answering slowly must not hold that up. The rest waits for the next
# run (every 5 minutes).
REFRESH_BUDGET_SECONDS = 30.0
# The gateway's notification comes within seconds and a payer back on our page settles the
# attempt there: the periodic query is for those that neither did. Younger attempts are
# mostly payers still on the bank's page, and asking about them cost a busy worker its time.
REFRESH_AFTER = timedelta(minutes=5)


def refresh_open_attempts(
    *,
    provider: PaymentProvider | None = None,
    now: datetime | None = None,
    limit: int = 200,
    budget_seconds: float = REFRESH_BUDGET_SECONDS,
    monotonic: Callable[[], float] = time.monotonic,
) -> dict[str, int]:
    """Reconcile the open attempts older than ``REFRESH_AFTER`` (a periodic task), pending ones
    before those already ``unknown``, oldest first, for at most ``budget_seconds``; counts by
    state, with ``left`` for the attempts put off to the next run."""
    from motcua.payments.selectors import list_open_attempts

    provider = provider or gateway.get_provider()
    now = now or clock.now()
    counts: dict[str, int] = {}
    due = list(list_open_attempts(started_before=now - REFRESH_AFTER)[:limit])
    due.sort(key=lambda attempt: attempt.state != AttemptState.PENDING)  # stable: oldest first
    stop = monotonic() + budget_seconds
    for index, attempt in enumerate(due):
        if monotonic() >= stop:
            counts["left"] = len(due) - index
            logger.warning("payment.refresh_cut_short checked=%s left=%s", index, len(due) - index)
            break
        state = str(refresh_pending(attempt, provider=provider, now=now).state)
        counts[state] = counts.get(state, 0) + 1
    return counts
