"""Acceptance with real processes on 127.0.0.1: motcua (pytest-django's live server, a real
threaded HTTP server), ``motcua worker`` and ``motcua portal-sim`` as subprocesses.

Nguyễn Văn An files on the national portal's stand-in for two copies of his birth extract at
Phường Pleiku and pays there. motcua registers the dossier and answers its code; a duplicate
of the filing gets the same code. The ward's officers accept, process, approve and return it
through the services; the worker delivers every status to the stand-in, which shows them in
the order the dossier's history gives. A late copy of an older status, sent again over HTTP,
is ignored by the stand-in and by motcua's own bookkeeping.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from django.db import connection

from motcua.catalog.models import FeeItem
from motcua.conftest import World
from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.dossiers.states import NATIONAL_STATUS
from motcua.exchange.dvcqg import sim
from motcua.exchange.dvcqg.models import StatusSync
from motcua.exchange.dvcqg.outbound import STATUS_KIND, send_status
from motcua.exchange.dvcqg.tests.conftest import SECRET, filing
from motcua.exchange.models import OutboxMessage, Peer, PeerKind
from motcua.exchange.transport import HttpTransport

pytestmark = pytest.mark.django_db(transaction=True)
REPOSITORY = Path(__file__).resolve().parents[4]
WAIT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    """The test database, for the worker subprocess."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = f"{quote(db['USER'], safe='')}:{quote(db['PASSWORD'] or '', safe='')}@"
    host = quote(db["HOST"] or "localhost", safe="")  # a socket folder is a path
    return f"postgres://{auth if db['USER'] else ''}{host}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MOTCUA_DATA_DIR": str(tmp_path / "data"),
        "MOTCUA_WORKER_INTERVAL_SECONDS": "0.2",
        "DJANGO_SETTINGS_MODULE": "motcua.settings",
    }

    def start(*args: str, log: str) -> subprocess.Popen[bytes]:
        output = (tmp_path / f"{log}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 (our own console script)
            [sys.executable, "-m", "motcua.cli", *args],
            cwd=REPOSITORY,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_dossier_filed_on_the_portal_comes_back_with_every_status_in_order(
    live_server: Any,
    world: World,
    processes: Callable[..., subprocess.Popen[bytes]],
    stub_pdfs: bytes,
    settings: Any,
) -> None:
    settings.MOTCUA_PUBLIC_URL = live_server.url
    port = free_port()
    stand_in = f"http://127.0.0.1:{port}"
    Peer.objects.create(
        code="dvcqg",
        name="Cổng Dịch vụ công quốc gia",
        kind=PeerKind.PORTAL,
        base_url=stand_in,
        secret=SECRET,
    )
    processes(
        "portal-sim", "--port", str(port), "--target", live_server.url, "--secret", SECRET,
        log="portal-sim",
    )  # fmt: skip
    processes("worker", "--worker-id", "acceptance", log="worker")
    wait_until(lambda: _get(stand_in + "/healthz"), "the stand-in to listen")

    # Filed and paid on the portal; the same message again gets the same code.
    unit = FeeItem.objects.get(procedure=world.procedure, key="phi_khai_thac_ho_tich").amount
    body = filing(
        world,
        DuocThanhToanTrucTuyen=1,
        DanhSachLePhi=[{"MaPhiLePhi": "phi_khai_thac_ho_tich", "Gia": 2 * unit}],
    )
    first = httpx.post(stand_in + "/api/file", json={**body, "message_id": "qg-a-1"}, timeout=60)
    again = httpx.post(stand_in + "/api/file", json={**body, "message_id": "qg-a-1"}, timeout=60)
    assert first.json()["status"] == 201, first.json()
    assert again.json()["status"] == 200, again.json()
    code = first.json()["answer"]["MaHoSo"]
    assert again.json()["answer"]["MaHoSo"] == code
    assert Dossier.objects.count() == 1

    # The ward's officers take it to the end.
    dossier = Dossier.objects.get(code=code)
    pleiku = world.pleiku
    services.accept(dossier.pk, actor=pleiku.receiver)
    services.start_processing(dossier.pk, actor=pleiku.specialist)
    services.submit_for_approval(dossier.pk, actor=pleiku.specialist, note="Đã đối chiếu sổ.")
    services.approve(dossier.pk, actor=pleiku.leader)
    services.return_result(dossier.pk, actor=pleiku.receiver)

    events = list(dossier.events.order_by("at", "pk"))
    expected = [NATIONAL_STATUS[event.to_state] for event in events]
    shown = wait_until(
        lambda: _shown_when(stand_in, code, len(expected)), "every status on the stand-in"
    )
    history = shown["dossiers"][code]["history"]
    assert [h["status"] for h in history] == expected
    assert [h["sequence"] for h in history] == [event.pk for event in events]
    assert [h["received_at"] for h in history] == sorted(h["received_at"] for h in history)
    record = shown["dossiers"][code]["record"]
    assert (record["TrangThaiHoSo"], record["DuocThanhToanTrucTuyen"]) == (10, 1)
    sync = wait_until(lambda: StatusSync.objects.filter(dossier=dossier).first(), "the ack")
    wait_until(lambda: _refreshed(sync).sequence == events[-1].pk, "the last ack")

    # A late copy of the "accepted" status, over HTTP again: ignored on both sides.
    older = OutboxMessage.objects.filter(kind=STATUS_KIND, stream=f"dossier:{dossier.pk}")[1]
    late = send_status(older, HttpTransport(timeout=10))
    assert late["applied"] is False
    after = httpx.get(stand_in + "/api/statuses").json()
    assert after["dossiers"][code]["status"] == 10
    sync.refresh_from_db()
    assert (sync.sequence, sync.status) == (events[-1].pk, 10)

    # The stand-in's page form files a dossier too (An at Pleiku, fee left to be paid).
    page = httpx.post(stand_in + "/file", data=_page_form(world), timeout=60)
    assert page.status_code == 303
    notice = httpx.get(stand_in + page.headers["location"]).text
    filed = Dossier.objects.exclude(pk=dossier.pk).get()
    assert f"Đã nộp: mã hồ sơ {filed.code}" in notice
    assert filed.receiving_agency == pleiku.center
    wait_until(lambda: _shown_when(stand_in, filed.code, 1), "the page's dossier on the stand-in")

    after = httpx.get(stand_in + "/api/statuses").json()
    counts = after["counts"]
    sent = OutboxMessage.objects.filter(kind=STATUS_KIND).count()
    print(  # noqa: T201 (the acceptance test reports its counts)
        f"\ndvcqg acceptance: statuses {expected}; outbox {sent} sent; stand-in received "
        f"{counts['received']}, applied {counts['applied']}, stale ignored "
        f"{counts['stale_ignored']}, bad signatures {counts['bad_signature']}; filings "
        f"{counts['filed']} for 2 dossiers"
    )
    assert sent == len(expected) + 1
    assert counts["applied"] == len(expected) + 1
    assert counts["stale_ignored"] == 1
    assert counts["bad_signature"] == 0
    assert counts["filed"] == 3


def _page_form(world: World) -> dict[str, str]:
    form = world.form()
    return {
        "procedure": world.procedure.code,
        "center": world.pleiku.center.slug,
        "name": form["requester_name"],
        "id_number": form["requester_id_number"],
        "birth_date": form["requester_birth_date"],
        "phone": form["requester_phone"],
        "address": form["requester_address"],
        "form": json.dumps(sim.SAMPLE_FORM, ensure_ascii=False),
        "fees": "[]",
    }


def _get(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _shown_when(stand_in: str, code: str, count: int) -> dict[str, Any] | None:
    shown = httpx.get(stand_in + "/api/statuses", timeout=5).json()
    dossier = shown["dossiers"].get(code)
    return shown if dossier and len(dossier["history"]) >= count else None


def _refreshed(sync: StatusSync) -> StatusSync:
    sync.refresh_from_db()
    return sync
