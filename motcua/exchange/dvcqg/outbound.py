"""Status synchronisation to the national portal: one outbox message per dossier change.

Every dossier of the province is reported, whatever its channel: the portal publishes the
status of every dossier (Circular 01/2018/TT-VPCP Art. 17) and computes the province's
Decision 766 indicators (online rate, on-time rate, online payment rate) over all of them, so
a province that reported only online dossiers would show a 100 % online rate. Nothing is
posted while no active ``dvcqg`` peer is registered (``motcua setup`` registers it); the
periodic job ``dvcqg.resync`` then posts the current status of every dossier that changed
meanwhile, once the peer is active again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.signals import dossier_transitioned
from motcua.exchange import outbox, schedule
from motcua.exchange.dvcqg import mapping
from motcua.exchange.dvcqg.models import PortalFiling, StatusSync
from motcua.exchange.models import OutboxMessage, OutboxState, Peer
from motcua.exchange.transport import DeliveryError, Transport

logger = logging.getLogger(__name__)

PEER_CODE = "dvcqg"
STATUS_KIND = "dvcqg.status"

# While a portal filing registers its dossier, the first status already knows that the fee
# was paid on the portal (the filing's bookkeeping row is written right after).
_paid_on_portal_now: ContextVar[bool] = ContextVar("dvcqg_paid_on_portal", default=False)


@contextmanager
def filed_on_portal(*, paid: bool) -> Iterator[None]:
    token = _paid_on_portal_now.set(paid)
    try:
        yield
    finally:
        _paid_on_portal_now.reset(token)


def stream_of(dossier_id: int) -> str:
    return f"dossier:{dossier_id}"


@receiver(dossier_transitioned, dispatch_uid="dvcqg-status")
def post_status(
    sender: Any, dossier: Dossier, action: str, event: DossierEvent, **kwargs: Any
) -> None:
    """Post the dossier's new status in the transaction of its change."""
    if event.action == "submit":
        # A new dossier's status reads nothing back (see ``mapping``): the portal peer is found
        # by the statement that writes the message, the only statement of the submission's
        # status, whether the peer is registered or not.
        outbox.post_to_active(
            peer_code=PEER_CODE,
            kind=STATUS_KIND,
            payload=mapping.status_message(
                dossier, event, paid_on_portal=_paid_on_portal_now.get()
            ),
            stream=stream_of(dossier.pk),
            dedupe_key=dedupe_key_of(event),
        )
        return
    peer = Peer.objects.filter(code=PEER_CODE, active=True).first()
    if peer is not None:
        _post(peer, dossier, event)


def dedupe_key_of(event: DossierEvent) -> str:
    return f"{STATUS_KIND}:{event.pk}"


def _post(peer: Peer, dossier: Dossier, event: DossierEvent) -> OutboxMessage:
    # At "submit" the dossier is being created: its filing, if any, is written after it and
    # what it says comes through ``filed_on_portal``.
    paid_on_portal = _paid_on_portal_now.get() or (
        event.action != "submit"
        and PortalFiling.objects.filter(dossier=dossier, paid_on_portal=True).exists()
    )
    return outbox.post(
        peer=peer,
        kind=STATUS_KIND,
        payload=mapping.status_message(dossier, event, paid_on_portal=paid_on_portal),
        stream=stream_of(dossier.pk),
        dedupe_key=dedupe_key_of(event),
    )


@outbox.sender(STATUS_KIND)
def send_status(message: OutboxMessage, transport: Transport) -> dict[str, Any]:
    """Deliver one status message (what the portal acknowledged is kept by ``acknowledged``)."""
    reply = transport.post(
        message.peer, mapping.STATUS_PATH, message.payload, message_id=str(message.message_id)
    )
    if not mapping.is_success(reply):
        raise DeliveryError(f"portal error {str(reply.get('error_code'))[:20]}")
    return reply


