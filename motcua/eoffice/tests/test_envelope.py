"""edXML envelopes signed with XML-DSig, carried by the in-process transport: a document to
another system's agency, its acknowledgement, statuses back, a repeat, a revocation, and
tampered or forged envelopes refused."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from motcua.eoffice import envelope as edxml
from motcua.eoffice import peers, services, transport
from motcua.eoffice.models import DispatchStatus, DocumentState, IncomingEntry, OfficialDocument
from motcua.eoffice.tests.conftest import Office
from motcua.eoffice.tests.test_workflow import issued_document

pytestmark = pytest.mark.usefixtures("rendered_once")


def sample(office: Office) -> edxml.Envelope:
    document = issued_document(office, doc_type="quyet-dinh", urgency="hoa-toc")
    return peers.envelope_of(document, [edxml.organ_of(office.justice)])


def test_an_envelope_reads_back_as_it_was_written(office: Office, pki: Path) -> None:
    written = sample(office)
    data = edxml.build_envelope(written, seal=office.world.pleiku.committee)

    read = edxml.parse_envelope(data)

    assert read.attachment == written.attachment and read.attachment.startswith(b"%PDF")
    read.attachment = written.attachment = b""
    read.trace = written.trace = []
    assert read == written
    assert (read.code_number, read.code_notation, read.type_code, read.priority) == (
        1, "QĐ-UBND", 2, 3
    )  # fmt: skip
    root = etree.fromstring(data)
    assert root.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue") is not None


def test_a_tampered_envelope_is_refused(office: Office, pki: Path) -> None:
    data = edxml.build_envelope(sample(office), seal=office.world.pleiku.committee)
    tampered = data.replace("Đề nghị".encode(), "Yêu cầu".encode(), 1)
    assert tampered != data

    with pytest.raises(edxml.EnvelopeRejected) as caught:
        edxml.parse_envelope(tampered)

    assert (caught.value.code, caught.value.field, caught.value.status) == (
        "envelope_signature", "Signature", 400
    )  # fmt: skip


def test_an_envelope_signed_by_another_agency_is_refused(office: Office, pki: Path) -> None:
    forged = edxml.build_envelope(sample(office), seal=office.world.quynhon.committee)

    with pytest.raises(edxml.EnvelopeRejected) as caught:
        edxml.parse_envelope(forged)

    assert (caught.value.code, caught.value.field) == ("envelope_signer", "From")


def test_a_document_to_another_system_is_acknowledged_once(
    office: Office, pki: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[bytes] = []
    inner = transport.InProcessTransport()

    class Recording:
        def send(self, peer_code: str, envelope: bytes) -> bytes:
            sent.append(envelope)
            return inner.send(peer_code, envelope)

    previous = transport.set_transport(Recording())
    try:
        document = issued_document(office)
        dispatch = peers.send_to_peer(
            document.pk, actor=office.clerk, peer_code=office.justice.code, peer_name="Sở Tư pháp"
        )
        first_ack = peers.receive(sent[0])
        again = peers.receive(sent[0])
    finally:
        transport.set_transport(previous)

    assert dispatch.status == DispatchStatus.RECEIVED
    assert first_ack == again and edxml.parse_status(again).status == "received"
    copy = OfficialDocument.objects.get(
        document_id=f"{document.issuer_code}:{document.document_id}"
    )
    assert (copy.state, copy.number_text, copy.summary) == (
        DocumentState.RECEIVED, "01/UBND-VP", document.summary
    )  # fmt: skip
    assert copy.pdf.read() == document.pdf.read()
    assert IncomingEntry.objects.filter(dispatch__document=copy, agency=office.justice).count() == 1


def test_statuses_of_the_other_system_come_back_to_the_sender(
    office: Office, pki: Path, django_capture_on_commit_callbacks: Any
) -> None:
    document = issued_document(office)
    dispatch = peers.send_to_peer(document.pk, actor=office.clerk, peer_code=office.justice.code)
    entry = IncomingEntry.objects.get(agency=office.justice, dispatch__document__origin="external")

    seen = []
    for step in (
        lambda: services.register_incoming(entry.pk, actor=office.justice_clerk),
        lambda: services.assign_handler(entry.pk, actor=office.justice_clerk,
                                        handler_id=office.justice_handler.pk, days=3),
        lambda: services.start_handling(entry.pk, actor=office.justice_handler),
        lambda: services.complete_handling(entry.pk, actor=office.justice_handler),
    ):  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            step()
        dispatch.refresh_from_db()
        seen.append(dispatch.status)

    assert seen == ["accepted", "accepted", "processing", "done"]


def test_a_revocation_reaches_the_other_system(
    office: Office, pki: Path, django_capture_on_commit_callbacks: Any
) -> None:
    document = issued_document(office)
    peers.send_to_peer(document.pk, actor=office.clerk, peer_code=office.justice.code)

    with django_capture_on_commit_callbacks(execute=True):
        services.revoke_document(document.pk, actor=office.clerk, reason="Ban hành nhầm")

    copy = OfficialDocument.objects.get(origin="external", issuer_code=document.issuer_code)
    assert (copy.state, copy.revoke_reason) == (DocumentState.REVOKED, "Ban hành nhầm")


def test_an_attachment_that_does_not_match_its_digest_is_refused(office: Office, pki: Path) -> None:
    """Signed by its sender, yet the attachment is not the one the header describes."""
    data = edxml.build_envelope(sample(office), seal=office.world.pleiku.committee)
    root = etree.fromstring(data)
    signature = root.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert signature is not None
    root.remove(signature)
    content = root.find(".//edXML:Attachment/edXML:Content", edxml.NSMAP)
    assert content is not None
    content.text = base64.b64encode(b"%PDF-1.4 another file").decode()

    with pytest.raises(edxml.EnvelopeRejected) as caught:
        edxml.parse_envelope(edxml._sign(root, office.world.pleiku.committee))

    assert (caught.value.code, caught.value.field) == ("envelope_attachment", "Attachment")


def test_a_document_sent_to_another_system_first_still_goes_to_its_addressees(
    office: Office, pki: Path
) -> None:
    class Later:
        """Another province's system: it acknowledges later, by a status message."""

        def send(self, peer_code: str, envelope: bytes) -> bytes:
            return b""

    document = issued_document(office)
    previous = transport.set_transport(Later())
    try:
        sent = peers.send_to_peer(document.pk, actor=office.clerk, peer_code="H64.02")
    finally:
        transport.set_transport(previous)
    assert sent.status == DispatchStatus.SENT

    [dispatch] = services.dispatch_document(document.pk, actor=office.clerk)

    assert dispatch.agency == office.justice
    assert sorted(document.dispatches.values_list("peer_code", flat=True)) == sorted(
        ["H64.02", office.justice.code]
    )


