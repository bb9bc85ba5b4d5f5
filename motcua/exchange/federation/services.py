"""Handing land dossiers over between provinces, and bringing their statuses and results back.

Origin side (the parcel lies in a province served by a peer): when the receiving center's
dossier becomes "accepted", ``dossier_transitioned`` hands it over in the same transaction: a
``federation_handover`` history row and a ``federation.dossier`` outbox message (stream
``dossier:<id>``) with the applicant, procedure, e-form, center, code, deadline and files.

Handler side (the peer's installation): ``receive_dossier`` registers it with the normal
registration service as a dossier of the competent land branch (the origin's code kept as the
external reference), accepted at once with the origin's deadline, and answers its id and code.
Each later change of that dossier goes back as ``federation.status`` (``federation.result``
with the signed result files once approved), ordered per dossier and applied newest-wins by
``sequence`` (the history row's id). The origin's "returned" goes the other way and closes it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from motcua.core import audit, clock
from motcua.core.errors import InvalidInput, NotFound
from motcua.dossiers.models import Dossier, DossierEvent, FileKind
from motcua.dossiers.services import attach_generated
from motcua.dossiers.services.lifecycle import record_event
from motcua.dossiers.services.registration import register
from motcua.dossiers.signals import dossier_transitioned
from motcua.dossiers.states import Channel, State
from motcua.dossiers.uploads import Upload
from motcua.exchange import inbox, outbox
from motcua.exchange.federation.coverage import require_peer_for
from motcua.exchange.federation.models import FederatedDossier, FederationRole
from motcua.exchange.models import InboxMessage, OutboxMessage, Peer
from motcua.exchange.transport import Transport
from motcua.org.models import Agency, AgencyKind, Ward

logger = logging.getLogger(__name__)

DOSSIER_KIND = "federation.dossier"
STATUS_KIND = "federation.status"
RESULT_KIND = "federation.result"
# What a status from the deciding province does to the origin's dossier.
ORIGIN_STATES = {
    State.PROCESSING: State.PROCESSING,
    State.AWAITING_APPROVAL: State.PROCESSING,
    State.AWAITING_OBLIGATIONS: State.PROCESSING,
    State.APPROVED: State.APPROVED,
    State.STOPPED: State.STOPPED,
}
ORIGIN_OPEN = frozenset({State.ACCEPTED, State.PROCESSING})


def stream_of(dossier_id: int) -> str:
    return f"dossier:{dossier_id}"


def _encode(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def _files_of(dossier: Dossier, kind: str) -> list[dict[str, Any]]:
    files = []
    for record in dossier.files.filter(kind=kind).order_by("pk"):
        with record.file.open("rb") as handle:
            content = handle.read()
        files.append(
            {
                "name": record.original_name,
                "component_key": record.component_key,
                "sha256": hashlib.sha256(content).hexdigest(),
                "content": _encode(content),
            }
        )
    return files


def _decode(item: dict[str, Any], field: str) -> bytes:
    try:
        content = base64.b64decode(str(item.get("content", "")), validate=True)
    except ValueError as error:
        raise InvalidInput(
            _("Tệp không phải dữ liệu base64 hợp lệ."), field=field, code="base64"
        ) from error
    if hashlib.sha256(content).hexdigest() != item.get("sha256"):
        raise InvalidInput(
            _("Mã băm SHA-256 của tệp không khớp nội dung."), field=field, code="sha256_mismatch"
        )
    return content


def _parcel_peer(dossier: Dossier) -> Peer | None:
    """The peer serving the parcel of a parcel-routed dossier in another province, else None.
    Raises ``InvalidInput`` naming the ward when no active peer serves it any more (paused
    since registration): the dossier is then not accepted rather than left without one."""
    procedure = dossier.procedure
    ward_code = int(dossier.form_data.get(procedure.parcel_field) or 0)
    ward = Ward.objects.filter(pk=ward_code).select_related("province").first()
    if ward is None or ward.province_id == settings.MOTCUA_PROVINCE_CODE:
        return None
    return require_peer_for(ward, procedure.parcel_field)


@receiver(dossier_transitioned, dispatch_uid="federation-transitions")
def on_transition(
    sender: Any, dossier: Dossier, action: str, event: DossierEvent, **kwargs: Any
) -> None:
    """Hand over an accepted foreign-parcel dossier; report a handed-over dossier's changes."""
    if action.startswith("federation_") or dossier.procedure.routing != "parcel":
        return
    link = FederatedDossier.objects.filter(dossier=dossier).select_related("peer").first()
    if link is None:
        if dossier.state == State.ACCEPTED:
            peer = _parcel_peer(dossier)
            if peer is not None:
                _hand_over(dossier, peer, event)
        return
    if link.role == FederationRole.HANDLER or dossier.state == State.RETURNED:
        _post_status(link, dossier, event)


