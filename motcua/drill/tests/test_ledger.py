"""``GET /api/drill/ledger``: what a drill instance holds for the reconciliation, only in drill
mode and only for a provincial administrator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from motcua.conftest import World
from motcua.core import clock
from motcua.dossiers.models import DossierEvent
from motcua.exchange.dvcqg.services import ensure_peer
from motcua.exchange.models import OutboxMessage, OutboxState
from motcua.org.services import issue_api_token

pytestmark = pytest.mark.django_db


def test_the_ledger_lists_status_messages_and_dossiers(
    settings: Any, world: World, client: Client, stub_pdfs: Any
) -> None:
    from motcua.dossiers import services as dossiers

    ensure_peer(demo=True)
    since = clock.now() - timedelta(minutes=1)
    dossier = world.submit()
    dossiers.record_cash_payment(dossier.pk, actor=world.pleiku.receiver)
    dossiers.accept(dossier.pk, actor=world.pleiku.receiver)
    admin_key = issue_api_token(world.admin, "drill")
    receiver_key = issue_api_token(world.pleiku.receiver, "drill")

    def get(key: str, **params: Any) -> Any:
        return client.get(
            "/api/drill/ledger", {"since": since.isoformat(), **params},
            headers={"Authorization": f"Bearer {key}"},
        )  # fmt: skip

    settings.MOTCUA_DRILL = False
    assert get(admin_key).json()["code"] == "not_drill_mode"
    settings.MOTCUA_DRILL = True
    refused = get(receiver_key)
    assert (refused.status_code, refused.json()["code"]) == (403, "wrong_role")

    body = get(admin_key).json()
    events = list(
        DossierEvent.objects.filter(dossier=dossier).order_by("pk").values_list("pk", flat=True)
    )
    messages = OutboxMessage.objects.filter(kind="dvcqg.status").order_by("id")
    assert len(events) == messages.count() >= 2
    assert [(row[2], row[3], row[4], row[6]) for row in body["messages"]] == [
        ("dvcqg.status", dossier.code, event, "pending") for event in events
    ]
    assert body["dossiers"] == [[dossier.code, events[-1], "accepted", "paid"]]
    assert body["undelivered"] == len(events)

    messages.filter(pk=messages.first().pk).update(state=OutboxState.DELIVERED)
    assert get(admin_key, backlog_only="true").json() == {"undelivered": len(events) - 1}
    # Nothing before ``since`` counts.
    later = (clock.now() + timedelta(minutes=1)).isoformat()
    assert get(admin_key, since=later).json()["messages"] == []
