from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Append-only record of every state change: who, when, from where, what.

    Written only by ``motcua.core.audit.record``; never updated or deleted by the application.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=64)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=16, default="system")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        verbose_name = _("bản ghi kiểm toán")
        verbose_name_plural = _("bản ghi kiểm toán")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class Counter(models.Model):
    """A named gap-free sequence (dossier codes per agency and day, receipt numbers).

    Incremented only inside the transaction that uses the number, so a rolled-back
    transaction leaves no gap.
    """

    key = models.CharField(max_length=120, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
