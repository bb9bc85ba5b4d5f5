"""Documents that cross the installation's boundary, as signed edXML envelopes.

``send_to_peer`` sends an issued document to another system's agency through
``transport.send_envelope``; ``receive`` takes an envelope (or a status message) from another
system, registers the document in the inbox of each local agency it is addressed to and
answers with a signed "received" status. An envelope received again (same sender, DocumentId
and business type) registers nothing new and gets the very same acknowledgement back. The
recipient's later statuses (accepted, rejected, processing, done) travel back as signed status
messages when they happen.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import nullcontext
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import InvalidInput, InvalidTransition
from motcua.core.text import nfc, search_key
from motcua.eoffice import envelope as edxml
from motcua.eoffice import marks as marks_module
from motcua.eoffice import services, transport
from motcua.eoffice.models import (
    Dispatch,
    DispatchStatus,
    DocumentState,
    IncomingEntry,
    OfficialDocument,
    Origin,
    ReceivedEnvelope,
)
from motcua.org.models import Agency, Role

logger = logging.getLogger(__name__)


def envelope_of(
    document: OfficialDocument, recipients: list[edxml.Organ], *, business: str = "new",
    reason: str = "",
) -> edxml.Envelope:  # fmt: skip
    """The edXML header of an issued document of this installation."""
    assert document.issuer is not None and document.issued_at is not None  # noqa: S101
    doc_type = marks_module.marks().types[document.doc_type]
    priority = marks_module.marks().urgency[document.urgency].priority
    with document.pdf.open("rb") as handle:
        content = handle.read()
    return edxml.Envelope(
        document_id=document.document_id,
        sender=edxml.organ_of(document.issuer),
        recipients=recipients,
        code_number=document.number or 0,
        code_notation=document.symbol,
        place=document.place,
        promulgation_date=clock.localtime(document.issued_at).date(),
        type_code=doc_type.code,
        type_name=doc_type.name,
        subject=document.summary,
        content=document.content,
        signer_competence=document.signer_competence,
        signer_position=document.signer_position,
        signer_name=document.signer_name,
        due_date=document.due_date,
        priority=priority,
        business=business,
        business_reason=reason,
        replaces_document_id=document.replaces.document_id if document.replaces else "",
        attachment_name=f"{document.number_text.replace('/', '-')}.pdf",
        attachment=content,
    )


@transaction.atomic
def _open_dispatch(pk: int, actor: Any, peer_code: str, peer_name: str) -> Dispatch:
    document = services._step(pk, actor, roles=(Role.CLERK,), sources=(DocumentState.ISSUED,))
    if not peer_code.strip() or len(peer_code) > 35:
        raise InvalidInput(
            _("Mã định danh cơ quan nhận không hợp lệ."), field="peer_code", code="invalid"
        )
    if document.dispatches.filter(peer_code=peer_code).exists():
        raise InvalidTransition(_("Văn bản đã gửi tới cơ quan này."), code="already_sent")
    now = clock.now()
    dispatch = Dispatch.objects.create(
        document=document, agency=None, peer_code=peer_code, peer_name=nfc(peer_name) or peer_code,
        status=DispatchStatus.SENT, status_at=now, sent_at=now,
    )  # fmt: skip
    services._history(document, "sent", actor=actor, at=now, dispatch=dispatch)
    return dispatch


def send_to_peer(pk: int, *, actor: Any, peer_code: str, peer_name: str = "") -> Dispatch:
    """Send an issued document to an agency of another system. The dispatch is recorded
    ("sent") before the envelope leaves; the peer's acknowledgement, when it comes back at
    once, moves it to "received"."""
    # A transport that queues (the exchange outbox) writes its message with the dispatch.
    together = transaction.atomic() if transport.queues_in_transaction() else nullcontext()
    with together:
        dispatch = _open_dispatch(pk, actor, peer_code, peer_name)
        document = dispatch.document
        assert document.issuer is not None  # noqa: S101
        recipients = [edxml.Organ(organ_id=dispatch.peer_code, name=dispatch.peer_name)]
        business = "replace" if document.replaces_id else "new"
        envelope = envelope_of(document, recipients, business=business)
        data = edxml.build_envelope(envelope, seal=document.issuer)
        logger.info("eoffice.envelope_sent document=%s peer=%s", document.pk, peer_code)
        acknowledgement = transport.send_envelope(peer_code, data)
    if acknowledgement:
        record_status(acknowledgement)
    dispatch.refresh_from_db()
    return dispatch


def receive(data: bytes) -> bytes:
    """Take an envelope or a status message from another system; return the acknowledgement
    (a signed status message) of an envelope, ``b""`` for a status message."""
    if edxml.is_status(data):
        record_status(data)
        return b""
    envelope = edxml.parse_envelope(data)
    key = f"{envelope.sender.organ_id}:{envelope.document_id}:{envelope.business}"
    with transaction.atomic():
        earlier = ReceivedEnvelope.objects.filter(envelope_id=key).first()
        if earlier is not None:
            logger.info("eoffice.envelope_repeated envelope=%s", earlier.pk)
            return bytes(earlier.acknowledgement)
        local = list(Agency.objects.filter(code__in=[o.organ_id for o in envelope.recipients]))
        if not local:
            raise edxml.EnvelopeRejected(
                _("Gói tin không gửi tới cơ quan nào của hệ thống này."),
                field="To",
                code="envelope_no_recipient",
            )
        document = _apply(envelope, key)
        acknowledgement = edxml.build_status(
            edxml.StatusMessage(
                document_id=envelope.document_id,
                sender_organ_id=envelope.sender.organ_id,
                code=f"{envelope.code_number:02d}/{envelope.code_notation}",
                sender=edxml.organ_of(local[0]),
                status="received",
                description="",
                timestamp=edxml.now_stamp(),
            ),
            seal=local[0],
        )
        ReceivedEnvelope.objects.create(
            envelope_id=key, sender_code=envelope.sender.organ_id, document=document,
            acknowledgement=acknowledgement, received_at=clock.now(),
        )  # fmt: skip
    return acknowledgement


def _copy_id(sender_code: str, document_id: str) -> str:
    return f"{sender_code}:{document_id}"


def _apply(envelope: edxml.Envelope, key: str) -> OfficialDocument:
    """Register a new document (or a replacement), or apply a revocation or an update to the
    copy received earlier."""
    if envelope.business in ("revoke", "update"):
        copy = OfficialDocument.objects.filter(
            document_id=_copy_id(envelope.sender.organ_id, envelope.document_id)
        ).first()
        if copy is None:
            raise edxml.EnvelopeRejected(
                _("Không có văn bản gốc để thu hồi hoặc cập nhật."),
                field="DocumentId", code="envelope_unknown_document",
            )  # fmt: skip
        action = "revoked" if envelope.business == "revoke" else "updated"
        if envelope.business == "revoke":
            copy.state, copy.revoked_at = DocumentState.REVOKED, clock.now()
            copy.revoke_reason = envelope.business_reason
        else:
            copy.due_date = envelope.due_date
        copy.save(update_fields=["state", "revoked_at", "revoke_reason", "due_date"])
        services._tell_recipients(copy, action, actor="peer:" + envelope.sender.organ_id,
                                  note=envelope.business_reason)  # fmt: skip
        return copy
    return _register_copy(envelope)


def _register_copy(envelope: edxml.Envelope) -> OfficialDocument:
    registry = marks_module.marks()
    doc_type = registry.type_by_code(envelope.type_code) or registry.types["cong-van"]
    urgency = registry.urgency_by_priority(envelope.priority) or registry.urgency["thuong"]
    now = clock.now()
    replaced = None
    if envelope.replaces_document_id:
        replaced = OfficialDocument.objects.filter(
            document_id=_copy_id(envelope.sender.organ_id, envelope.replaces_document_id)
        ).first()
    document = OfficialDocument.objects.create(
        document_id=_copy_id(envelope.sender.organ_id, envelope.document_id),
        origin=Origin.EXTERNAL, issuer=None, issuer_code=envelope.sender.organ_id,
        issuer_name=envelope.sender.name, doc_type=doc_type.key,
        number=envelope.code_number or None, symbol=envelope.code_notation,
        place=envelope.place, summary=envelope.subject[:500],
        search_key=search_key(envelope.subject)[:500], content=envelope.content,
        signer_competence=envelope.signer_competence, signer_position=envelope.signer_position,
        signer_name=envelope.signer_name, urgency=urgency.key, due_date=envelope.due_date,
        state=DocumentState.RECEIVED, replaces=replaced, created_at=now, updated_at=now,
        year=envelope.promulgation_date.year,
    )  # fmt: skip
    if envelope.attachment:
        document.pdf.save(envelope.attachment_name or "van-ban.pdf",
                          ContentFile(envelope.attachment), save=False)  # fmt: skip
        document.pdf_sha256 = hashlib.sha256(envelope.attachment).hexdigest()
        document.save(update_fields=["pdf", "pdf_sha256"])
    services._history(document, "received_from_peer", actor="peer:" + envelope.sender.organ_id,
                      at=now, note=envelope.sender.organ_id)  # fmt: skip
    for agency in Agency.objects.filter(code__in=[o.organ_id for o in envelope.recipients]):
        dispatch = Dispatch.objects.create(
            document=document, agency=agency, peer_code=agency.code, peer_name=agency.name,
            status=DispatchStatus.RECEIVED, status_at=now, sent_at=now,
        )  # fmt: skip
        IncomingEntry.objects.create(dispatch=dispatch, agency=agency, arrived_at=now)
        services._history(document, "status_received", actor="system", at=now, dispatch=dispatch)
    if replaced is not None:
        replaced.state = DocumentState.REPLACED
        replaced.save(update_fields=["state"])
        services._tell_recipients(replaced, "replaced", actor="system", note=document.symbol)
    logger.info("eoffice.envelope_registered document=%s", document.pk)
    return document


# How far a recipient has got; statuses only move forward.
_RANK: dict[str, int] = {
    DispatchStatus.SENT: 0,
    DispatchStatus.RECEIVED: 1,
    DispatchStatus.ACCEPTED: 2,
    DispatchStatus.REJECTED: 2,
    DispatchStatus.PROCESSING: 3,
    DispatchStatus.DONE: 4,
}


def record_status(data: bytes) -> None:
    """A recipient's status from another system: the sender's dispatch moves to it (a status
    already recorded is not recorded twice)."""
    message = edxml.parse_status(data)
    with transaction.atomic():
        dispatch = (
            Dispatch.objects.select_for_update()
            .select_related("document")
            .filter(
                document__document_id=message.document_id,
                document__issuer_code=message.sender_organ_id,
                peer_code=message.sender.organ_id,
            )
            .first()
        )
        if dispatch is None:
            raise edxml.EnvelopeRejected(
                _("Không có văn bản đã gửi tương ứng với thông báo trạng thái."),
                field="ResponseFor", code="envelope_unknown_document",
            )  # fmt: skip
        if _RANK[message.status] <= _RANK[dispatch.status]:
            # A repeat, or a message overtaken by a later one: the latest status stands.
            return
        services._set_status(
            dispatch, message.status, actor="peer:" + message.sender.organ_id,
            note=message.description,
        )  # fmt: skip


def report_status(dispatch_pk: int) -> None:
    """Send the current status of a document received from another system back to it."""
    dispatch = Dispatch.objects.select_related("document", "agency").get(pk=dispatch_pk)
    document = dispatch.document
    if document.origin != Origin.EXTERNAL or dispatch.agency is None:
        return
    original_id = document.document_id.partition(":")[2]
    status = edxml.build_status(
        edxml.StatusMessage(
            document_id=original_id, sender_organ_id=document.issuer_code,
            code=f"{document.number or 0:02d}/{document.symbol}",
            sender=edxml.organ_of(dispatch.agency), status=dispatch.status,
            description=dispatch.status_note, timestamp=edxml.now_stamp(),
        ),
        seal=dispatch.agency,
    )  # fmt: skip
    transport.send_envelope(document.issuer_code, status)
    logger.info("eoffice.status_reported dispatch=%s status=%s", dispatch.pk, dispatch.status)


def notify_peers(document_pk: int, business: str, reason: str) -> None:
    """Tell the other systems a document was sent to that it is revoked or updated."""
    document = OfficialDocument.objects.select_related("issuer", "replaces").get(pk=document_pk)
    assert document.issuer is not None  # noqa: S101
    for dispatch in document.dispatches.filter(agency__isnull=True):
        organ = edxml.Organ(organ_id=dispatch.peer_code, name=dispatch.peer_name)
        envelope = envelope_of(document, [organ], business=business, reason=reason)
        transport.send_envelope(
            dispatch.peer_code, edxml.build_envelope(envelope, seal=document.issuer)
        )
        logger.info("eoffice.peer_notified document=%s peer=%s", document.pk, dispatch.peer_code)
