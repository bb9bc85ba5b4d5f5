"""Dossiers (hồ sơ) and everything that happens to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Procedure
from motcua.dossiers.states import NATIONAL_STATUS, Channel, State
from motcua.org.models import Agency


class Dossier(models.Model):
    code = models.CharField(_("mã hồ sơ"), max_length=50, unique=True)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="dossiers")
    receiving_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="received_dossiers"
    )
    competent_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="competent_dossiers"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_dossiers",
    )
    state = models.CharField(max_length=30, choices=State.choices, default=State.SUBMITTED)
    channel = models.PositiveSmallIntegerField(choices=Channel.choices)

    applicant_name = models.CharField(max_length=100)
    applicant_id_number = models.CharField(max_length=12, db_index=True)
    applicant_phone = models.CharField(max_length=20)
    applicant_email = models.CharField(max_length=254, blank=True, default="")
    applicant_address = models.CharField(max_length=255, blank=True, default="")
    summary = models.CharField(_("trích yếu"), max_length=500)
    form_data = models.JSONField(default=dict)

    submitted_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    counting_starts = models.DateField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(default=0)
    processing_note = models.TextField(blank=True, default="")
    decision_note = models.TextField(blank=True, default="")

    access_token = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["receiving_agency", "state"], name="dossier_receiving_idx"),
            models.Index(fields=["competent_agency", "state"], name="dossier_competent_idx"),
        ]
        verbose_name = _("hồ sơ")

    def __str__(self) -> str:
        return self.code

    @property
    def national_status(self) -> int:
        return NATIONAL_STATUS[self.state]


class DossierEvent(models.Model):
    """The dossier's history (the timeline on the desk and on the public status page)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=30, blank=True, default="")
    to_state = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=64)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.action}"


class FileKind(models.TextChoices):
    ATTACHMENT = "attachment", _("Thành phần hồ sơ")
    RECEIPT_SLIP = "receipt_slip", _("Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    RESULT = "result", _("Kết quả giải quyết")


class DossierFile(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=20, choices=FileKind.choices)
    component_key = models.CharField(max_length=40, blank=True, default="")
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="dossiers/%Y/%m/", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class SupplementRequest(models.Model):
    """A request to complete the dossier (Mẫu 02): once, complete, with every missing item.

    The intervals are kept so that the national on-time measure, which subtracts the time
    the applicant spends supplementing, can be computed (DOMAIN.md §2.8).
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="supplements")
    stage = models.CharField(max_length=20)  # "reception" or "appraisal"
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    items = models.JSONField(default=list)
    reason = models.TextField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.stage}"
