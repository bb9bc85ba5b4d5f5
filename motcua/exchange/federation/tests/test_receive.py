"""The deciding side in one installation: Đắk Lắk's installation (peer ``tinh-66``) hands Gia
Lai the split of a plot in Phường Pleiku received at its own center. Gia Lai registers it for
the Pleiku land branch, accepted with Đắk Lắk's due time, keeps Đắk Lắk's code as the
reference, and reports its changes back; a bad file is refused naming it and leaves nothing."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

import pytest

from motcua.conftest import PDF_BYTES, PLEIKU_WARD
from motcua.core.errors import InvalidInput
from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.land import SPLIT, Land
from motcua.exchange import inbox
from motcua.exchange.federation import services
from motcua.exchange.federation.models import FederatedDossier
from motcua.exchange.models import InboxMessage, OutboxMessage, Peer
from motcua.exchange.services import register_peer

pytestmark = pytest.mark.usefixtures("land_stub_pdfs")
THEIR_CODE = "H66.01.01-261204-0007"
DUE = "2026-12-22T17:00:00+07:00"


def _peer() -> Peer:
    return register_peer(
        code="tinh-66", name="Đắk Lắk", kind="province", base_url="http://127.0.0.1:9",
        secret="khoa-thu-nghiem-dak-lak", agency_codes=["000.00.00.H66"], actor="test",
    )  # fmt: skip


def _file(key: str, content: bytes = PDF_BYTES) -> dict[str, str]:
    encoded = base64.b64encode(content).decode()
    return {"name": f"{key}.pdf", "component_key": key, "content": encoded,
            "sha256": hashlib.sha256(content).hexdigest()}  # fmt: skip


def _handover(land: Land, **changes: Any) -> dict[str, Any]:
    payload = {
        "code": THEIR_CODE, "procedure": SPLIT,
        "form_data": land.split_form(parcel_ward=PLEIKU_WARD),
        "center": {"code": "H66.01.01", "name": "Trung tâm tỉnh Đắk Lắk"},
        "accepted_at": "2026-12-04T09:00:00+07:00", "due_at": DUE,
        "files": [_file(k) for k in ("form_21", "form_22", "certificate")],
    }  # fmt: skip
    return {**payload, **changes}


def _receive(peer: Peer, message_id: str, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    return inbox.receive(
        peer=peer, message_id=message_id, kind=services.DOSSIER_KIND, payload=payload,
        handle=services.receive_dossier,
    )  # fmt: skip


def test_a_handed_over_dossier_is_registered_once_for_the_branch(land: Land) -> None:
    peer = _peer()
    reply, duplicate = _receive(peer, "m1", _handover(land))
    dossier = Dossier.objects.get()
    assert not duplicate
    assert reply == {"id": dossier.pk, "code": dossier.code, "reference": THEIR_CODE,
                     "state": "accepted"}  # fmt: skip
    assert (dossier.state, dossier.competent_agency_id) == ("accepted", land.pleiku.agency.pk)
    assert dossier.receiving_agency_id == land.province_center.pk
    assert dossier.due_at == datetime.fromisoformat(DUE)
    assert dossier.files.filter(kind="attachment").count() == 3
    link = FederatedDossier.objects.get(dossier=dossier)
    assert (link.role, link.remote_code, link.peer_id) == ("handler", THEIR_CODE, peer.pk)

    # The same message again, and the same dossier under a new message id: nothing new.
    assert _receive(peer, "m1", _handover(land)) == (reply, True)
    assert _receive(peer, "m2", _handover(land)) == (reply, False)
    assert Dossier.objects.count() == 1

    # The branch's specialist takes it: the status goes back, numbered by the history row.
    dossiers.start_processing(dossier.pk, actor=land.pleiku.specialist)
    message = OutboxMessage.objects.get(kind=services.STATUS_KIND)
    event = dossier.events.get(action="start_processing")
    assert (message.stream, message.payload["code"]) == (f"dossier:{dossier.pk}", THEIR_CODE)
    assert (message.payload["state"], message.payload["sequence"]) == ("processing", event.pk)


def test_a_file_whose_hash_differs_is_refused_and_nothing_is_kept(land: Land) -> None:
    peer = _peer()
    bad = {**_file("certificate"), "sha256": "0" * 64}
    payload = _handover(land, files=[_file("form_21"), _file("form_22"), bad])
    with pytest.raises(InvalidInput) as caught:
        _receive(peer, "m1", payload)
    assert (caught.value.field, caught.value.code) == ("files[2]", "sha256_mismatch")
    assert not Dossier.objects.exists() and not FederatedDossier.objects.exists()
    assert InboxMessage.objects.get().state == "rejected"


def test_a_stopped_dossier_is_mirrored_at_the_origin(land: Land) -> None:
    peer = _peer()
    dossier = land.receive("1.013831", form=land.change_form(parcel_ward=24133))
    reply, _ = inbox.receive(
        peer=peer, message_id="s1", kind=services.STATUS_KIND,
        payload={"code": dossier.code, "sender_code": THEIR_CODE, "state": "stopped",
                 "sequence": 5, "note": "Thửa đất đang tranh chấp.", "files": []},
        handle=services.receive_status,
    )  # fmt: skip
    dossier.refresh_from_db()
    assert reply == {"applied": True, "state": "stopped", "sequence": 5}
    assert (dossier.state, dossier.decision_note) == ("stopped", "Thửa đất đang tranh chấp.")
    assert dossier.closed_at is not None
    assert FederatedDossier.objects.get(dossier=dossier).remote_code == THEIR_CODE
