"""A cross-province land dossier between two real installations on 127.0.0.1.

Gia Lai (``tinh-52``) serves the test database; Đắk Lắk (``tinh-66``, MOTCUA_PROVINCE_CODE=66,
the example data of ``motcua/org/data/province-66.yaml``) runs on its own SQLite database, set
up with ``motcua setup``, ``motcua pki init``, ``motcua issue_token`` and ``motcua peer add``.
Each has gunicorn and ``motcua worker``.

Phạm Văn Dũng brings to Phường Pleiku's counter the split of his plot in Phường Buôn Ma Thuột
(ward 24133). Gia Lai accepts it and hands it over; Đắk Lắk registers it for its land branch,
whose specialist and leader process and approve it through the API with Bearer keys; the
signed result comes back to Pleiku, which returns it to Dũng, and Đắk Lắk's dossier closes.
A re-sent hand-over (same message id) creates nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier, DossierFile
from motcua.dossiers.tests.land import SPLIT, Land
from motcua.exchange import outbox
from motcua.exchange.federation.models import FederatedDossier
from motcua.exchange.models import InboxMessage, OutboxMessage, Peer
from motcua.exchange.services import register_peer
from motcua.exchange.tests.processes import (
    MOTCUA,
    Installation,
    database_url,
    report_counts,
    wait_for,
)
from motcua.exchange.transport import HttpTransport

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("land_stub_pdfs")]
SECRET = "khoa-lien-thong-dat-dai-gia-lai-dak-lak"  # noqa: S105 (test secret)
BUON_MA_THUOT = 24133
BRANCH = "cn-vpdkdd-buon-ma-thuot"
STAFF = f"""
from django.contrib.auth.hashers import make_password
from motcua.org.models import Agency, Role
from motcua.org.services import add_staff
branch = Agency.objects.get(slug="{BRANCH}")
for prefix, role in (("cv", Role.SPECIALIST), ("ld", Role.LEADER)):
    add_staff(username=f"{{prefix}}.{BRANCH}", full_name=f"{{prefix}} {{branch.name}}",
              agency=branch, role=role, password_hash=make_password(None))
