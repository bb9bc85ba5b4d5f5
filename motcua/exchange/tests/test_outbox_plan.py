"""Claiming a due message stays cheap however many messages a peer has had: the test "an
earlier message of the same peer and stream is still open" is answered from the index on
(peer, stream, id), not by walking every earlier message of the peer (which made one claim
take a quarter of a second after a thousand messages to the national portal, in a drill)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from motcua.core import clock
from motcua.exchange import outbox
from motcua.exchange.models import Peer, PeerKind

pytestmark = pytest.mark.django_db


def test_the_due_query_uses_the_peer_stream_index() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the plan checked is SQLite's; PostgreSQL plans from its statistics")
    peer = Peer.objects.create(
        code="dvcqg", name="Cổng", kind=PeerKind.PORTAL, base_url="http://127.0.0.1:9",
        secret="bi-mat",  # noqa: S106
    )  # fmt: skip
    with transaction.atomic():
        for number in range(30):
            outbox.post(
                peer=peer, kind="test.ping", payload={}, stream=f"dossier:{number % 7}",
                dedupe_key=f"ping-{number}",
            )  # fmt: skip
    sql, params = outbox.due_messages(clock.now())[:1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = [row[-1] for row in cursor.fetchall()]
    inner = plan[plan.index("CORRELATED SCALAR SUBQUERY 1") + 1]
    assert "USING INDEX exchange_outbox_peer_idx (peer_id=? AND stream=? AND id<?)" in inner, plan
    # And the query still answers: the first message of each stream is due, in id order.
    due = list(outbox.due_messages(clock.now()).values_list("stream", flat=True))
    assert due == [f"dossier:{number}" for number in range(7)]
