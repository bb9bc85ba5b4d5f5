"""The e-office API: the workflow verbs with a bearer key, field errors as JSON, 404 for
outsiders, and envelopes handed in over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from motcua.eoffice import envelope as edxml
from motcua.eoffice import peers
from motcua.eoffice.models import OfficialDocument
from motcua.eoffice.tests.conftest import Office
from motcua.eoffice.tests.test_workflow import issued_document
from motcua.org.services import issue_api_token

pytestmark = pytest.mark.usefixtures("rendered_once")


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_api_token(user, 'test')}")


def test_the_workflow_through_the_api(office: Office, pki: Path) -> None:
    world = office.world
    body = {"issuer_id": world.pleiku.committee.pk, "doc_type": "to-trinh",
            "summary": "Tờ trình xin kinh phí", "content": "Kính trình.",
            "signer_competence": "KT.", "signer_position": "Phó Chủ tịch",
            "recipient_ids": [office.justice.pk]}  # fmt: skip
    created = api(world.pleiku.specialist).post(
        "/api/documents", body, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    api(world.pleiku.specialist).post(f"/api/documents/{pk}/submit")
    leader = api(world.pleiku.leader)
    assert leader.get(f"/api/documents/{pk}").json()["actions"] == ["approve", "send_back"]
    leader.post(f"/api/documents/{pk}/approve")
    leader.post(f"/api/documents/{pk}/sign")
    clerk = api(office.clerk)
    issued = clerk.post(f"/api/documents/{pk}/issue").json()
    assert (issued["number_text"], issued["state"]) == ("01/TTr-UBND", "issued")
    sent = clerk.post(f"/api/documents/{pk}/dispatch").json()
    assert [(r["peer_code"], r["status"]) for r in sent["recipients"]] == [
        (office.justice.code, "received")
    ]

    justice = api(office.justice_clerk)
    [entry] = justice.get("/api/incoming").json()
    assert entry["document"]["summary"] == "Tờ trình xin kinh phí"
    registered = justice.post(f"/api/incoming/{entry['id']}/register").json()
    assert (registered["number"], registered["status"]) == (1, "accepted")
    bad = justice.post(f"/api/incoming/{entry['id']}/assign",
                       {"handler_id": office.justice_handler.pk, "days": 0},
                       content_type="application/json")  # fmt: skip
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["days"]


def test_bad_drafts_and_outsiders(office: Office) -> None:
    world = office.world
    response = api(world.pleiku.specialist).post(
        "/api/documents",
        {"issuer_id": world.pleiku.committee.pk, "doc_type": "x", "summary": "", "content": "c",
         "signer_position": "Chủ tịch"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "doc_type", "summary", "recipient_ids"
    }  # fmt: skip
    assert OfficialDocument.objects.count() == 0

    own = api(world.pleiku.specialist).post(
        "/api/documents",
        {"issuer_id": world.pleiku.committee.pk, "doc_type": "cong-van", "summary": "Tóm tắt",
         "content": "c", "signer_position": "Chủ tịch", "recipients_note": "Lưu: VT"},
        content_type="application/json",
    ).json()  # fmt: skip
    outsider = api(world.quynhon.leader)
    assert outsider.get(f"/api/documents/{own['id']}").json()["code"] == "document_not_found"
    assert outsider.post(f"/api/documents/{own['id']}/approve").status_code == 404


def test_envelopes_handed_in_over_http(office: Office, pki: Path) -> None:
    document = issued_document(office)
    data = edxml.build_envelope(
        peers.envelope_of(document, [edxml.organ_of(office.justice)]),
        seal=office.world.pleiku.committee,
    )
    client = Client()

    first = client.post("/api/edxml", data, content_type="application/xml")
    again = client.post("/api/edxml", data, content_type="application/xml")
    tampered = client.post("/api/edxml", data.replace(b"UBND-VP", b"UBND-VX"),
                           content_type="application/xml")  # fmt: skip
    garbage = client.post("/api/edxml", b"<not-xml", content_type="application/xml")

    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert edxml.parse_status(first.content).status == "received"
    assert OfficialDocument.objects.filter(origin="external").count() == 1
    assert (tampered.status_code, tampered.json()["code"]) == (400, "envelope_signature")
    assert (garbage.status_code, garbage.json()["code"]) == (400, "envelope_syntax")
    assert garbage.json()["field"] == "envelope"


def test_the_api_keeps_the_compose_forms_length_limits(office: Office) -> None:
    from motcua.eoffice.models import CONTENT_MAX_LENGTH

    world = office.world
    body = {"issuer_id": world.pleiku.committee.pk, "doc_type": "cong-van",
            "summary": "Về việc báo cáo", "content": "x" * (CONTENT_MAX_LENGTH + 1),
            "signer_position": "P" * 101, "drafting_unit": "D" * 21,
            "recipients_note": "Lưu: VT"}  # fmt: skip

    refused = api(world.pleiku.specialist).post(
        "/api/documents", body, content_type="application/json"
    )

    assert refused.status_code == 422
    errors = {e["field"]: e["code"] for e in refused.json()["errors"]}
    assert errors == {
        "content": "max_length",
        "signer_position": "max_length",
        "drafting_unit": "max_length",
    }
    assert not OfficialDocument.objects.exists()
