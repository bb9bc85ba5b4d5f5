"""The inbox: peers authenticate by HMAC; messages are stored first and answered once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from motcua.core.errors import InvalidInput
from motcua.exchange import inbox
from motcua.exchange.models import InboxMessage, InboxState, Peer
from motcua.exchange.transport import encode_body, sign, signed_headers

URL = "/api/lien-thong/tin-nhan"
SECRET = "bi-mat-dung-chung"  # noqa: S105 (the test peer's secret, see conftest)


def _send(
    client: Client,
    body: dict[str, Any],
    message_id: str = "m-1",
    *,
    headers: dict[str, str] | None = None,
    language: str = "vi",
) -> Any:
    raw = encode_body(body)
    if headers is None:
        headers = signed_headers(
            sender_code="tinh-binh-dinh", secret=SECRET, message_id=message_id, raw_body=raw
        )
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE", None)
    return client.post(
        URL, raw, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language, **extra
    )


PING = {"kind": "exchange.ping", "stream": "ping", "payload": {"seq": 7}}


def test_a_signed_ping_is_stored_and_answered(client: Client, peer: Peer, settings: Any) -> None:
    response = _send(client, PING)

    assert response.status_code == 200
    assert response.json() == {
        "message_id": "m-1",
        "duplicate": False,
        "reply": {"pong": True, "by": settings.MOTCUA_EXCHANGE_CODE, "seq": 7},
    }
    stored = InboxMessage.objects.get()
    assert (stored.peer_id, stored.message_id, stored.kind) == (peer.pk, "m-1", "exchange.ping")
    assert (stored.state, stored.payload, stored.duplicates) == ("processed", {"seq": 7}, 0)


def test_a_duplicate_gets_the_same_reply_without_running_again(peer: Peer) -> None:
    calls: list[int] = []

    def handle(message: InboxMessage) -> dict[str, Any]:
        calls.append(message.pk)
        return {"dossier_code": f"H52-{len(calls)}"}

    first = inbox.receive(peer=peer, message_id="a", kind="k", payload={"n": 1}, handle=handle)
    again = inbox.receive(peer=peer, message_id="a", kind="k", payload={"n": 2}, handle=handle)
    other = inbox.receive(peer=peer, message_id="b", kind="k", payload={"n": 3}, handle=handle)

    assert first == ({"dossier_code": "H52-1"}, False)
    assert again == ({"dossier_code": "H52-1"}, True)
    assert other == ({"dossier_code": "H52-2"}, False)
    assert len(calls) == 2
    message = InboxMessage.objects.get(message_id="a")
    assert (message.payload, message.duplicates) == ({"n": 1}, 1)


def test_a_rejection_is_stored_and_repeated(peer: Peer) -> None:
    def handle(message: InboxMessage) -> dict[str, Any]:
        raise InvalidInput("Thiếu mã thủ tục.", field="procedure_code", code="required")

    with pytest.raises(InvalidInput):
        inbox.receive(peer=peer, message_id="r", kind="k", payload={}, handle=handle)
    with pytest.raises(inbox.StoredRejection) as repeated:
        inbox.receive(peer=peer, message_id="r", kind="k", payload={}, handle=handle)

    assert repeated.value.status == 422
    assert repeated.value.as_dict() == {
        "code": "required",
        "message": "Thiếu mã thủ tục.",
        "field": "procedure_code",
    }
    assert InboxMessage.objects.get(message_id="r").state == InboxState.REJECTED


def test_a_crash_leaves_the_message_stored_and_the_retry_handles_it(peer: Peer) -> None:
    outcomes = iter([RuntimeError("disk full"), {"ok": True}])

    def handle(message: InboxMessage) -> dict[str, Any]:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with pytest.raises(RuntimeError):
        inbox.receive(peer=peer, message_id="c", kind="k", payload={}, handle=handle)
    failed = InboxMessage.objects.get(message_id="c")
    assert (failed.state, failed.last_error) == ("failed", "internal RuntimeError")

    assert inbox.receive(peer=peer, message_id="c", kind="k", payload={}, handle=handle) == (
        {"ok": True},
        False,
    )


def test_the_envelope_endpoint_answers_a_duplicate_alike(client: Client, peer: Peer) -> None:
    first = _send(client, PING, "dup")
    second = _send(client, PING, "dup")

    assert second.status_code == 200
    assert second.json() == {**first.json(), "duplicate": True}
    assert InboxMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("case", "field", "vi", "en"),
    [
        (
            "no signature",
            "X-Motcua-Signature",
            "Thiếu tiêu đề X-Motcua-Signature.",
            "The X-Motcua-Signature header is missing.",
        ),
        (
            "no peer",
            "X-Motcua-Peer",
            "Thiếu tiêu đề X-Motcua-Peer.",
            "The X-Motcua-Peer header is missing.",
        ),
        (
            "no message id",
            "X-Motcua-Message-Id",
            "Thiếu tiêu đề X-Motcua-Message-Id.",
            "The X-Motcua-Message-Id header is missing.",
        ),
        (
            "unknown peer",
            "X-Motcua-Peer",
            "Tiêu đề X-Motcua-Peer không phải mã của hệ thống liên thông đang kết nối.",
            "The X-Motcua-Peer header is not the code of a connected peer system.",
        ),
        (
            "wrong secret",
            "X-Motcua-Signature",
            "Chữ ký trong tiêu đề X-Motcua-Signature không khớp với nội dung yêu cầu.",
            "The signature in the X-Motcua-Signature header does not match the request body.",
        ),
        (
            "body changed",
            "X-Motcua-Signature",
            "Chữ ký trong tiêu đề X-Motcua-Signature không khớp với nội dung yêu cầu.",
            "The signature in the X-Motcua-Signature header does not match the request body.",
        ),
        (
            "other message id",
            "X-Motcua-Signature",
            "Chữ ký trong tiêu đề X-Motcua-Signature không khớp với nội dung yêu cầu.",
            "The signature in the X-Motcua-Signature header does not match the request body.",
        ),
    ],
)
def test_bad_credentials_name_the_header(
    client: Client, peer: Peer, case: str, field: str, vi: str, en: str
) -> None:
    raw = encode_body(PING)
    headers = signed_headers(
        sender_code="tinh-binh-dinh", secret=SECRET, message_id="m-9", raw_body=raw
    )
    if case.startswith("no "):
        headers.pop(field)
    elif case == "unknown peer":
        headers["X-Motcua-Peer"] = "tinh-khac"
    elif case == "wrong secret":
        headers["X-Motcua-Signature"] = sign("khoa-sai-khoa-sai", "m-9", raw)
    elif case == "body changed":
        headers["X-Motcua-Signature"] = sign(SECRET, "m-9", raw + b" ")
    elif case == "other message id":
        headers["X-Motcua-Message-Id"] = "m-10"

    answers = [_send(client, PING, headers=headers, language=lang) for lang in ("vi", "en")]

    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].json() == {"code": "peer_unauthenticated", "message": vi, "field": field}
    assert answers[1].json() == {"code": "peer_unauthenticated", "message": en, "field": field}
    assert InboxMessage.objects.count() == 0


def test_a_paused_peer_is_refused(client: Client, peer: Peer) -> None:
    Peer.objects.filter(pk=peer.pk).update(active=False)

    response = _send(client, PING)

    assert (response.status_code, response.json()["field"]) == (401, "X-Motcua-Peer")


def test_an_unknown_kind_is_refused_before_it_is_stored(client: Client, peer: Peer) -> None:
    response = _send(client, {"kind": "khong.biet", "payload": {}})

    assert response.status_code == 422
    assert response.json() == {
        "code": "unknown_kind",
        "message": "Loại tin “khong.biet” không được hỗ trợ.",
        "field": "kind",
    }
    assert InboxMessage.objects.count() == 0


def test_a_body_that_is_not_json_is_refused_after_authentication(
    client: Client, peer: Peer
) -> None:
    raw = b"{not json"
    headers = signed_headers(
        sender_code="tinh-binh-dinh", secret=SECRET, message_id="x", raw_body=raw
    )
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE")

    response = client.post(URL, raw, content_type="application/json", **extra)

    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "malformed_json"
