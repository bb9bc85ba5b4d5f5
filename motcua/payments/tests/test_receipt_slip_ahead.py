"""An online payment that completes a dossier's reception issues its receipt slip rendered and
sealed before the payment's transaction, from the gateway's notification or, when that is lost,
from the status query.

Cast (``motcua/payments/tests/conftest.py``): Nguyễn Văn An pays online the fee of the birth
extract that the receiving officer of Phường Pleiku accepted and holds for it. With a PKI of the
test's own, so the slip is sealed by the service centre.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test import Client

from motcua.dossiers import pdf
from motcua.dossiers.models import Dossier, FileKind
from motcua.dossiers.states import State
from motcua.payments.tests.conftest import Recorder
from motcua.payments.tests.test_online_payment import IPN_PATH, pay_through_sandbox
from motcua.pki import store

if TYPE_CHECKING:
    from motcua.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_pki(settings: Any, tmp_path: Path, media_root: Path) -> None:
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    store.ensure_ca()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bytes]]:
    """Every slip rendered: how many transactions deep (savepoints in the test's) and the bytes."""
    made: list[tuple[int, bytes]] = []
    real = pdf.render_receipt_slip

    def recording(data: Any, *, signer: Any = None) -> bytes:
        content = real(data, signer=signer)
        made.append((len(connection.savepoint_ids), content))
        return content

    monkeypatch.setattr(pdf, "render_receipt_slip", recording)
    return made


@pytest.mark.parametrize("ipn", ["delivered", "lost"])
def test_an_online_payment_stores_the_slip_rendered_before_its_transaction(
    world: World,
    network: Recorder,
    client: Client,
    renders: list[tuple[int, bytes]],
    ipn: str,
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    if ipn == "lost":
        network.down = {IPN_PATH}

    pay_through_sandbox(client, dossier)

    received = Dossier.objects.get(pk=dossier.pk)
    assert received.state == State.ACCEPTED
    assert [depth for depth, _ in renders] == [0]
    (slip,) = received.files.filter(kind=FileKind.RECEIPT_SLIP)
    content = bytes(slip.file.read())
    assert content == renders[0][1]
    assert content.count(b"/ByteRange") == 1
