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
    # Land dossiers with financial obligations have two appointments (Đồng Tháp Decision
    # 138/2025/QĐ-UBND, Art. 5(3)): the first is when the tax-information slip goes to the tax
    # authority.
    first_appointment_at = models.DateTimeField(null=True, blank=True)
    # When the competent unit got the dossier: the 3-working-day supplement window runs from it.
    competent_received_at = models.DateTimeField(null=True, blank=True)
    # Who holds the paper file now (paper-file procedures); null while nobody has it yet.
    holder = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="held_dossiers"
    )
    # One rescheduling with an apology (Mẫu 04) is allowed (Decree 61/2018 Art. 19).
    original_due_at = models.DateTimeField(null=True, blank=True)
    rescheduled_at = models.DateTimeField(null=True, blank=True)
    due_soon_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    processing_note = models.TextField(blank=True, default="")
    decision_note = models.TextField(blank=True, default="")

    access_token = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["receiving_agency", "state"], name="dossier_receiving_idx"),
            # With the assignee: a specialist's own dossiers in processing, without reading
            # every dossier ever assigned to them (a land branch's specialist: 140,000).
            models.Index(
                fields=["competent_agency", "state", "assignee"],
                name="dossier_competent_assignee_idx",
            ),
        ]
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")

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
    SUPPLEMENT_NOTICE = "supplement_notice", _("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
    REFUSAL_NOTICE = "refusal_notice", _("Phiếu từ chối tiếp nhận giải quyết hồ sơ")
    APOLOGY = "apology", _("Phiếu xin lỗi và hẹn lại ngày trả kết quả")
    TRANSFER_SLIP = "transfer_slip", _("Phiếu chuyển hồ sơ")


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
    the applicant spends supplementing, can be computed (the on-time rule behind Decision
    766/QĐ-TTg's indicators).
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


class TransferMeans(models.TextChoices):
    ELECTRONIC = "electronic", _("Điện tử")
    IN_PERSON = "in_person", _("Giao trực tiếp")
    POSTAL = "postal", _("Bưu chính công ích")
    COURIER = "courier", _("Chuyển phát")


class TransferPurpose(models.TextChoices):
    FILE = "file", _("Chuyển hồ sơ đến cơ quan giải quyết")
    RESULT = "result", _("Chuyển kết quả về nơi tiếp nhận")


class Transfer(models.Model):
    """One hand-over of the paper file or of the result between units (phiếu chuyển)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="transfers")
    purpose = models.CharField(max_length=10, choices=TransferPurpose.choices)
    slip_number = models.CharField(max_length=60, unique=True)
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    means = models.CharField(max_length=12, choices=TransferMeans.choices)
    items = models.JSONField(default=list)
    note = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["sent_at", "pk"]
        # The worklist's "on its way to us" tabs count open transfers of one unit: a few rows
        # among all the transfers it ever received.
        indexes = [
            models.Index(
                fields=["to_agency", "purpose"],
                condition=models.Q(received_at__isnull=True),
                name="transfer_open_to_idx",
            )
        ]

    def __str__(self) -> str:
        return self.slip_number


class SubStepKind(models.TextChoices):
    TAX = "tax", _("Xác định nghĩa vụ tài chính (cơ quan thuế)")
    CONSULTATION = "consultation", _("Lấy ý kiến cơ quan liên quan")


class SubStep(models.Model):
    """Work another agency does inside processing (the tax step, a consultation), with its own
    deadline; the lead (competent) unit sees all of them."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="substeps")
    kind = models.CharField(max_length=20, choices=SubStepKind.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="substeps")
    question = models.TextField()
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # None when the time is governed by another law and not counted (the tax authority).
    due_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True, default="")
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        # The worklist's "waiting for our answer" tabs: a unit's unanswered steps only.
        indexes = [
            models.Index(
                fields=["agency", "kind"],
                condition=models.Q(answered_at__isnull=True),
                name="substep_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.kind}"


class Notice(models.Model):
    """An in-app notice to an officer (due soon, overdue, consultation waiting)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=30)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_unread_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"
