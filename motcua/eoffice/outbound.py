"""E-office envelopes through the exchange outbox, to and from other motcua installations.

``OutboxTransport`` is the transport of ``motcua.eoffice.transport`` when the exchange app is
installed (plugged in by ``EofficeConfig.ready``). An envelope or status message for an organ
that a registered exchange ``Peer`` represents (``Peer.agency_codes`` or the peer's own code)
is written to the outbox in the caller's transaction, kind ``eoffice.envelope`` (documents)
or ``eoffice.status`` (a recipient's later statuses), stream ``document:<DocumentId>``, and
``b""`` is returned: the worker delivers it to the peer's ``POST /api/lien-thong/tin-nhan``.
Organs of this installation (and codes no peer represents) keep the in-process path.

On the receiving side the inbox handlers below give the bytes to ``peers.receive``, which
verifies the XML-DSig seal (its chain to the CA this installation trusts and the organ in
From) and de-duplicates; its signed acknowledgement travels back in the HTTP answer, and the
sender's delivery records it (``peers.record_status``) so the sender sees "received".
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from lxml import etree

from motcua.eoffice import envelope as edxml
from motcua.eoffice import transport as eoffice_transport
from motcua.exchange import outbox
from motcua.exchange.inbox import handler
from motcua.exchange.models import InboxMessage, OutboxMessage, Peer
from motcua.exchange.transport import DeliveryError, Transport
from motcua.org.models import Agency

logger = logging.getLogger(__name__)

ENVELOPE_KIND = "eoffice.envelope"
STATUS_KIND = "eoffice.status"
# Only to read the routing fields; the receiver verifies the signature in full.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


@dataclass(frozen=True)
class Header:
    """What the outbox needs of a signed envelope or status message: which document, which
    organ sent it, and what it says (business type or status code)."""

    kind: str
    document_id: str
    from_organ: str
    what: str


def read_header(data: bytes) -> Header:
    """The routing fields of an envelope or a status message (not verified here)."""
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise edxml.EnvelopeRejected(
            _("Gói tin không phải XML hợp lệ."), field="envelope", code="envelope_field"
        ) from error
    if root.tag == edxml.E + "Status":
        return Header(
            kind=STATUS_KIND,
            document_id=_required(root, "edXML:Header/edXML:ResponseFor/edXML:DocumentId"),
            from_organ=_required(root, "edXML:Header/edXML:From/edXML:OrganId"),
            what=_required(root, "edXML:Header/edXML:StatusCode"),
        )
    base = "edXML:edXMLHeader/edXML:"
    return Header(
        kind=ENVELOPE_KIND,
        document_id=_required(root, base + "MessageHeader/edXML:DocumentId"),
        from_organ=_required(root, base + "MessageHeader/edXML:From/edXML:OrganId"),
        what=_required(root, base + "TraceHeaderList/edXML:Bussiness/edXML:BussinessDocType"),
    )


def _required(root: etree._Element, path: str) -> str:
    found = root.find(path, edxml.NSMAP)
    value = (found.text or "").strip() if found is not None else ""
    if not value:
        name = path.rsplit(":", 1)[-1]
        raise edxml.EnvelopeRejected(
            _("Gói tin thiếu trường %(name)s."), field=name, code="envelope_field", name=name
        )
    return value


def peer_for(organ_code: str) -> Peer | None:
    """The active exchange peer that represents ``organ_code``, or None when the organ is of
    this installation or no peer speaks for it."""
    if Agency.objects.filter(code=organ_code).exists():
        return None
    for peer in Peer.objects.filter(active=True).order_by("pk"):
        if organ_code == peer.code or organ_code in (peer.agency_codes or []):
            return peer
    return None


class OutboxTransport:
    """Envelopes for other installations go through the outbox; local ones stay in process."""

    in_transaction = True  # see ``transport.queues_in_transaction``

    def __init__(self, local: eoffice_transport.EnvelopeTransport | None = None) -> None:
        self.local = local or eoffice_transport.InProcessTransport()

    def send(self, peer_code: str, envelope: bytes) -> bytes:
        peer = peer_for(peer_code)
        if peer is None:
            return self.local.send(peer_code, envelope)
        header = read_header(envelope)
        # The stream and the key are those of the document, whatever the message.
        dedupe_key = ":".join(
            (header.kind, header.from_organ, header.document_id, header.what, peer_code)
        )
        payload = {"organ": peer_code, "xml": base64.b64encode(envelope).decode("ascii")}
        with transaction.atomic():  # joins the caller's transaction when there is one
            message = outbox.post(
                peer=peer,
                kind=header.kind,
                payload=payload,
                stream=f"document:{header.document_id}"[:120],
                dedupe_key=dedupe_key[:200],
            )
        logger.info(
            "eoffice.envelope_queued message=%s peer=%s kind=%s", message.pk, peer.code, header.kind
        )
        return b""


# --- the sender's side: delivery and the acknowledgement --------------------------------------


@outbox.sender(ENVELOPE_KIND)
def send_envelope_message(message: OutboxMessage, transport: Transport) -> dict[str, Any]:
    """Deliver one envelope; the recipient's signed acknowledgement, in the reply, moves the
    sender's dispatch to "received"."""
    reply = outbox.envelope_sender(message, transport)
    acknowledgement = _decode(str(reply.get("reply", {}).get("acknowledgement", "")))
    if acknowledgement:
        from motcua.eoffice import peers

        try:
            peers.record_status(acknowledgement)
        except edxml.EnvelopeRejected as error:
            # An acknowledgement we cannot trust is the peer's error, not a network one.
            raise DeliveryError(f"acknowledgement {error.code}", permanent=True) from error
    return reply


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as error:
        raise edxml.EnvelopeRejected(
            _("Nội dung gói tin không phải base64 hợp lệ."), field="xml", code="envelope_field"
        ) from error


# --- the receiver's side ------------------------------------------------------------------------


@handler(ENVELOPE_KIND)
@handler(STATUS_KIND)
def receive_from_peer(message: InboxMessage) -> dict[str, Any]:
    """An envelope or status message from a peer installation: verified and registered once
    by ``peers.receive``; an envelope's acknowledgement goes back in the answer."""
    from motcua.eoffice import peers

    data = _decode(str(message.payload.get("xml", "")))
    header = read_header(data)
    if header.kind != message.kind:
        raise edxml.EnvelopeRejected(
            _("Loại tin %(kind)s không khớp với nội dung gói tin."),
            field="kind",
            code="envelope_kind",
            kind=message.kind,
        )
    codes = message.peer.agency_codes or []
    if header.from_organ not in codes and header.from_organ != message.peer.code:
        raise edxml.EnvelopeRejected(
            _("Hệ thống liên thông %(peer)s không đại diện cho cơ quan %(organ)s."),
            field="From",
            code="envelope_wrong_peer",
            peer=message.peer.code,
            organ=header.from_organ,
        )
    acknowledgement = peers.receive(data)
    logger.info("eoffice.peer_message message=%s kind=%s", message.pk, message.kind)
    return {"acknowledgement": base64.b64encode(acknowledgement).decode("ascii")}
