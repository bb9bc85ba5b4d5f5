"""Administrative procedures, loaded from versioned data files (see ``loader``)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

STEP_UNITS = ("receiving", "competent", "tax")


class DeadlineKind(models.TextChoices):
    WORKING_DAYS = "working_days", _("Ngày làm việc")
    # Law on Civil Status Art. 5(3): done the same day; after 15:00, the next working day.
    SAME_DAY = "same_day", _("Trong ngày (sau 15 giờ: ngày làm việc tiếp theo)")


class Procedure(models.Model):
    """One version of an administrative procedure (thủ tục hành chính)."""

    code = models.CharField(_("mã thủ tục"), max_length=30)
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    name_vi = models.CharField(max_length=500)
    name_en = models.CharField(max_length=500)
    field_vi = models.CharField(max_length=200)
    field_en = models.CharField(max_length=200)
    level = models.CharField(max_length=20)
    competent_kind = models.CharField(max_length=20)
    boundaryless = models.BooleanField(default=True)
    deadline_kind = models.CharField(max_length=20, choices=DeadlineKind.choices)
    statutory_days = models.DecimalField(max_digits=5, decimal_places=1)
    online_level = models.CharField(max_length=20, default="full")
    routing = models.CharField(
        max_length=20,
        choices=[
            ("receiving", _("Theo nơi tiếp nhận")),
            ("parcel", _("Theo vị trí thửa đất")),
        ],
        default="receiving",
    )
    parcel_field = models.CharField(max_length=40, blank=True, default="")
    # Decree 61/2018 Art. 19(4): a dossier found incomplete after appraisal is sent back within
    # 3 working days of its receipt by the competent unit, unless sector law says otherwise.
    supplement_window_days = models.PositiveSmallIntegerField(default=3)
    paper_file = models.BooleanField(
        default=False, help_text=_("Hồ sơ giấy được chuyển giữa các đơn vị (theo dõi lưu giữ).")
    )
    result_kind = models.CharField(max_length=30, default="civil_status_copy")
    rules = models.JSONField(default=list, blank=True)
    legal_basis = models.TextField(blank=True, default="")
    form_schema = models.JSONField(default=list)
    source_file = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="procedure_version_unique")
        ]
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_vi

    @property
    def field_name(self) -> str:
        return self.field_en if translation.get_language() == "en" else self.field_vi


class ProcedureStep(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=40)
    name_vi = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300)
    role = models.CharField(max_length=20)
    unit = models.CharField(max_length=20)
    # Thousandths: sub-step budgets come in eighths of a day (0.125 = one office hour).
    budget_days = models.DecimalField(max_digits=6, decimal_places=3)
    # False for time governed by another law and not counted (the tax authority's step).
    counted = models.BooleanField(default=True)
    # Set on the last step before appointment N when a procedure has several appointments.
    appointment = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["procedure", "order"]

    def __str__(self) -> str:
        return f"{self.order}. {self.name_vi}"


class RequiredDocument(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="documents")
    order = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=40)
    name_vi = models.CharField(max_length=500)
    name_en = models.CharField(max_length=500)
    form_number = models.CharField(max_length=40, blank=True, default="")
    quantity = models.CharField(max_length=100, blank=True, default="")
    required = models.BooleanField(default=True)
    upload = models.CharField(
        max_length=10,
        choices=[("required", "required"), ("optional", "optional"), ("none", "none")],
        default="optional",
    )

    class Meta:
        ordering = ["procedure", "order"]

    def __str__(self) -> str:
        return self.name_vi

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_vi


class FeeItem(models.Model):
    """A fee (phí), charge (lệ phí) or service price, per province, with effective dates."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="fee_items")
    key = models.CharField(max_length=40)
    name_vi = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300)
    kind = models.CharField(max_length=20)
    amount = models.PositiveIntegerField(help_text=_("VND cho mỗi đơn vị"))
    quantity_field = models.CharField(max_length=40, blank=True, default="")
    province_code = models.PositiveSmallIntegerField(null=True, blank=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    is_example = models.BooleanField(default=False)
    legal_basis = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["procedure", "key", "valid_from"]

    def __str__(self) -> str:
        return f"{self.key} {self.amount}"

    def quantity_for(self, form_data: dict[str, object]) -> int:
        if not self.quantity_field:
            return 1
        value = form_data.get(self.quantity_field, 1)
        return int(value) if isinstance(value, int | str | Decimal) else 1
