"""What one online submission costs the database, and that the per-process copies of the
catalog and of the centers (``motcua.core.refcache``) never answer with outdated data.

The figures of ``make bench`` rest on these counts: a submission that starts reading the
catalog again, or numbering its code in three statements, fails here first.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from motcua.catalog.loader import load_catalog
from motcua.catalog.models import FeeItem, RequiredDocument
from motcua.conftest import World
from motcua.core import refcache
from motcua.dossiers.models import Dossier
from motcua.payments.models import Invoice

pytestmark = pytest.mark.django_db

# Once the procedure and the center are kept by the process: the reference stamp read three
# times (procedure, center for the answer's field names, center for the service), then in the
# transaction the code's number (one statement), the dossier, the invoice and its lines, the
# history row, the audit entry and the national portal's peer looked up for the outbox.
WARM_QUERIES = 3 + 7 + 2  # + the transaction's savepoint and its release in a test


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
