"""Custody of the paper file and of the result: hand-overs between units with a transfer slip.

Decree 61/2018 Art. 18: a paper dossier goes to the competent unit the same working day (the
next morning when received after 15:00); the competent unit sends the result back to the
one-stop unit where the dossier was received, which returns it (the legal pattern behind
boundaryless receipt).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from motcua.core.sequences import next_value
from motcua.dossiers import permissions
from motcua.dossiers.models import Dossier, Transfer, TransferMeans, TransferPurpose
from motcua.dossiers.services.lifecycle import lock_dossier, record_event
from motcua.dossiers.states import State
from motcua.org.models import Agency

logger = logging.getLogger(__name__)


def send_file(
    dossier_id: int,
    *,
    actor: Any,
    means: str,
    items: Sequence[str] = (),
    note: str = "",
) -> Transfer:
    """The unit holding the paper file hands it on: the receiving center to the competent unit
    (before the result), or the competent unit back to the receiving center (after it)."""
    if means not in TransferMeans.values:
        raise InvalidInput(
            _("Hình thức chuyển không hợp lệ."), field="means", code="transfer_means"
        )
    with transaction.atomic():
        dossier = lock_dossier(dossier_id, actor, None)
        sender = _sender(actor, dossier)
        purpose, recipient = _route(dossier, sender)
        now = clock.now()
        transfer = Transfer.objects.create(
            dossier=dossier,
            purpose=purpose,
            slip_number=_slip_number(sender, now),
            from_agency=sender,
            to_agency=recipient,
            means=means,
            items=[item.strip() for item in items if item.strip()],
            note=note.strip(),
            sent_at=now,
            sent_by=actor,
        )
        dossier.holder = None  # in transit until the recipient confirms
        dossier.save(update_fields=["holder", "updated_at"])
        record_event(
            dossier,
            "send_file",
            dossier.state,
            actor,
            now,
            note=note.strip(),
            data=_transfer_data(transfer),
        )
    logger.info("dossier.send_file id=%s transfer=%s to=%s", dossier.pk, transfer.pk, recipient.pk)
    _issue_transfer_slip(transfer)
    return transfer


def receive_file(transfer_id: int, *, actor: Any) -> Transfer:
    """The recipient unit confirms it has the file (or the result) in hand."""
    with transaction.atomic():
        transfer = (
            Transfer.objects.filter(pk=transfer_id).select_related("dossier", "to_agency").first()
        )
        if transfer is None:
            raise NotFound(_("Không tìm thấy hồ sơ."), code="dossier_not_found")
        dossier = lock_dossier(transfer.dossier_id, actor, None)
        if not permissions.is_officer_of(actor, transfer.to_agency_id):
            raise NotFound(_("Không tìm thấy hồ sơ."), code="dossier_not_found")
        if transfer.received_at is not None:
            raise InvalidTransition(_("Hồ sơ đã được nhận."), code="already_received")
        now = clock.now()
        transfer.received_at, transfer.received_by = now, actor
        transfer.save(update_fields=["received_at", "received_by"])
        dossier.holder = transfer.to_agency
        if transfer.purpose == TransferPurpose.FILE and dossier.competent_received_at is None:
            dossier.competent_received_at = now
        dossier.save(update_fields=["holder", "competent_received_at", "updated_at"])
        record_event(
            dossier, "receive_file", dossier.state, actor, now, data=_transfer_data(transfer)
        )
    logger.info("dossier.receive_file id=%s transfer=%s", dossier.pk, transfer.pk)
    return transfer


def result_is_at_receiving_center(dossier: Dossier) -> bool:
    """A paper result must be back where the dossier was received before it is handed over."""
    if not dossier.procedure.paper_file:
        return True
    return dossier.holder_id == dossier.receiving_agency_id


def _sender(actor: Any, dossier: Dossier) -> Agency:
    holder = dossier.holder
    if holder is None or not permissions.is_officer_of(actor, holder.pk):
        raise Forbidden(
            _("Chỉ đơn vị đang giữ hồ sơ giấy mới chuyển được hồ sơ."), code="not_holder"
        )
    return holder


def _route(dossier: Dossier, sender: Agency) -> tuple[str, Agency]:
    if sender.pk == dossier.receiving_agency_id and dossier.state not in (
        State.APPROVED,
        State.STOPPED,
    ):
        return TransferPurpose.FILE, dossier.competent_agency
    if sender.pk == dossier.competent_agency_id and dossier.state in (
        State.APPROVED,
        State.STOPPED,
    ):
        return TransferPurpose.RESULT, dossier.receiving_agency
    raise InvalidTransition(_("Chưa đến bước chuyển hồ sơ này."), code="transfer_not_due")


def _slip_number(sender: Agency, now: Any) -> str:
    year = clock.localtime(now).year
    return f"PC-{sender.code}-{year}-{next_value(f'transfer:{sender.code}:{year}'):05d}"


def _transfer_data(transfer: Transfer) -> dict[str, Any]:
    return {
        "transfer": transfer.pk,
        "slip": transfer.slip_number,
        "purpose": transfer.purpose,
        "from": transfer.from_agency_id,
        "to": transfer.to_agency_id,
        "means": transfer.means,
    }


def _issue_transfer_slip(transfer: Transfer) -> None:
    from motcua.dossiers import documents

    documents.issue_transfer_slip(transfer)