@outbox.after_delivery(STATUS_KIND)
def acknowledged(message: OutboxMessage, reply: dict[str, Any]) -> None:
    """Keep what the portal acknowledged, in the transaction that records the delivery."""
    code, sequence, status = mapping.sequence_of(message.payload)
    record_acknowledgement(code, sequence=sequence, status=status)


def record_acknowledgement(code: str, *, sequence: int, status: int) -> bool:
    """Keep the newest acknowledged status of the dossier ``code``; an older ``sequence``
    (a late retry) changes nothing. Returns whether the record moved.

    The update is conditional in the database itself, so two workers acknowledging the same
    dossier at once (a lease that ran out) can never put an older status back."""
    with transaction.atomic():
        # The dossier's row first, as every change of a dossier takes it (then its facts):
        # recorded with the delivery, whose facts row the reports refresh next, a later lock
        # on it (PostgreSQL checks the new row's foreign key at commit) would close a cycle
        # with an officer's action on the same dossier.
        dossier_id = (
            Dossier.objects.filter(code=code)
            .select_for_update(no_key=True, of=("self",))
            .values_list("pk", flat=True)
            .first()
        )
        if dossier_id is None:
            return False
        values = {"sequence": sequence, "status": status, "acknowledged_at": clock.now()}
        moved = StatusSync.objects.filter(dossier_id=dossier_id, sequence__lt=sequence).update(
            **values
        )
        if not moved and not StatusSync.objects.filter(dossier_id=dossier_id).exists():
            try:
                with transaction.atomic():
                    StatusSync.objects.create(dossier_id=dossier_id, **values)
                moved = 1
            except IntegrityError:
                moved = StatusSync.objects.filter(
                    dossier_id=dossier_id, sequence__lt=sequence
                ).update(**values)
    if moved:
        logger.info(
            "dvcqg.acknowledged dossier=%s sequence=%s status=%s", dossier_id, sequence, status
        )
    else:
        logger.info("dvcqg.stale_ack dossier=%s sequence=%s", dossier_id, sequence)
    return bool(moved)


# --- re-synchronisation ------------------------------------------------------------------------

# Dossiers changed within this window are compared with what the portal acknowledged.
RESYNC_WINDOW = timedelta(days=30)
RESYNC_BATCH = 200


def lagging_dossiers(*, since: Any, limit: int = RESYNC_BATCH) -> list[Dossier]:
    """Dossiers whose newest change the portal has not acknowledged and for which no status
    message is on its way: changed while the portal peer was paused or not yet registered."""
    stream = Concat(Value("dossier:"), Cast(OuterRef("pk"), output_field=CharField()))
    on_its_way = OutboxMessage.objects.filter(kind=STATUS_KIND, stream=stream).exclude(
        state=OutboxState.DELIVERED
    )
    newest = DossierEvent.objects.filter(dossier=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    return list(
        Dossier.objects.filter(updated_at__gte=since)
        .annotate(newest_event=Subquery(newest))
        .filter(~Exists(on_its_way))
        .filter(Q(portal_sync__isnull=True) | Q(portal_sync__sequence__lt=F("newest_event")))
        .select_related("procedure", "receiving_agency", "competent_agency")
        .order_by("pk")[:limit]
    )


def resync(worker_id: str) -> dict[str, Any]:
    """Post the current status of every lagging dossier (a periodic job of the worker)."""
    peer = Peer.objects.filter(code=PEER_CODE, active=True).first()
    if peer is None:
        return {"posted": 0}
    posted = 0
    for dossier in lagging_dossiers(since=clock.now() - RESYNC_WINDOW):
        with transaction.atomic():
            event = dossier.events.order_by("-pk").first()
            if event is not None:
                message = _post(peer, dossier, event)
                posted += int(message.state == OutboxState.PENDING)
    if posted:
        logger.info("dvcqg.resync posted=%s worker=%s", posted, worker_id)
    return {"posted": posted}


schedule.register(
    schedule.Job(
        "dvcqg.resync",
        _("Đồng bộ lại trạng thái hồ sơ lên Cổng DVCQG"),
        timedelta(minutes=5),
        resync,
    )
)
