"""Which dossiers travel between provinces, and how far their statuses have come."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import Dossier
from motcua.exchange.models import Peer


class FederationRole(models.TextChoices):
    ORIGIN = "origin", _("Tiếp nhận tại tỉnh, giải quyết tại tỉnh bạn")
    HANDLER = "handler", _("Tiếp nhận tại tỉnh bạn, giải quyết tại tỉnh")


class FederatedDossier(models.Model):
    """One dossier handed over between installations. On the ORIGIN side ``remote_code`` and
    ``remote_id`` are the peer's dossier (known once it answered); on the HANDLER side
    ``remote_code`` is the origin's dossier code, the external reference. ``last_sequence``
    is the newest status applied from the peer: an older one changes nothing."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="federation")
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="federated_dossiers")
    role = models.CharField(max_length=10, choices=FederationRole.choices)
    remote_code = models.CharField(_("mã hồ sơ bên kia"), max_length=50, blank=True)
    remote_id = models.PositiveBigIntegerField(null=True, blank=True)
    remote_state = models.CharField(max_length=30, blank=True)
    last_sequence = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "remote_code"],
                condition=Q(role="handler"),
                name="federation_handler_reference_unique",
            )
        ]
        verbose_name = _("hồ sơ liên thông giữa các tỉnh")
        verbose_name_plural = _("hồ sơ liên thông giữa các tỉnh")

    def __str__(self) -> str:
        return f"{self.role}:{self.dossier_id}"
