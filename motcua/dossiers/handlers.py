"""Reactions of the dossier lifecycle to other contexts' events."""

from typing import Any

from django.dispatch import receiver

from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from motcua.payments.signals import invoice_paid


@receiver(invoice_paid)
def complete_reception_on_payment(sender: Any, invoice: Any, **kwargs: Any) -> None:
    """A dossier held at reception for its fee is received when the fee arrives."""
    if Dossier.objects.filter(pk=invoice.dossier_id, state=State.AWAITING_PAYMENT).exists():
        from motcua.dossiers.services import settle_payment

        settle_payment(invoice.dossier_id)
