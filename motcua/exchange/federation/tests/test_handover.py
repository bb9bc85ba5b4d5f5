"""The origin side in one installation: Phạm Văn Dũng brings to Phường Pleiku's counter the
transfer of a plot in Phường Buôn Ma Thuột (Đắk Lắk, ward 24133). With Đắk Lắk's installation
registered as peer ``tinh-66`` (``000.00.00.H66``) the dossier is accepted and handed over in
the same transaction; without it the officer is told which ward has no peer. Statuses the peer
sends back are applied newest-wins, and the result it signs comes back with its hash."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

import pytest

from motcua.conftest import PDF_BYTES
from motcua.core.errors import InvalidInput, NotFound
from motcua.dossiers import services as dossiers
from motcua.dossiers.models import DossierFile
from motcua.dossiers.tests.land import CHANGE, Land
from motcua.exchange import inbox
from motcua.exchange.federation import services
from motcua.exchange.federation.models import FederatedDossier
from motcua.exchange.models import OutboxMessage, Peer
from motcua.exchange.services import register_peer
from motcua.payments.models import Invoice, InvoiceStatus

BUON_MA_THUOT = 24133
pytestmark = pytest.mark.usefixtures("land_stub_pdfs")


def _peer(active: bool = True) -> Peer:
    peer = register_peer(
        code="tinh-66", name="Đắk Lắk", kind="province", base_url="http://127.0.0.1:9",
        secret="khoa-thu-nghiem-dak-lak", agency_codes=["000.00.00.H66"], actor="test",
    )  # fmt: skip
    if not active:
        Peer.objects.filter(pk=peer.pk).update(active=False)
    return peer


def _status(peer: Peer, message_id: str, payload: dict[str, object]) -> dict[str, object]:
    reply, _duplicate = inbox.receive(
        peer=peer, message_id=message_id, kind=payload.pop("kind"), payload=payload,  # type: ignore[arg-type]
        handle=services.receive_status,
    )  # fmt: skip
    return reply


def test_no_peer_names_the_ward(land: Land) -> None:
    _peer(active=False)
    with pytest.raises(InvalidInput) as caught:
        land.receive(CHANGE, form=land.change_form(parcel_ward=BUON_MA_THUOT))
    error = caught.value
    assert (error.field, error.code) == ("parcel_ward", "no_federation_peer")
    assert "Buôn Ma Thuột" in error.message and "Đắk Lắk" in error.message
    assert not OutboxMessage.objects.exists()


def test_handed_over_and_result_comes_back(land: Land) -> None:
    peer = _peer()
    dossier = land.receive(CHANGE, form=land.change_form(parcel_ward=BUON_MA_THUOT))
    assert dossier.state == "accepted"
    assert dossier.competent_agency_id == dossier.receiving_agency_id
    message = OutboxMessage.objects.get(kind=services.DOSSIER_KIND)
    assert (message.peer_id, message.stream) == (peer.pk, f"dossier:{dossier.pk}")
    payload = message.payload
    assert (payload["code"], payload["procedure"]) == (dossier.code, CHANGE)
    assert datetime.fromisoformat(payload["due_at"]) == dossier.due_at
    assert payload["center"]["code"] == dossier.receiving_agency.code
    assert payload["applicant"]["id_number"] == dossier.applicant_id_number
    assert sorted(f["component_key"] for f in payload["files"]) == [
        "certificate", "contract", "form_18",
    ]  # fmt: skip
    assert all(base64.b64decode(f["content"]) == PDF_BYTES for f in payload["files"])
    assert dossier.events.filter(action="federation_handover").count() == 1

    link = FederatedDossier.objects.get(dossier=dossier)
    link.remote_code = "H66.01.01-261204-0001"
    link.save()
    result = b"%PDF-1.7\nket qua da ky\n%%EOF\n"

    def status(message_id: str, sequence: int, state: str, **more: object) -> dict[str, object]:
        payload = {"kind": "federation.status", "code": dossier.code, "note": "", "files": []}
        payload.update(sender_code=link.remote_code, state=state, sequence=sequence)
        return _status(peer, message_id, {**payload, **more})

    assert status("m1", 10, "processing")["applied"]
    sent = {"name": "ket-qua.pdf", "sha256": hashlib.sha256(result).hexdigest(),
            "content": base64.b64encode(result).decode()}  # fmt: skip
    reply = status("m3", 30, "approved", kind="federation.result", files=[sent])
    assert reply == {"applied": True, "state": "approved", "sequence": 30}
    # A late status (older sequence) changes nothing.
    assert status("m2", 20, "awaiting_approval") == {
        "applied": False, "stale": True, "sequence": 30,
    }  # fmt: skip
    assert list(dossier.events.values_list("action", "to_state").order_by("pk"))[-2:] == [
        ("federation_status", "processing"), ("federation_status", "approved"),
    ]  # fmt: skip
    dossier.refresh_from_db()
    assert dossier.state == "approved"
    stored = DossierFile.objects.get(dossier=dossier, kind="result")
    assert stored.sha256 == hashlib.sha256(result).hexdigest()

    returned = dossiers.return_result(dossier.pk, actor=land.world.pleiku.receiver)
    assert returned.state == "returned"
    back = OutboxMessage.objects.filter(kind=services.STATUS_KIND).get()
    assert (back.payload["code"], back.payload["state"]) == (link.remote_code, "returned")


def test_status_for_unknown_dossier_is_refused(land: Land) -> None:
    peer = _peer()
    with pytest.raises(NotFound) as caught:
        _status(peer, "m9", {"kind": "federation.status", "code": "KHONG-CO",
                             "state": "processing", "sequence": 1})  # fmt: skip
    assert (caught.value.field, caught.value.code) == ("code", "dossier_not_found")


def test_a_peer_paused_before_acceptance_stops_the_acceptance(land: Land) -> None:
    peer = _peer()
    receiver = land.world.pleiku.receiver
    dossier = dossiers.register_at_counter(
        actor=receiver, procedure_code=CHANGE,
        form_data=land.change_form(parcel_ward=BUON_MA_THUOT), uploads=land.uploads(CHANGE),
    )  # fmt: skip
    assert dossier.state == "awaiting_payment"
    Peer.objects.filter(pk=peer.pk).update(active=False)
    with pytest.raises(InvalidInput) as caught:
        dossiers.record_cash_payment(dossier.pk, actor=receiver)
    assert (caught.value.field, caught.value.code) == ("parcel_ward", "no_federation_peer")
    dossier.refresh_from_db()
    assert dossier.state == "awaiting_payment"
    assert Invoice.objects.get(dossier=dossier).status == InvoiceStatus.UNPAID  # all undone
    assert not OutboxMessage.objects.exists() and not FederatedDossier.objects.exists()
