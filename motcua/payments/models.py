"""Fee invoices, online payment attempts, gateway notifications and receipts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.org.models import Agency


class InvoiceStatus(models.TextChoices):
    UNPAID = "unpaid", _("Chưa nộp")
    PAID = "paid", _("Đã nộp")
    NOT_DUE = "not_due", _("Không phải nộp")


class PaymentChannel(models.TextChoices):
    ONLINE = "online", _("Trực tuyến")
    CASH = "cash", _("Tiền mặt tại quầy")


class Invoice(models.Model):
    """What an applicant owes for one dossier, built from the procedure's fee items."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="invoice"
    )
    collector = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="invoices")
    amount = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices)
    channel = models.CharField(max_length=10, choices=PaymentChannel.choices, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    receipt_number = models.CharField(max_length=40, null=True, blank=True, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"invoice {self.pk} {self.amount}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    fee_key = models.CharField(max_length=40)
    name_vi = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300)
    unit_amount = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField()
    amount = models.PositiveIntegerField()
    is_example = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.fee_key} {self.amount}"


class AttemptState(models.TextChoices):
    PENDING = "pending", _("Đang chờ")
    PAID = "paid", _("Thành công")
    FAILED = "failed", _("Không thành công")
    UNKNOWN = "unknown", _("Chưa rõ kết quả")


class PaymentAttempt(models.Model):
    """One redirect of the applicant to the gateway, identified by our transaction reference."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="attempts")
    provider = models.CharField(max_length=20)
    txn_ref = models.CharField(max_length=40, unique=True)
    amount = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=AttemptState.choices)
    provider_txn_no = models.CharField(max_length=64, blank=True, default="")
    response_code = models.CharField(max_length=10, blank=True, default="")
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.txn_ref


class GatewayNotification(models.Model):
    """Every server-to-server notification, stored before it is answered, valid or not."""

    received_at = models.DateTimeField()
    provider = models.CharField(max_length=20)
    txn_ref = models.CharField(max_length=40, blank=True, default="", db_index=True)
    params = models.JSONField()
    signature_valid = models.BooleanField()
    outcome = models.CharField(max_length=30)
    answer_code = models.CharField(max_length=10)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.txn_ref} {self.outcome}"


class SandboxTransaction(models.Model):
    """The built-in sandbox gateway's own ledger: what a payer chose on its bank-like page.

    Only the sandbox (``MOTCUA_SANDBOX_GATEWAY``) writes here; its status query answers from it.
    """

    merchant = models.CharField(max_length=20)
    txn_ref = models.CharField(max_length=100)
    amount = models.PositiveBigIntegerField()  # VND, as the merchant asked (vnp_Amount / 100)
    order_info = models.CharField(max_length=255)
    create_date = models.CharField(max_length=14)  # the merchant's vnp_CreateDate, GMT+7
    transaction_no = models.CharField(max_length=20, unique=True)
    bank_code = models.CharField(max_length=20)
    card_type = models.CharField(max_length=20)
    response_code = models.CharField(max_length=2)
    transaction_status = models.CharField(max_length=2)
    pay_date = models.CharField(max_length=14)  # GMT+7, yyyyMMddHHmmss
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "txn_ref"], name="sandbox_txn_ref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.txn_ref} {self.response_code}"
