"""An online payment that completes a dossier's reception issues its receipt slip rendered and
sealed before the payment's transaction, from the gateway's notification or, when that is lost,
from the status query.

Cast (``motcua/payments/tests/conftest.py``): Nguyễn Văn An pays online the fee of the birth
extract that the receiving officer of Phường Pleiku accepted and holds for it. With a PKI of the
test's own, so the slip is sealed by the service centre.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from motcua.dossiers.models import Dossier, FileKind
from motcua.dossiers.states import State
from motcua.payments.tests.conftest import Recorder
from motcua.payments.tests.test_online_payment import IPN_PATH, pay_through_sandbox

if TYPE_CHECKING:
    from motcua.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_pki")]
MOMENT = datetime(2026, 2, 13, 15, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.mark.parametrize("ipn", ["delivered", "lost"])
def test_an_online_payment_stores_the_slip_rendered_before_its_transaction(
    world: World,
    network: Recorder,
    client: Client,
    slip_renders: list[tuple[int, bytes]],
    set_now: Callable[[datetime], None],
    ipn: str,
) -> None:
    # The clock stands still: a minute turning between the slip's preparation and the payment's
    # transaction would rightly render it again (the slip prints the minute).
    set_now(MOMENT)
    dossier = world.dossier_in("awaiting_payment")
    if ipn == "lost":
        network.down = {IPN_PATH}

    pay_through_sandbox(client, dossier)

    received = Dossier.objects.get(pk=dossier.pk)
    assert received.state == State.ACCEPTED
    assert [depth for depth, _ in slip_renders] == [0]
    (slip,) = received.files.filter(kind=FileKind.RECEIPT_SLIP)
    content = bytes(slip.file.read())
    assert content == slip_renders[0][1]
    assert content.count(b"/ByteRange") == 1