def _hand_over(dossier: Dossier, peer: Peer, cause: DossierEvent) -> OutboxMessage:
    now = clock.now()
    center = dossier.receiving_agency
    FederatedDossier.objects.create(
        dossier=dossier, peer=peer, role=FederationRole.ORIGIN, created_at=now
    )
    record_event(
        dossier, "federation_handover", dossier.state, cause.actor or "system", now,
        data={"peer": peer.code},
    )  # fmt: skip
    payload = {
        "code": dossier.code,
        "procedure": dossier.procedure.code,
        "form_data": dossier.form_data,
        "applicant": {
            "name": dossier.applicant_name,
            "id_number": dossier.applicant_id_number,
            "phone": dossier.applicant_phone,
            "email": dossier.applicant_email,
            "address": dossier.applicant_address,
        },
        "center": {"code": center.code, "name": center.name},
        "accepted_at": dossier.accepted_at.isoformat() if dossier.accepted_at else None,
        "due_at": dossier.due_at.isoformat() if dossier.due_at else None,
        "files": _files_of(dossier, FileKind.ATTACHMENT),
    }
    message = outbox.post(
        peer=peer,
        kind=DOSSIER_KIND,
        payload=payload,
        stream=stream_of(dossier.pk),
        dedupe_key=f"{DOSSIER_KIND}:{dossier.pk}",
    )
    logger.info(
        "federation.handed_over dossier=%s peer=%s message=%s", dossier.pk, peer.code, message.pk
    )
    return message


def _post_status(link: FederatedDossier, dossier: Dossier, event: DossierEvent) -> None:
    approved = dossier.state == State.APPROVED and link.role == FederationRole.HANDLER
    kind = RESULT_KIND if approved else STATUS_KIND
    payload: dict[str, Any] = {
        # The dossier as the receiver of the message knows it.
        "code": link.remote_code,
        "sender_code": dossier.code,
        "state": dossier.state,
        "action": event.action,
        "sequence": event.pk,
        "note": dossier.decision_note if dossier.state in (State.APPROVED, State.STOPPED) else "",
        "files": _files_of(dossier, FileKind.RESULT) if approved else [],
    }
    outbox.post(
        peer=link.peer,
        kind=kind,
        payload=payload,
        stream=stream_of(dossier.pk),
        dedupe_key=f"{STATUS_KIND}:{event.pk}",
    )


@outbox.sender(DOSSIER_KIND)
def send_dossier(message: OutboxMessage, transport: Transport) -> dict[str, Any]:
    """Deliver a hand-over and remember the peer's dossier."""
    response = outbox.envelope_sender(message, transport)
    reply = response.get("reply") or {}
    FederatedDossier.objects.filter(
        dossier__code=message.payload.get("code"), role=FederationRole.ORIGIN
    ).update(remote_id=reply.get("id"), remote_code=str(reply.get("code", ""))[:50])
    return response


# --- the peer's side: a dossier handed over to us ------------------------------------------


@inbox.handler(DOSSIER_KIND)
def receive_dossier(message: InboxMessage) -> dict[str, Any]:
    """Register a dossier a peer handed over, as a dossier of our competent land branch."""
    peer, payload = message.peer, message.payload
    reference = str(payload.get("code", "")).strip()
    if not reference or len(reference) > 50:
        raise InvalidInput(
            _("Thiếu mã hồ sơ của nơi tiếp nhận (tối đa 50 ký tự)."), field="code", code="required"
        )
    known = FederatedDossier.objects.filter(
        peer=peer, role=FederationRole.HANDLER, remote_code=reference
    ).select_related("dossier")
    if (link := known.first()) is not None:
        return _received_reply(link.dossier, reference)
    center = Agency.objects.filter(
        kind=AgencyKind.PROVINCE_CENTER, province_id=settings.MOTCUA_PROVINCE_CODE
    ).first()
    if center is None:
        raise NotFound(
            _("Tỉnh chưa có Trung tâm Phục vụ hành chính công để nhận hồ sơ liên thông."),
            code="no_province_center",
        )
    uploads = [
        Upload(
            name=str(item.get("name", "")),
            content=_decode(item, f"files[{index}]"),
            component_key=str(item.get("component_key", "")),
        )
        for index, item in enumerate(payload.get("files") or [])
    ]
    actor = f"peer:{peer.code}"
    dossier = register(
        procedure_code=str(payload.get("procedure", "")),
        center_id=center.pk,
        form_data=dict(payload.get("form_data") or {}),
        uploads=uploads,
        channel=Channel.ONLINE,
        idempotency_key=None,
        actor=actor,
    )
    now = clock.now()
    due_at = parse_datetime(str(payload.get("due_at") or ""))
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    # Received and paid for at the origin: the clock runs from there, the file is here.
    dossier.accepted_at = parse_datetime(str(payload.get("accepted_at") or "")) or now
    dossier.counting_starts = clock.localtime(dossier.accepted_at).date()
    dossier.due_at = due_at
    dossier.competent_received_at = now
    dossier.holder = dossier.competent_agency
    dossier.state = State.ACCEPTED
    dossier.save()
    FederatedDossier.objects.create(
        dossier=dossier, peer=peer, role=FederationRole.HANDLER, remote_code=reference,
        created_at=now,
    )  # fmt: skip
    record_event(
        dossier, "federation_receive", State.SUBMITTED, actor, now,
        data={"peer": peer.code, "reference": reference},
    )  # fmt: skip
    audit.record("federation.dossier_received", dossier, actor=actor, data={"inbox": message.pk})
    logger.info(
        "federation.dossier_received inbox=%s dossier=%s peer=%s", message.pk, dossier.pk, peer.code
    )
    return _received_reply(dossier, reference)


