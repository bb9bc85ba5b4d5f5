"""What motcua keeps about its exchanges with the national portal."""

from __future__ import annotations

from django.db import models

from motcua.dossiers.models import Dossier


class PortalFiling(models.Model):
    """A dossier filed on the national portal and handed to motcua (one per dossier)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="portal_filing")
    message_id = models.CharField(max_length=100, unique=True)  # as the inbox keeps it
    portal_reference = models.CharField(max_length=64, blank=True, default="")
    # The fee was paid on the national portal (DuocThanhToanTrucTuyen = 1).
    paid_on_portal = models.BooleanField(default=False)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.message_id


class StatusSync(models.Model):
    """The newest status the national portal has acknowledged for a dossier.

    ``sequence`` is the dossier event the status came from: an acknowledgement of an older
    sequence (a late retry) never replaces a newer one.
    """

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="portal_sync")
    sequence = models.BigIntegerField()
    status = models.PositiveSmallIntegerField()
    acknowledged_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.status}#{self.sequence}"
