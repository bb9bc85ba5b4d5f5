"""What one online submission costs the database, and that the per-process copies of the
catalog and of the centers (``motcua.core.refcache``) never answer with outdated data.

The figures of ``make bench`` rest on these counts: a submission that starts reading the
catalog again, or numbering its code in three statements, fails here first.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models.signals import post_save
from django.test import Client

from motcua.catalog.loader import load_catalog
from motcua.catalog.models import FeeItem, RequiredDocument
from motcua.conftest import World
from motcua.core import inserts, refcache
from motcua.core.errors import InvalidInput, NotFound
from motcua.core.models import Counter
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.exchange import outbox
from motcua.exchange.dvcqg import mapping, outbound
from motcua.exchange.models import OutboxMessage, OutboxState, Peer, PeerKind
from motcua.payments.models import Invoice

pytestmark = pytest.mark.django_db

# Once the procedure and the center are kept by the process: the reference stamp read once for
# both, then in the transaction the code's number (one statement), the dossier, the invoice and
# its lines, the history row, the audit entry and the national portal's status message (one
# insert that finds the active peer itself and skips a key already posted: with or without a
# registered peer, the same statement).
WARM_QUERIES = 1 + 7 + 2  # + the transaction's savepoint and its release in a test


def post(client: Client, world: World, **changes: Any) -> Any:
    body = {"procedure": "2.000635", "center": world.pleiku.center.pk, "form": world.form()}
    body.update(changes)
    return client.post("/api/dossiers", json.dumps(body), content_type="application/json")


def expected_amount(world: World, copies: int) -> int:
    """The fee from the schedule rows themselves: the one item of the procedure, per copy."""
    item = FeeItem.objects.get(procedure=world.procedure)
    return item.amount * copies


def test_a_warm_submission_takes_a_fixed_number_of_queries(
    world: World, client: Client, django_assert_num_queries: Any
) -> None:
    assert post(client, world).status_code == 201  # the process reads the catalog once

    with django_assert_num_queries(WARM_QUERIES):
        response = post(client, world)

    assert response.status_code == 201
    body = response.json()
    dossier = Dossier.objects.get(pk=body["id"])
    copies = int(world.form()["copies"])
    assert body["invoice"]["amount"] == expected_amount(world, copies)
    assert [line["amount"] for line in body["invoice"]["lines"]] == [
        line.amount for line in Invoice.objects.get(dossier=dossier).lines.all()
    ]
    assert dossier.events.get().action == "submit"


def test_a_fee_changed_in_the_catalog_is_charged_on_the_next_submission(
    world: World, client: Client
) -> None:
    copies = int(world.form()["copies"])
    before = post(client, world).json()["invoice"]["amount"]
    item = FeeItem.objects.get(procedure=world.procedure)
    item.amount += 1000
    item.save()

    after = post(client, world).json()["invoice"]["amount"]

    assert before == (item.amount - 1000) * copies
    assert after == expected_amount(world, copies) == before + 1000 * copies


def test_a_document_made_required_is_asked_for_on_the_next_submission(
    world: World, client: Client
) -> None:
    assert post(client, world).status_code == 201
    document = RequiredDocument.objects.filter(procedure=world.procedure).exclude(
        upload="required"
    )[0]
    document.upload = "required"
    document.save()

    response = post(client, world)

    assert response.status_code == 422
    fields = [error.get("field") for error in response.json()["errors"]]
    assert f"component:{document.key}" in fields


def test_a_center_given_a_new_code_numbers_the_next_dossier_with_it(
    world: World, client: Client
) -> None:
    assert post(client, world).status_code == 201
    center = world.pleiku.center
    center.code = "H52.23575.09"
    center.save()

    response = post(client, world)

    assert response.json()["code"].startswith("H52.23575.09-")


def test_reloading_the_catalog_moves_the_stamp(world: World) -> None:
    before = refcache.current_stamp()

    load_catalog()

    assert refcache.current_stamp() not in (None, before)


def test_without_the_stamp_nothing_is_kept(world: World) -> None:
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    assert [refcache.cached("probe", 1, load) for _ in range(2)] == [1, 1]
    refcache.bump()
    assert refcache.cached("probe", 1, load) == 2
    refcache.Counter.objects.filter(key=refcache.STAMP_KEY).delete()
    assert [refcache.cached("probe", 1, load) for _ in range(2)] == [3, 4]


# --- the national portal's status message of a submission --------------------------------------

T0 = datetime(2026, 3, 2, 9, 15, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def portal(*, active: bool = True) -> Peer:
    return Peer.objects.create(
        code=outbound.PEER_CODE,
        name="Cổng Dịch vụ công quốc gia",
        kind=PeerKind.PORTAL,
        base_url="http://127.0.0.1:9",
        secret="bi-mat-cua-cong",  # noqa: S106 (test secret)
        active=active,
    )


def test_a_submission_with_the_portal_registered_writes_its_status_message(
    world: World, client: Client, set_now: Any, django_assert_num_queries: Any
) -> None:
    set_now(T0)
    peer = portal()
    assert post(client, world).status_code == 201

    with django_assert_num_queries(WARM_QUERIES):
        response = post(client, world)

    dossier = Dossier.objects.select_related(
        "procedure", "receiving_agency", "competent_agency", "invoice"
    ).get(pk=response.json()["id"])
    event = dossier.events.get()
    message = OutboxMessage.objects.get(stream=f"dossier:{dossier.pk}")
    assert (message.peer_id, message.kind, message.dedupe_key) == (
        peer.pk,
        outbound.STATUS_KIND,
        f"{outbound.STATUS_KIND}:{event.pk}",
    )
    assert (message.state, message.attempts, message.next_attempt_at, message.created_at) == (
        OutboxState.PENDING,
        0,
        T0,
        T0,
    )
    assert (message.lease_until, message.delivered_at, message.response) == (None, None, None)
    assert message.payload == mapping.status_message(dossier, event, paid_on_portal=False)
    record = message.payload["data"][0]
    assert (record["MaHoSo"], record["SoThuTuCapNhat"], record["TrangThaiHoSo"]) == (
        dossier.code,
        event.pk,
        1,
    )
    assert [line["Gia"] for line in record["DanhSachLePhi"]] == [
        line.amount for line in dossier.invoice.lines.all()
    ]


def test_a_portal_paused_or_not_registered_gets_no_message(world: World) -> None:
    without = world.submit()
    peer = portal()
    world.submit()  # the statement that writes the message reads the peer: no copy to outdate
    Peer.objects.filter(pk=peer.pk).update(active=False)  # no model signal
    paused = world.submit()
    Peer.objects.filter(pk=peer.pk).update(active=True)
    resumed = world.submit()

    streams = set(OutboxMessage.objects.values_list("stream", flat=True))
    assert f"dossier:{without.pk}" not in streams
    assert f"dossier:{paused.pk}" not in streams
    assert f"dossier:{resumed.pk}" in streams
    assert OutboxMessage.objects.count() == 2


def test_a_status_key_posted_again_keeps_the_first_message(world: World) -> None:
    peer = portal()
    dossier = world.submit()
    first = OutboxMessage.objects.get()

    with transaction.atomic():
        again = outbox.post_to_active(
            peer_code=peer.code,
            kind=outbound.STATUS_KIND,
            payload={"other": 1},
            stream="khac",
            dedupe_key=first.dedupe_key,
        )
    Peer.objects.filter(pk=peer.pk).update(active=False)
    with transaction.atomic():
        by_code = outbox.post(
            peer=peer.code, kind="k", payload={}, stream="s", dedupe_key=first.dedupe_key
        )

    assert again is None
    assert by_code.pk == first.pk
    assert OutboxMessage.objects.get().payload == first.payload
    assert first.stream == f"dossier:{dossier.pk}"


def test_a_post_by_code_names_a_missing_or_paused_peer(world: World) -> None:
    peer = portal(active=False)

    with pytest.raises(NotFound) as missing, transaction.atomic():
        outbox.post(peer="khong-co", kind="k", payload={}, stream="s", dedupe_key="a")
    with pytest.raises(InvalidInput) as paused, transaction.atomic():
        outbox.post(peer=peer.code, kind="k", payload={}, stream="s", dedupe_key="b")
    with transaction.atomic():
        nothing = outbox.post_to_active(
            peer_code=peer.code, kind="k", payload={}, stream="s", dedupe_key="c"
        )

    assert (missing.value.field, paused.value.field, paused.value.code) == (
        "peer",
        "peer",
        "invalid",
    )
    assert nothing is None
    assert not OutboxMessage.objects.exists()


# --- one stamp read for the reference reads of a submission -------------------------------------


def test_inside_one_stamp_the_stamp_is_read_once(
    world: World, django_assert_num_queries: Any
) -> None:
    calls: list[str] = []

    def load(name: str) -> str:
        calls.append(name)
        return name

    refcache.cached("probe", "a", lambda: load("a"))
    refcache.cached("probe", "b", lambda: load("b"))
    with django_assert_num_queries(1), refcache.one_stamp():
        refcache.cached("probe", "a", lambda: load("a"))
        with refcache.one_stamp():  # an inner block shares the outer one's read
            refcache.cached("probe", "b", lambda: load("b"))
    refcache.bump()
    with django_assert_num_queries(2):
        refcache.cached("probe", "a", lambda: load("a"))
        refcache.cached("probe", "b", lambda: load("b"))

    assert calls == ["a", "b", "a", "b"]


# --- rows written in one prepared statement -----------------------------------------------------


def test_a_row_inserted_in_one_statement_is_the_row_save_writes(world: World) -> None:
    dossier = world.submit()
    signals: list[tuple[int, bool]] = []

    def seen(sender: Any, instance: DossierEvent, created: bool, **kwargs: Any) -> None:
        signals.append((instance.pk, created))

    def event() -> DossierEvent:
        return DossierEvent(
            dossier=dossier,
            at=T0,
            action="submit",
            from_state="",
            to_state="submitted",
            actor=world.pleiku.receiver,
            actor_label="user:1",
            agency=world.pleiku.center,
            note="ghi chú",
            data={"channel": 2, "list": [1, "hai"]},
        )

    post_save.connect(seen, sender=DossierEvent, dispatch_uid="test-inserts")
    try:
        by_save = DossierEvent.objects.create(**model_to_dict_of(event()))
        by_insert = inserts.insert(event())
    finally:
        post_save.disconnect(sender=DossierEvent, dispatch_uid="test-inserts")

    rows = {
        row.pop("id"): row
        for row in DossierEvent.objects.filter(pk__in=[by_save.pk, by_insert.pk]).values()
    }
    assert rows[by_insert.pk] == rows[by_save.pk]
    assert signals == [(by_save.pk, True), (by_insert.pk, True)]
    assert by_insert._state.adding is False
    assert by_insert.pk > by_save.pk


def model_to_dict_of(event: DossierEvent) -> dict[str, Any]:
    names = ("dossier", "at", "action", "from_state", "to_state", "actor", "actor_label")
    return {name: getattr(event, name) for name in (*names, "agency", "note", "data")}


def test_an_insert_refuses_a_model_without_an_auto_increment_key(world: World) -> None:
    with pytest.raises(TypeError, match="core.Counter"):
        inserts.insert(Counter(key="thu", value=1))
