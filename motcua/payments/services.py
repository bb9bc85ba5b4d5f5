"""Fees: invoices from the procedure's fee items, cash at the counter, online settlement.

Online gateways live in ``motcua.payments.gateway``; they settle through ``settle_online``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.catalog.selectors import compute_fees
from motcua.core import audit, clock
from motcua.core.errors import InvalidTransition
from motcua.core.sequences import next_value
from motcua.payments.models import Invoice, InvoiceLine, InvoiceStatus, PaymentChannel
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
    InvoiceLine.objects.bulk_create(
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
    return invoice


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
        invoice = Invoice.objects.select_for_update().select_related("collector").get(pk=invoice_id)
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
