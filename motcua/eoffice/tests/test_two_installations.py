"""An official letter between two motcua installations, through their outboxes over real HTTP.

Gia Lai (``tinh-52``, the test database) issues and seals a letter of Phường Pleiku's People's
Committee to Đắk Lắk's Department of Justice, which lives in a second installation
(``tinh-66``, its own SQLite file, a copy of the same development CA). Each side runs gunicorn
and ``motcua worker``. Gia Lai's worker delivers the envelope; Đắk Lắk registers it once (the
same envelope sent again gets the same signed acknowledgement and registers nothing), its clerk
registers and its handler completes it, and the statuses come back to Gia Lai.
"""

from __future__ import annotations

import base64
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from motcua.eoffice import peers, transport
from motcua.eoffice.models import Dispatch, DispatchStatus
from motcua.eoffice.tests.conftest import Office
from motcua.eoffice.tests.test_workflow import issued_document
from motcua.exchange import outbox, services
from motcua.exchange.models import OutboxMessage, Peer
from motcua.exchange.tests.processes import (
    MOTCUA,
    Installation,
    database_url,
    report_counts,
    wait_for,
)
from motcua.exchange.transport import HttpTransport

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rendered_once")]
SECRET = "khoa-lien-thong-van-ban-gia-lai-dak-lak"  # noqa: S105 (test secret)
DAK_LAK_JUSTICE = "000.00.00.H66"

# Run in Đắk Lắk's installation (``motcua shell -c``): its Department of Justice and two officers.
SETUP = """
from django.contrib.auth.hashers import make_password
from motcua.org.models import Agency, Province, Role
from motcua.org.services import add_staff
province, _ = Province.objects.get_or_create(
    code=66, defaults=dict(name="Tỉnh Đắk Lắk", codename="dak_lak", division_type="tỉnh"))
agency = Agency.objects.create(
    code="000.00.00.H66", slug="so-tu-phap-dak-lak", name="Sở Tư pháp tỉnh Đắk Lắk",
    kind="department", province=province, search_key="so tu phap tinh dak lak")
add_staff(username="vt.dl", full_name="Văn thư", agency=agency, role=Role.CLERK,
          password_hash=make_password(None))
add_staff(username="cv.dl", full_name="Chuyên viên", agency=agency, role=Role.SPECIALIST,
          password_hash=make_password(None))
"""
# The clerk registers the letter and hands it to the specialist, who completes it.
HANDLE = """
from motcua.eoffice import services
from motcua.eoffice.models import IncomingEntry
from motcua.org.models import User
clerk, handler = User.objects.get(username="vt.dl"), User.objects.get(username="cv.dl")
[entry] = IncomingEntry.objects.all()
services.register_incoming(entry.pk, actor=clerk)
services.assign_handler(entry.pk, actor=clerk, handler_id=handler.pk, days=3)
services.complete_handling(entry.pk, actor=handler, note="Đã xử lý")
"""
COUNT = """
from motcua.eoffice.models import IncomingEntry, OfficialDocument, ReceivedEnvelope
print(IncomingEntry.objects.count(), OfficialDocument.objects.count(),
      ReceivedEnvelope.objects.count())
"""


@pytest.fixture
def pair(tmp_path: Path, pki: Path, settings: Any) -> Iterator[tuple[Installation, Installation]]:
    gialai = Installation("tinh-52", database_url(), tmp_path / "gia-lai")
    neighbour = Installation(
        "tinh-66", f"sqlite:///{tmp_path / 'dak-lak' / 'motcua.sqlite3'}", tmp_path / "dak-lak"
    )
    # One development CA for both: Đắk Lắk gets a copy of the folder (its own seals are made
    # there under the same CA).
    shutil.copytree(pki, neighbour.folder / "pki")
    for installation, folder in ((gialai, pki), (neighbour, neighbour.folder / "pki")):
        installation.environment["MOTCUA_PKI_DIR"] = str(folder)
        installation.environment["MOTCUA_PKI_PASSPHRASE"] = settings.MOTCUA_PKI_PASSPHRASE
    try:
        yield gialai, neighbour
    finally:
        gialai.stop()
        neighbour.stop()


