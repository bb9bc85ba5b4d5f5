"""The stand-in of the national portal over real HTTP on 127.0.0.1: it checks signatures,
keeps the newest status per dossier, and shows what it holds."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from motcua.exchange.dvcqg import sim
from motcua.exchange.dvcqg.tests.conftest import SECRET


@pytest.fixture
def stand_in() -> Iterator[str]:
    server = sim.serve(0, target="http://127.0.0.1:9", secret=SECRET)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def status(code: str, sequence: int, national: int) -> dict[str, Any]:
    return {
        "service": "DongBoHoSoMC",
        "isUpdating": True,
        "data": [{"MaHoSo": code, "SoThuTuCapNhat": sequence, "TrangThaiHoSo": national}],
    }


def push(base: str, body: dict[str, Any], message_id: str, secret: str = SECRET) -> Any:
    raw = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Motcua-Peer": "tinh-52",
        "X-Motcua-Message-Id": message_id,
        "X-Motcua-Signature": sim.sign(secret, message_id, raw),
    }
    return httpx.post(base + sim.STATUS_PATH, content=raw, headers=headers)


def test_the_stand_in_keeps_the_newest_status_and_ignores_older_and_unsigned_ones(
    stand_in: str,
) -> None:
    code = "H52.23575.01-261204-0001"
    answers = [
        push(stand_in, status(code, 10, 1), "m1"),
        push(stand_in, status(code, 12, 2), "m2"),
        push(stand_in, status(code, 11, 1), "m3"),  # older, arriving late
        push(stand_in, status(code, 12, 2), "m2"),  # the same again
        push(stand_in, status(code, 15, 4), "m4", secret="sai"),  # noqa: S106 (forged)
    ]

    assert [a.status_code for a in answers] == [200, 200, 200, 200, 401]
    assert [a.json().get("applied") for a in answers[:4]] == [True, True, False, False]
    shown = httpx.get(stand_in + "/api/statuses").json()
    assert shown["dossiers"][code]["status"] == 2
    assert shown["dossiers"][code]["sequence"] == 12
    assert [(h["sequence"], h["status"]) for h in shown["dossiers"][code]["history"]] == [
        (10, 1),
        (12, 2),
    ]
    assert shown["counts"] == {
        "received": 4,
        "applied": 2,
        "stale_ignored": 2,
        "bad_signature": 1,
        "malformed": 0,
        "filed": 0,
    }
    page = httpx.get(stand_in + "/").text
    assert code in page
    assert "2 Được tiếp nhận" in page
    history = page[page.index("<ol>") : page.index("</ol>")]
    assert history.index("1 Mới đăng ký (#10)") < history.index("2 Được tiếp nhận (#12)")
