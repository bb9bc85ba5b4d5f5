"""Reads of fees and payments."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import NotFound
from motcua.payments.models import AttemptState, Invoice, PaymentAttempt


def get_invoice_by_token(access_token: str) -> Invoice:
    """The invoice of the dossier whose applicant holds ``access_token`` (the capability that
    the applicant's links carry); ``NotFound`` otherwise."""
    invoice = (
        Invoice.objects.select_related("dossier", "collector")
        .prefetch_related("lines")
        .filter(dossier__access_token=access_token)
        .first()
        if access_token
        else None
    )
    if invoice is None:
        raise NotFound(_("Không tìm thấy hồ sơ."), code="dossier_not_found")
    return invoice


def get_paid_attempt(invoice: Invoice) -> PaymentAttempt | None:
    return invoice.attempts.filter(state=AttemptState.PAID).order_by("settled_at").first()


def list_open_attempts(*, started_before: datetime) -> QuerySet[PaymentAttempt]:
    """Attempts still waiting for the gateway's word, oldest first (for reconciliation)."""
    return PaymentAttempt.objects.filter(
        state__in=(AttemptState.PENDING, AttemptState.UNKNOWN), created_at__lt=started_before
    ).order_by("created_at")
