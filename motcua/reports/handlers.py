"""Reactions to the dossier lifecycle: keep each appointment as it was given."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.signals import dossier_transitioned
from motcua.reports.models import Appointment

# Events that give or move the appointment (NgayHenTra): reception, the fee completing
# reception, the one rescheduling with an apology (Mẫu 04) and the second land appointment.
# A restart after a supplement is not a new appointment for Decision 766: the time spent
# supplementing is subtracted instead (DOMAIN.md §2.8).
APPOINTMENT_ACTIONS = frozenset(
    {"accept", "settle_payment", "reschedule", "record_obligations_met"}
)


@receiver(dossier_transitioned)
def keep_appointment(
    sender: Any, dossier: Dossier, action: str, event: DossierEvent, **kwargs: Any
) -> None:
    """Inside the transition's transaction: one row per appointment given."""
    if action in APPOINTMENT_ACTIONS and dossier.due_at is not None:
        Appointment.objects.create(dossier=dossier, event=event, at=event.at, due_at=dossier.due_at)