def test_an_official_letter_travels_to_another_installation_and_its_statuses_come_back(
    office: Office, pair: tuple[Installation, Installation], capsys: pytest.CaptureFixture[str]
) -> None:
    gialai, neighbour = pair
    sender = office.world.pleiku.committee
    neighbour.run("migrate", "--noinput", "-v", "0", "--skip-checks")
    neighbour.run(
        "peer", "add", "tinh-52", "--name", "Gia Lai", "--url", gialai.url, "--kind", "province",
        "--secret", SECRET, "--agency", sender.code,
    )  # fmt: skip
    neighbour.run("shell", "--no-imports", "-c", SETUP)
    services.register_peer(
        code="tinh-66", name="Đắk Lắk", kind="province", base_url=neighbour.url, secret=SECRET,
        agency_codes=[DAK_LAK_JUSTICE], actor="test",
    )  # fmt: skip

    document = issued_document(office)
    dispatch = peers.send_to_peer(
        document.pk, actor=office.clerk, peer_code=DAK_LAK_JUSTICE, peer_name="Sở Tư pháp Đắk Lắk"
    )
    assert dispatch.status == DispatchStatus.SENT
    [queued] = OutboxMessage.objects.all()
    envelope = base64.b64decode(queued.payload["xml"])
    with transaction.atomic():  # the same envelope again: the outbox keeps one message
        assert transport.send_envelope(DAK_LAK_JUSTICE, envelope) == b""
    assert OutboxMessage.objects.count() == 1

    for installation in (gialai, neighbour):
        installation.serve()
    wait_for(lambda: gialai.ready() and neighbour.ready(), "both servers", timeout=40)
    for installation in (gialai, neighbour):
        installation.start("worker", [str(MOTCUA), "worker"])

    def status() -> str:
        return str(Dispatch.objects.get(pk=dispatch.pk).status)

    wait_for(lambda: status() == DispatchStatus.RECEIVED, "Đắk Lắk's acknowledgement", 30)
    queued.refresh_from_db()
    assert queued.state == "delivered" and queued.response is not None
    first_ack = queued.response["reply"]["acknowledgement"]

    # The same envelope once more under a new message id, as a sender that lost its state
    # would: the same signed acknowledgement, nothing registered twice.
    again = HttpTransport().post(
        Peer.objects.get(code="tinh-66"), outbox.ENVELOPE_PATH,
        {"kind": "eoffice.envelope", "stream": queued.stream, "payload": queued.payload},
        message_id=str(uuid.uuid4()),
    )  # fmt: skip
    assert again["reply"]["acknowledgement"] == first_ack
    assert neighbour.run("shell", "--no-imports", "-c", COUNT).split() == ["1", "1", "1"]

    neighbour.run("shell", "--no-imports", "-c", HANDLE)
    wait_for(lambda: status() == DispatchStatus.DONE, "the status “done” back in Gia Lai", 30)

    steps = list(document.history.filter(dispatch_id=dispatch.pk).values_list("action", flat=True))
    assert steps == ["sent", "status_received", "status_accepted", "status_done"]
    wait_for(lambda: neighbour.outbox_states() == ["delivered", "delivered"], "statuses sent", 20)
    codes = gialai.stop() + neighbour.stop()
    report_counts(
        capsys,
        f"e-office between installations: envelopes queued={OutboxMessage.objects.count()} "
        f"incoming registered=1 (sent 3 times: outbox twice, HTTP again once) "
        f"statuses back={len(neighbour.outbox_states())} final={status()} exit codes={codes}",
    )
    assert codes == [0, 0, 0, 0]
