"""Row locks take the row they mean and nothing else.

On PostgreSQL ``SELECT … FOR UPDATE`` with joined tables locks the joined rows too: locking a
dossier together with its procedure and units would make every action on any dossier of the
same commune or procedure wait for the others, and two such transactions taking the rows in
another order deadlock (a cash payment and an acceptance of the same commune did, in the
drill). SQLite has no row locks (its transactions take the write lock), so there is nothing
to check there.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from motcua.conftest import World
from motcua.dossiers.services.lifecycle import SYSTEM, lock_dossier
from motcua.dossiers.states import State
from motcua.payments import services as payments
from motcua.payments.models import Invoice

pytestmark = [
    pytest.mark.usefixtures("stub_pdfs"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only"),
]


def _locked_tables(queries: Any) -> list[str]:
    """The tables each FOR UPDATE clause names (an unnamed clause locks every joined table)."""
    found = []
    for query in queries.captured_queries:
        match = re.search(r"FOR UPDATE(?: OF (.+?))?(?: SKIP LOCKED| NOWAIT)?$", query["sql"])
        if match is None:
            continue
        if match.group(1):
            found.append(match.group(1))
        elif " JOIN " in query["sql"]:
            found.append("<every joined table>")
        else:
            table = re.search(r' FROM ("\w+")', query["sql"])
            assert table is not None, query["sql"]
            found.append(table.group(1))
    return found


def test_locking_a_dossier_locks_only_the_dossier(world: World) -> None:
    dossier = world.submit()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        locked = lock_dossier(dossier.pk, SYSTEM, None)
        assert locked.receiving_agency_id == dossier.receiving_agency_id  # joined, not locked

    assert _locked_tables(queries) == ['"dossiers_dossier"']


def test_settling_an_invoice_locks_only_the_invoice(world: World) -> None:
    dossier = world.dossier_in(State.AWAITING_PAYMENT)
    invoice = Invoice.objects.get(dossier=dossier)
    with CaptureQueriesContext(connection) as queries:
        payments.mark_paid(invoice.pk, channel="cash", actor=world.pleiku.receiver)

    assert _locked_tables(queries)[0] == '"payments_invoice"'
    assert "<every joined table>" not in _locked_tables(queries)
