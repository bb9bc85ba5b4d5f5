"""Two motcua installations on 127.0.0.1 exchange signed envelopes through their outboxes.

Gia Lai (``tinh-52``) serves the test database; the neighbour (``tinh-66``) is a second
installation with its own fresh SQLite database, set up with ``motcua peer add`` and ``motcua
peer ping``. Each side queues a ping, and its ``motcua worker`` delivers it over HTTP to the
other's gunicorn, whose inbox stores and answers it. A peer record with an outdated secret is
refused by the neighbour (401) and its message is abandoned at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from motcua.exchange import outbox, services
from motcua.exchange.models import InboxMessage, OutboxMessage, Peer
from motcua.exchange.tests.processes import (
    MOTCUA,
    Installation,
    database_url,
    report_counts,
    wait_for,
)
from motcua.exchange.transport import HttpTransport

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "khoa-lien-thong-gia-lai-dak-lak"  # noqa: S105 (test secret)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Installation, Installation]]:
    gialai = Installation("tinh-52", database_url(), tmp_path / "gia-lai")
    neighbour_db = tmp_path / "dak-lak" / "motcua.sqlite3"
    neighbour = Installation("tinh-66", f"sqlite:///{neighbour_db}", tmp_path / "dak-lak")
    try:
        yield gialai, neighbour
    finally:
        gialai.stop()
        neighbour.stop()


def test_two_installations_exchange_signed_envelopes(
    pair: tuple[Installation, Installation], capsys: pytest.CaptureFixture[str]
) -> None:
    gialai, neighbour = pair
    neighbour.run("migrate", "--noinput", "-v", "0", "--skip-checks")
    neighbour.run(
        "peer", "add", "tinh-52", "--name", "Gia Lai", "--url", gialai.url,
        "--kind", "province", "--secret", SECRET, "--agency", "000.00.00.H52",
    )  # fmt: skip
    neighbour.run("peer", "ping", "tinh-52")
    for code, secret in (("tinh-66", SECRET), ("tinh-66-cu", "khoa-cu-da-thay-doi-2025")):
        services.register_peer(
            code=code, name="Đắk Lắk", kind="province", base_url=neighbour.url, secret=secret,
            actor="test",
        )  # fmt: skip
        services.ping_peer(code, actor="test")

    for installation in (gialai, neighbour):
        installation.serve()
    wait_for(lambda: gialai.ready() and neighbour.ready(), "both servers")
    for installation in (gialai, neighbour):
        installation.start("worker", [str(MOTCUA), "worker"])

    wait_for(
        lambda: (
            sorted(OutboxMessage.objects.values_list("state", flat=True)) == ["dead", "delivered"]
            and InboxMessage.objects.filter(state="processed").exists()
        ),
        "the pings of both sides",
    )
    wait_for(lambda: neighbour.outbox_states() == ["delivered"], "the neighbour's ping sent")

    sent = OutboxMessage.objects.get(peer__code="tinh-66")
    refused = OutboxMessage.objects.get(peer__code="tinh-66-cu")
    received = InboxMessage.objects.get()
    assert sent.response == {
        "message_id": str(sent.message_id),
        "duplicate": False,
        "reply": {"pong": True, "by": "tinh-66", "seq": sent.payload["seq"]},
    }
    assert (refused.attempts, refused.last_error) == (1, "HTTP 401 peer_unauthenticated")
    assert (received.peer.code, received.kind, received.result["by"]) == (
        "tinh-66",
        "exchange.ping",
        "tinh-52",
    )

    # The same message again, as after a lost acknowledgement: the same reply, marked duplicate.
    again = HttpTransport().post(
        Peer.objects.get(code="tinh-66"),
        outbox.ENVELOPE_PATH,
        {"kind": sent.kind, "stream": sent.stream, "payload": sent.payload},
        message_id=str(sent.message_id),
    )
    assert again == {**sent.response, "duplicate": True}
    listing = neighbour.run("peer", "list")
    assert f"tinh-52\tprovince\t{gialai.url}\toutbox: delivered 1\tinbox: 1" in listing

    codes = gialai.stop() + neighbour.stop()
    report_counts(
        capsys,
        f"two installations: sent={OutboxMessage.objects.count()} "
        f"delivered=1 refused=1 (HTTP 401) received=1 duplicate answered alike=1 "
        f"exit codes={codes}",
    )
    assert codes == [0, 0, 0, 0]