def test_a_late_status_message_does_not_move_a_recipient_back(office: Office, pki: Path) -> None:
    document = issued_document(office)
    dispatch = peers.send_to_peer(document.pk, actor=office.clerk, peer_code=office.justice.code)
    done = edxml.StatusMessage(
        document_id=document.document_id, sender_organ_id=document.issuer_code, code="",
        sender=edxml.organ_of(office.justice), status="done", description="", timestamp="",
    )  # fmt: skip
    peers.record_status(edxml.build_status(done, seal=office.justice))

    done.status = "processing"
    peers.record_status(edxml.build_status(done, seal=office.justice))

    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.DONE


def test_a_replacement_sent_to_another_system_replaces_its_copy(office: Office, pki: Path) -> None:
    old = issued_document(office)
    peers.send_to_peer(old.pk, actor=office.clerk, peer_code=office.justice.code)
    new = issued_document(office, replaces_id=old.pk, summary="Bản thay thế")

    peers.send_to_peer(new.pk, actor=office.clerk, peer_code=office.justice.code)

    copies = OfficialDocument.objects.filter(origin="external").order_by("pk")
    assert [(c.summary, c.state) for c in copies] == [
        (old.summary, DocumentState.REPLACED), ("Bản thay thế", DocumentState.RECEIVED)
    ]  # fmt: skip
    assert copies[1].replaces == copies[0]
