"""What the personal-data duties leave behind: anonymised dossiers and subjects' requests."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Anonymisation(models.Model):
    """A closed dossier whose personal data were removed at the end of their retention."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="anonymisation"
    )
    record_type = models.CharField(max_length=30)
    closed_at = models.DateTimeField()
    anonymised_at = models.DateTimeField()
    files_removed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("hồ sơ đã ẩn danh")
        verbose_name_plural = _("hồ sơ đã ẩn danh")

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.record_type}"


class SubjectRequest(models.Model):
    """A data subject's request handled (Decree 13/2023 Art. 9, 14): who asked for what, why.

    The subject is kept as a hash of the ID number: the register of requests is not one more
    copy of the data.
    """

    kind = models.CharField(max_length=20, default="copy")
    subject_hash = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=300)
    requested_at = models.DateTimeField()
    dossier_count = models.PositiveIntegerField(default=0)
    handled_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("yêu cầu của chủ thể dữ liệu")
        verbose_name_plural = _("yêu cầu của chủ thể dữ liệu")

    def __str__(self) -> str:
        return f"{self.kind} {self.requested_at:%Y-%m-%d}"
