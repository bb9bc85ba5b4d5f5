from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The hash a chain starts from: the first entry's ``prev_hash``.
GENESIS_HASH = "0" * 64


class AppendOnly(Exception):
    """An audit entry was about to be changed or deleted through the ORM."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Reads and inserts only: bulk updates and deletes raise :class:`AppendOnly`."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit entries are never updated")

    def delete(self) -> NoReturn:
        raise AppendOnly("audit entries are never deleted")


class AuditEntry(models.Model):
    """Append-only record of every state change: who, when, from where, what.

    Written only by ``motcua.core.audit.record``; never updated or deleted by the application.
    The entries form a hash chain: ``seq`` numbers them 1, 2, 3… without gaps, ``prev_hash``
    is the previous entry's ``entry_hash`` and ``entry_hash`` is SHA-256 over the canonical
    JSON of this entry's content and ``prev_hash`` (``motcua.core.audit.entry_hash``), so
    ``motcua audit verify`` finds any altered, inserted or deleted entry. A new entry is
    inserted without them and sealed into the chain after its transaction commits
    (``motcua.core.audit.seal_pending``): the only change an entry ever receives.
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
    # Empty until sealed: numbering entries inside the writers' transactions would make every
    # audited write on PostgreSQL queue on one row and deadlock against each other's locks.
    seq = models.BigIntegerField(unique=True, null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    entry_hash = models.CharField(max_length=64, blank=True, default="")

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # The sealer's queue: small however long the trail grows.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed_idx"
            ),
        ]
        verbose_name = _("bản ghi kiểm toán")
        verbose_name_plural = _("bản ghi kiểm toán")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("audit entries are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit entries are never deleted")


class AuditChainHead(models.Model):
    """The end of the audit hash chain: one row (pk 1), locked by the sealer.

    The sealer takes this row's lock before numbering entries, so two sealers can never
    extend the chain from the same entry (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite
    transactions already begin IMMEDIATE). It also remembers the last ``seq`` and hash, so
    that deleting the newest entries is detected too.
    """

    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("đầu chuỗi kiểm toán")
        verbose_name_plural = _("đầu chuỗi kiểm toán")

    def __str__(self) -> str:
        return f"{self.seq} {self.entry_hash[:12]}"


class Counter(models.Model):
    """A named gap-free sequence (dossier codes per agency and day, receipt numbers).

    Incremented only inside the transaction that uses the number, so a rolled-back
    transaction leaves no gap.
    """

    key = models.CharField(max_length=120, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
