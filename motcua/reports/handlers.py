"""Reactions to the dossier lifecycle: keep each appointment as it was given, and keep each
dossier's facts row (``motcua.reports.facts``) in step with its history, in the same
transaction as the change. Rows loaded as they are (``raw``: a restore's ``loaddata``) change
nothing: the facts and the day totals are restored with them."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from motcua.dossiers.models import Dossier, DossierEvent, DossierFile, FileKind, SupplementRequest
from motcua.dossiers.signals import dossier_transitioned
from motcua.dossiers.states import State
from motcua.exchange.outbox import message_delivered
from motcua.payments.models import Invoice
from motcua.reports import facts
from motcua.reports.indicators import SYNC_KIND
from motcua.reports.models import Appointment, Complaint, DossierFacts, Rating

# Events that give or move the appointment (NgayHenTra): reception, the fee completing
# reception, the one rescheduling with an apology (Mẫu 04) and the second land appointment.
# A restart after a supplement is not a new appointment for Decision 766: the time spent
# supplementing is subtracted instead (the portal's formulas for Decision 766/QĐ-TTg).
APPOINTMENT_ACTIONS = frozenset(
    {"accept", "settle_payment", "reschedule", "record_obligations_met"}
)
# The states whose first entry is a kept fact; other transitions change none.
FACT_STATES = frozenset(
    {State.ACCEPTED, State.APPROVED, State.RETURNED, State.STOPPED, State.WITHDRAWN, State.REFUSED}
)


@receiver(dossier_transitioned)
def keep_appointment(
    sender: Any, dossier: Dossier, action: str, event: DossierEvent, **kwargs: Any
) -> None:
    """Inside the transition's transaction: one row per appointment given."""
    if action in APPOINTMENT_ACTIONS and dossier.due_at is not None:
        Appointment.objects.create(dossier=dossier, event=event, at=event.at, due_at=dossier.due_at)


@receiver(post_save, sender=DossierEvent)
def event_recorded(
    sender: Any, instance: DossierEvent, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if instance.to_state in FACT_STATES and not raw:
        facts.refresh(instance.dossier_id)


@receiver(post_save, sender=Appointment)
@receiver(post_save, sender=Rating)
@receiver(post_save, sender=Complaint)
def dossier_fact_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        facts.refresh(instance.dossier_id)


@receiver(post_save, sender=SupplementRequest)
def supplement_saved(
    sender: Any, instance: SupplementRequest, raw: bool = False, **kwargs: Any
) -> None:
    if instance.stage == "appraisal" and not raw:
        facts.refresh(instance.dossier_id)


@receiver(post_save, sender=Invoice)
def invoice_saved(
    sender: Any, instance: Invoice, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    # A new invoice is read with the reception (the first kept fact); a payment changes it.
    if not created and not raw:
        facts.refresh(instance.dossier_id)


@receiver(post_save, sender=DossierFile)
def file_saved(sender: Any, instance: DossierFile, raw: bool = False, **kwargs: Any) -> None:
    # The files of a submission are read with the reception; results and later attachments
    # change the "digitised" fact.
    if raw:
        return
    if instance.kind == FileKind.RESULT or (
        instance.kind == FileKind.ATTACHMENT and instance.dossier.state != State.SUBMITTED
    ):
        facts.refresh(instance.dossier_id)


@receiver(message_delivered)
def status_delivered(sender: Any, kind: str, stream: str, **kwargs: Any) -> None:
    if kind == SYNC_KIND and stream.startswith("dossier:"):
        dossier_id = int(stream.split(":", 1)[1])
        # Only the first delivery is a fact (synced_at); the later ones change nothing.
        if not DossierFacts.objects.filter(pk=dossier_id, synced_at__isnull=False).exists():
            facts.refresh(dossier_id)


@receiver(pre_delete, sender=DossierFacts)
def facts_deleted(sender: Any, instance: DossierFacts, using: str, **kwargs: Any) -> None:
    """A deleted dossier (its facts row goes with it) leaves the day totals."""
    if instance.anchor_at is not None:
        from motcua.reports import totals

        totals.apply(totals.contribution(instance.dossier_id, using), [], using)