def _received_reply(dossier: Dossier, reference: str) -> dict[str, Any]:
    return {"id": dossier.pk, "code": dossier.code, "reference": reference, "state": dossier.state}


# --- statuses and results, both ways --------------------------------------------------------


@inbox.handler(STATUS_KIND)
@inbox.handler(RESULT_KIND)
def receive_status(message: InboxMessage) -> dict[str, Any]:
    """Apply a peer's status of a handed-over dossier, unless a newer one was applied."""
    peer, payload = message.peer, message.payload
    try:
        sequence = int(payload.get("sequence"))
    except (TypeError, ValueError) as error:
        raise InvalidInput(
            _("Số thứ tự trạng thái phải là số nguyên."), field="sequence", code="integer"
        ) from error
    link = (
        FederatedDossier.objects.select_for_update()
        .filter(peer=peer, dossier__code=str(payload.get("code", "")))
        .first()
    )
    if link is None:
        raise NotFound(
            _("Không có hồ sơ liên thông mã %(reference)s với hệ thống này."),
            field="code",
            code="dossier_not_found",
            reference=str(payload.get("code", ""))[:50],
        )
    if sequence <= link.last_sequence:
        logger.info("federation.stale_status link=%s sequence=%s", link.pk, sequence)
        return {"applied": False, "stale": True, "sequence": link.last_sequence}
    remote_state = str(payload.get("state", ""))
    files = [_decode(item, f"files[{i}]") for i, item in enumerate(payload.get("files") or [])]
    dossier = Dossier.objects.select_for_update().get(pk=link.dossier_id)
    link.last_sequence, link.remote_state = sequence, remote_state[:30]
    if not link.remote_code:
        link.remote_code = str(payload.get("sender_code", ""))[:50]
    link.save()
    target = _target_state(link, dossier, remote_state)
    if target is not None:
        _apply(dossier, target, payload, files, actor=f"peer:{peer.code}", sequence=sequence)
    return {"applied": True, "state": dossier.state, "sequence": sequence}


def _target_state(link: FederatedDossier, dossier: Dossier, remote_state: str) -> str | None:
    if link.role == FederationRole.HANDLER:
        wanted = State.RETURNED if remote_state == State.RETURNED else None
        return wanted if dossier.state == State.APPROVED else None
    if dossier.state not in ORIGIN_OPEN:
        return None
    wanted = ORIGIN_STATES.get(State(remote_state)) if remote_state in State.values else None
    return wanted if wanted != dossier.state else None


def _apply(
    dossier: Dossier,
    target: str,
    payload: dict[str, Any],
    files: list[bytes],
    *,
    actor: str,
    sequence: int,
) -> None:
    now: datetime = clock.now()
    from_state = dossier.state
    if target == State.APPROVED:
        dossier.finished_at = now
        for item, content in zip(payload.get("files") or [], files, strict=True):
            attach_generated(dossier, FileKind.RESULT, str(item.get("name", "")), content, now)
    if target == State.STOPPED:
        dossier.finished_at = dossier.closed_at = now
    if target in (State.APPROVED, State.STOPPED):
        dossier.decision_note = str(payload.get("note", ""))[:2000]
    if target == State.RETURNED:
        dossier.returned_at = dossier.closed_at = now
    dossier.state = target
    dossier.save()
    record_event(
        dossier, "federation_status", from_state, actor, now,
        data={"remote_state": str(payload.get("state", "")), "sequence": sequence},
    )  # fmt: skip
    logger.info(
        "federation.status_applied dossier=%s from=%s to=%s sequence=%s",
        dossier.pk, from_state, target, sequence,
    )  # fmt: skip
