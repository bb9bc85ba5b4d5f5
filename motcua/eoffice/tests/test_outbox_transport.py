"""The outbox transport: which envelopes leave through the exchange outbox, the row written in
the sender's transaction, and what the receiving inbox refuses."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import pytest
from django.db import transaction

from motcua.eoffice import envelope as edxml
from motcua.eoffice import outbound, peers, services, transport
from motcua.eoffice.models import (
    DispatchStatus,
    DocumentState,
    IncomingEntry,
    OfficialDocument,
)
from motcua.eoffice.tests.conftest import Office
from motcua.eoffice.tests.test_workflow import issued_document
from motcua.exchange import inbox
from motcua.exchange.models import InboxMessage, OutboxMessage, Peer, PeerKind

pytestmark = pytest.mark.usefixtures("rendered_once")
DAK_LAK = "000.00.00.H66"


@pytest.fixture
def neighbour(db: None) -> Peer:
    return Peer.objects.create(
        code="tinh-66", name="Đắk Lắk", kind=PeerKind.PROVINCE, base_url="http://127.0.0.1:9",
        secret="bi-mat-dung-chung", agency_codes=[DAK_LAK],  # noqa: S106 (test secret)
    )  # fmt: skip


def test_the_outbox_transport_is_plugged_in_with_the_exchange_app() -> None:
    assert isinstance(transport._transport, outbound.OutboxTransport)


def test_an_agency_of_this_installation_is_served_in_process(
    office: Office, pki: Path, neighbour: Peer
) -> None:
    document = issued_document(office)

    dispatch = peers.send_to_peer(document.pk, actor=office.clerk, peer_code=office.justice.code)

    assert dispatch.status == DispatchStatus.RECEIVED  # acknowledged at once, in process
    assert OutboxMessage.objects.count() == 0


def test_an_agency_of_a_peer_gets_an_outbox_message(
    office: Office, pki: Path, neighbour: Peer
) -> None:
    document = issued_document(office)

    dispatch = peers.send_to_peer(document.pk, actor=office.clerk, peer_code=DAK_LAK)

    assert dispatch.status == DispatchStatus.SENT  # the acknowledgement comes later
    message = OutboxMessage.objects.get()
    sender = office.world.pleiku.committee.code
    assert (message.peer, message.kind, message.stream, message.dedupe_key) == (
        neighbour,
        "eoffice.envelope",
        f"document:{document.document_id}",
        f"eoffice.envelope:{sender}:{document.document_id}:0:{DAK_LAK}",
    )
    envelope = edxml.parse_envelope(base64.b64decode(message.payload["xml"]))
    assert (envelope.document_id, [o.organ_id for o in envelope.recipients]) == (
        document.document_id,
        [DAK_LAK],
    )
    assert message.payload["organ"] == DAK_LAK


def test_the_outbox_row_lives_and_dies_with_the_callers_transaction(
    office: Office, pki: Path, neighbour: Peer
) -> None:
    document = issued_document(office)
    seal = office.world.pleiku.committee
    data = edxml.build_envelope(
        peers.envelope_of(document, [edxml.Organ(organ_id=DAK_LAK, name="Sở Tư pháp Đắk Lắk")]),
        seal=seal,
    )

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        assert transport.send_envelope(DAK_LAK, data) == b""
        assert OutboxMessage.objects.count() == 1
        raise Abandoned
    assert OutboxMessage.objects.count() == 0

    with transaction.atomic():
        transport.send_envelope(DAK_LAK, data)
        transport.send_envelope(DAK_LAK, data)  # the same envelope again: one message
    assert OutboxMessage.objects.count() == 1


def test_a_status_for_a_peer_goes_as_a_status_message(
    office: Office, pki: Path, neighbour: Peer
) -> None:
    document = issued_document(office)
    status = edxml.build_status(
        edxml.StatusMessage(
            document_id=document.document_id, sender_organ_id=DAK_LAK, code="01/CV",
            sender=edxml.organ_of(office.justice), status="done", description="",
            timestamp=edxml.now_stamp(),
        ),
        seal=office.justice,
    )  # fmt: skip

    with transaction.atomic():
        transport.send_envelope(DAK_LAK, status)

    message = OutboxMessage.objects.get()
    assert (message.kind, message.stream, message.dedupe_key) == (
        "eoffice.status",
        f"document:{document.document_id}",
        f"eoffice.status:{office.justice.code}:{document.document_id}:05:{DAK_LAK}",
    )


def test_the_inbox_refuses_an_envelope_from_an_organ_the_peer_does_not_speak_for(
    office: Office, pki: Path, neighbour: Peer
) -> None:
    document = issued_document(office)
    data = edxml.build_envelope(
        peers.envelope_of(document, [edxml.organ_of(office.justice)]),
        seal=office.world.pleiku.committee,
    )
    payload = {"organ": office.justice.code, "xml": base64.b64encode(data).decode()}

    with pytest.raises(edxml.EnvelopeRejected) as caught:
        inbox.receive(
            peer=neighbour, message_id=str(uuid.uuid4()), kind="eoffice.envelope",
            payload=payload, handle=outbound.receive_from_peer,
        )  # fmt: skip

    assert (caught.value.code, caught.value.field) == ("envelope_wrong_peer", "From")
    assert InboxMessage.objects.get().state == "rejected"
    assert not document.dispatches.exists()


def test_the_inbox_refuses_a_payload_that_is_not_base64(neighbour: Peer) -> None:
    with pytest.raises(edxml.EnvelopeRejected) as caught:
        inbox.receive(
            peer=neighbour, message_id=str(uuid.uuid4()), kind="eoffice.envelope",
            payload={"xml": "không phải base64"}, handle=outbound.receive_from_peer,
        )  # fmt: skip

    assert (caught.value.code, caught.value.field) == ("envelope_field", "xml")


def test_a_dispatch_whose_message_cannot_be_queued_is_not_recorded(
    office: Office, pki: Path, neighbour: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = issued_document(office)

    def refuse(**kwargs: object) -> OutboxMessage:
        raise RuntimeError("the database refused the row")

    monkeypatch.setattr(outbound.outbox, "post", refuse)
    with pytest.raises(RuntimeError):
        peers.send_to_peer(document.pk, actor=office.clerk, peer_code=DAK_LAK)

    assert not document.dispatches.exists()
    assert not document.history.filter(action="sent").exists()


def test_the_inbox_registers_an_envelope_once_and_answers_its_acknowledgement(
    office: Office, pki: Path, neighbour: Peer
) -> None:
    # Here the neighbour speaks for Phường Pleiku's committee, whose letter comes in through
    # the inbox addressed to the Department of Justice of this installation.
    sender = office.world.pleiku.committee
    neighbour.agency_codes = [sender.code]
    neighbour.save(update_fields=["agency_codes"])
    document = issued_document(office)
    data = edxml.build_envelope(
        peers.envelope_of(document, [edxml.organ_of(office.justice)]), seal=sender
    )
    payload = {"organ": office.justice.code, "xml": base64.b64encode(data).decode()}

    replies = [
        inbox.receive(
            peer=neighbour,
            message_id=message_id,
            kind="eoffice.envelope",
            payload=payload,
            handle=outbound.receive_from_peer,
        )  # fmt: skip
        for message_id in ("tin-1", "tin-1", "tin-2")  # a retry, then a re-sent envelope
    ]

    assert [duplicate for _reply, duplicate in replies] == [False, True, False]
    acknowledgements = {reply["acknowledgement"] for reply, _duplicate in replies}
    assert len(acknowledgements) == 1
    status = edxml.parse_status(base64.b64decode(acknowledgements.pop()))
    assert (status.document_id, status.status, status.sender.organ_id) == (
        document.document_id,
        "received",
        office.justice.code,
    )
    copy = OfficialDocument.objects.get(document_id=f"{sender.code}:{document.document_id}")
    assert IncomingEntry.objects.filter(dispatch__document=copy).count() == 1


def test_a_revocation_for_a_peer_is_queued_with_the_revocation(
    office: Office, pki: Path, neighbour: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = issued_document(office)
    peers.send_to_peer(document.pk, actor=office.clerk, peer_code=DAK_LAK)
    sender = office.world.pleiku.committee.code

    services.revoke_document(document.pk, actor=office.clerk, reason="Ban hành nhầm")

    revocation = OutboxMessage.objects.get(kind="eoffice.envelope", dedupe_key__contains=":1:")
    assert (revocation.stream, revocation.dedupe_key) == (
        f"document:{document.document_id}",
        f"eoffice.envelope:{sender}:{document.document_id}:1:{DAK_LAK}",
    )
    envelope = edxml.parse_envelope(base64.b64decode(revocation.payload["xml"]))
    assert (envelope.business, envelope.business_reason) == ("revoke", "Ban hành nhầm")

    # A revocation whose message cannot be written is not recorded either.
    other = issued_document(office)
    peers.send_to_peer(other.pk, actor=office.clerk, peer_code=DAK_LAK)

    def refuse(**kwargs: object) -> OutboxMessage:
        raise RuntimeError("the database refused the row")

    monkeypatch.setattr(outbound.outbox, "post", refuse)
    with pytest.raises(RuntimeError):
        services.revoke_document(other.pk, actor=office.clerk, reason="Ban hành nhầm")
    other.refresh_from_db()
    assert other.state == DocumentState.ISSUED