"""


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Installation, Installation]]:
    gialai = Installation("tinh-52", database_url(), tmp_path / "gia-lai")
    neighbour_db = tmp_path / "dak-lak" / "motcua.sqlite3"
    neighbour = Installation("tinh-66", f"sqlite:///{neighbour_db}", tmp_path / "dak-lak")
    neighbour.environment["MOTCUA_PROVINCE_CODE"] = "66"
    try:
        yield gialai, neighbour
    finally:
        gialai.stop()
        neighbour.stop()


def _rows(installation: Installation, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read the neighbour's SQLite database (read-only)."""
    path = installation.environment["DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return list(db.execute(sql, args))


def _state(dossier_id: int) -> str:
    return Dossier.objects.values_list("state", flat=True).get(pk=dossier_id)


def test_a_cross_province_land_dossier_completes(
    pair: tuple[Installation, Installation], land: Land, capsys: pytest.CaptureFixture[str]
) -> None:
    gialai, neighbour = pair
    neighbour.run("migrate", "--noinput", "-v", "0", "--skip-checks")
    neighbour.run("setup")
    neighbour.run("shell", "-c", STAFF)
    neighbour.run("pki", "init")
    specialist = neighbour.run("issue_token", f"cv.{BRANCH}").strip()
    leader = neighbour.run("issue_token", f"ld.{BRANCH}").strip()
    neighbour.run(
        "peer", "add", "tinh-52", "--name", "Gia Lai", "--url", gialai.url,
        "--kind", "province", "--secret", SECRET, "--agency", "000.00.00.H52",
    )  # fmt: skip
    register_peer(
        code="tinh-66", name="Đắk Lắk", kind="province", base_url=neighbour.url, secret=SECRET,
        agency_codes=["000.00.00.H66"], actor="test",
    )  # fmt: skip
    for installation in (gialai, neighbour):
        installation.serve()
    wait_for(lambda: gialai.ready() and neighbour.ready(), "both servers")
    for installation in (gialai, neighbour):
        installation.start("worker", [str(MOTCUA), "worker"])

    # Received and accepted at Pleiku's counter, handed over in the same transaction.
    dossier = land.receive(SPLIT, form=land.split_form(parcel_ward=BUON_MA_THUOT))
    assert dossier.state == "accepted"
    wait_for(
        lambda: FederatedDossier.objects.filter(dossier=dossier, remote_id__isnull=False).exists(),
        "the hand-over answered",
    )
    link = FederatedDossier.objects.get(dossier=dossier)
    remote = _rows(
        neighbour,
        "SELECT d.code, d.state, a.slug, d.due_at FROM dossiers_dossier d "
        "JOIN org_agency a ON a.id = d.competent_agency_id WHERE d.id = ?",
        link.remote_id,
    )
    assert [(code, state, slug) for code, state, slug, _due in remote] == [
        (link.remote_code, "accepted", BRANCH)
    ]
    reference = _rows(
        neighbour,
        "SELECT remote_code FROM federation_federateddossier WHERE dossier_id = ?",
        link.remote_id,
    )
    assert reference == [(dossier.code,)]

    # The same hand-over again (a lost acknowledgement): the same answer, nothing new.
    handover = OutboxMessage.objects.get(kind="federation.dossier")
    again = HttpTransport().post(
        Peer.objects.get(code="tinh-66"),
        outbox.ENVELOPE_PATH,
        {"kind": handover.kind, "stream": handover.stream, "payload": handover.payload},
        message_id=str(handover.message_id),
    )
    assert again == {**handover.response, "duplicate": True}
    assert _rows(neighbour, "SELECT count(*) FROM dossiers_dossier") == [(1,)]

    # Đắk Lắk's land branch processes and approves it through the API.
    api = httpx.Client(base_url=neighbour.url, timeout=60)

    def act(token: str, action: str, **body: str) -> dict[str, Any]:
        answer = api.post(
            f"/api/dossiers/{link.remote_id}/actions/{action}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        reply: dict[str, Any] = answer.json()
        return reply

    assert act(specialist, "start_processing")["state"] == "processing"
    wait_for(lambda: _state(dossier.pk) == "processing", "the processing status back in Gia Lai")
    act(specialist, "submit_for_approval", note="Đủ điều kiện tách thửa.")
    assert act(leader, "approve", note="Đồng ý tách thửa.")["state"] == "approved"
    wait_for(lambda: _state(dossier.pk) == "approved", "the result back in Gia Lai")

    # The result at Pleiku is the document Đắk Lắk's leader signed, byte for byte.
    record = DossierFile.objects.get(dossier=dossier, kind="result")
    content = (gialai.folder / "media" / record.file.name).read_bytes()
    [(theirs, their_name)] = _rows(
        neighbour,
        "SELECT sha256, file FROM dossiers_dossierfile WHERE dossier_id = ? AND kind = 'result'",
        link.remote_id,
    )
    signed = (neighbour.folder / "media" / their_name).read_bytes()
    assert hashlib.sha256(content).hexdigest() == record.sha256 == theirs
    assert hashlib.sha256(signed).hexdigest() == theirs
    assert b"/ByteRange" in content  # signed (pyHanko), not a bare rendering

    # Pleiku returns it to Dũng with the normal service; Đắk Lắk's dossier closes.
    assert dossiers.return_result(dossier.pk, actor=land.world.pleiku.receiver).state == "returned"
    wait_for(
        lambda: _rows(neighbour, "SELECT state FROM dossiers_dossier") == [("returned",)],
        "the return recorded in Đắk Lắk",
    )
    wait_for(
        lambda: set(OutboxMessage.objects.values_list("state", flat=True)) == {"delivered"},
        "Gia Lai's outbox delivered",
    )
    wait_for(
        lambda: (
            {s for (s,) in _rows(neighbour, "SELECT state FROM exchange_outboxmessage")}
            == {"delivered"}
        ),
        "Đắk Lắk's outbox delivered",
    )

    # Both sides tell the same story.
    ours = list(
        dossier.events.filter(action="federation_status").values_list("to_state", flat=True)
    )
    theirs_states = [
        state
        for (state,) in _rows(
            neighbour,
            "SELECT to_state FROM dossiers_dossierevent WHERE dossier_id = ? ORDER BY id",
            link.remote_id,
        )
    ]
    assert ours == ["processing", "approved"]
    assert theirs_states == ["submitted", "accepted", "processing", "awaiting_approval",
                             "approved", "returned"]  # fmt: skip
    sent_here = OutboxMessage.objects.count()
    sent_there = _rows(neighbour, "SELECT count(*) FROM exchange_outboxmessage")[0][0]
    received_here = InboxMessage.objects.count()
    received_there = _rows(neighbour, "SELECT count(*), sum(duplicates) FROM exchange_inboxmessage")
    codes = gialai.stop() + neighbour.stop()
    report_counts(
        capsys,
        f"cross-province land dossier: Gia Lai sent={sent_here} received={received_here}; "
        f"Đắk Lắk sent={sent_there} received,duplicates={received_there[0]}; "
        f"dossiers there=1; result sha256={theirs[:12]}… exit codes={codes}",
    )
    assert (sent_here, received_here, sent_there) == (2, 3, 3)
    assert received_there == [(2, 1)]
    assert codes == [0, 0, 0, 0]
