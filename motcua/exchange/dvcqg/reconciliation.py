"""Reconciliation with the national portal: what motcua holds against what the portal has
acknowledged (``StatusSync``), dossier by dossier.

A dossier is *in step* when the portal acknowledged the status of its newest event, *on its
way* when a status message for it waits in the outbox (pending, failing or abandoned), and
*lagging* otherwise (changed while the portal peer was paused or unregistered): the periodic
job ``dvcqg.resync`` posts those, and an operator can post one at once from the page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from motcua.core import audit
from motcua.core.errors import MotcuaError, NotFound
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.states import NATIONAL_STATUS
from motcua.exchange.dvcqg.outbound import PEER_CODE, STATUS_KIND, _post
from motcua.exchange.models import OutboxMessage, OutboxState, Peer

logger = logging.getLogger(__name__)

ROWS_SHOWN = 200


@dataclass(frozen=True)
class Row:
    """One dossier that is not in step, with both sides' view of it."""

    dossier: Dossier
    local_status: int
    acknowledged_status: int | None
    acknowledged_at: datetime | None
    message: OutboxMessage | None


@dataclass(frozen=True)
class Reconciliation:
    since: datetime
    total: int
    in_step: int
    on_its_way: int
    lagging: int
    rows: list[Row]


def _annotated(since: datetime) -> QuerySet[Dossier]:
    stream = Concat(Value("dossier:"), Cast(OuterRef("pk"), output_field=CharField()))
    waiting = OutboxMessage.objects.filter(kind=STATUS_KIND, stream=stream).exclude(
        state=OutboxState.DELIVERED
    )
    newest = DossierEvent.objects.filter(dossier=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    return Dossier.objects.filter(updated_at__gte=since).annotate(
        newest_event=Subquery(newest), waiting=Exists(waiting)
    )


# The portal acknowledged the status of the dossier's newest event (or a newer one).
IN_STEP = Q(portal_sync__sequence__gte=F("newest_event"))


def reconcile(*, since: datetime) -> Reconciliation:
    """Counts for the dossiers changed since ``since``, and the first dossiers out of step."""
    dossiers = _annotated(since)
    total = dossiers.count()
    in_step_count = dossiers.filter(IN_STEP).count()
    on_its_way = dossiers.exclude(IN_STEP).filter(Q(waiting=True)).count()
    out_of_step = (
        dossiers.exclude(IN_STEP)
        .select_related("portal_sync", "receiving_agency")
        .order_by("-updated_at", "-pk")[:ROWS_SHOWN]
    )
    rows = _rows(list(out_of_step))
    return Reconciliation(
        since=since,
        total=total,
        in_step=in_step_count,
        on_its_way=on_its_way,
        lagging=total - in_step_count - on_its_way,
        rows=rows,
    )


def _rows(dossiers: list[Dossier]) -> list[Row]:
    """The rows of the page, with the oldest waiting message of each (one query for all)."""
    waiting: dict[str, OutboxMessage] = {}
    streams = [f"dossier:{dossier.pk}" for dossier in dossiers]
    messages = OutboxMessage.objects.filter(kind=STATUS_KIND, stream__in=streams).exclude(
        state=OutboxState.DELIVERED
    )
    for message in messages.order_by("-id"):
        waiting[message.stream] = message
    rows = []
    for dossier in dossiers:
        sync = getattr(dossier, "portal_sync", None)
        rows.append(
            Row(
                dossier=dossier,
                local_status=NATIONAL_STATUS[dossier.state],
                acknowledged_status=sync.status if sync else None,
                acknowledged_at=sync.acknowledged_at if sync else None,
                message=waiting.get(f"dossier:{dossier.pk}"),
            )
        )
    return rows


class NothingToResync(MotcuaError):
    status = 409
    code = "nothing_to_resync"


def resync_dossier(dossier_id: int, *, actor: object) -> OutboxMessage:
    """Post the dossier's current status to the portal now (its newest event), audited.

    Refused when the portal peer is not active, or when a status message of this dossier is
    already on its way (retry that one from the outbox instead)."""
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().filter(pk=dossier_id).first()
        if dossier is None:
            raise NotFound()
        peer = Peer.objects.filter(code=PEER_CODE, active=True).first()
        if peer is None:
            raise NothingToResync(_("Cổng DVCQG chưa được đăng ký hoặc đang tạm ngừng kết nối."))
        waiting = OutboxMessage.objects.filter(
            kind=STATUS_KIND, stream=f"dossier:{dossier.pk}"
        ).exclude(state=OutboxState.DELIVERED)
        if waiting.exists():
            raise NothingToResync(
                _("Đã có tin trạng thái của hồ sơ đang chờ gửi; hãy gửi lại tin đó.")
            )
        event = dossier.events.order_by("-pk").first()
        if event is None:
            raise NotFound()
        message = _post(peer, dossier, event)
        audit.record(
            "dvcqg.resync", dossier, actor=actor, data={"message": message.pk, "event": event.pk}
        )
    logger.info("dvcqg.resync_dossier dossier=%s message=%s", dossier.pk, message.pk)
    return message
