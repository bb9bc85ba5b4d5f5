"""``GET /api/procedures`` takes the page parameters of the other lists: 50 a page, ``page``
and ``page_size`` with the same bounds and errors; the body stays a plain list and the number
of procedures in force is in ``X-Total-Count``."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from motcua.catalog.models import Procedure
from motcua.core.pagination import MAX_PAGE

pytestmark = pytest.mark.django_db


def in_force() -> list[str]:
    return list(
        Procedure.objects.filter(is_current=True).order_by("code").values_list("code", flat=True)
    )


def get(client: Client, **params: Any) -> Any:
    return client.get("/api/procedures", params)


def test_pages_of_the_procedures_in_force(world: Any, client: Client) -> None:
    codes = in_force()
    assert len(codes) >= 1
    with CaptureQueriesContext(connection) as queries:
        first = get(client, page_size=1)
    assert first.status_code == 200
    assert [p["code"] for p in first.json()] == codes[:1]
    assert first["X-Total-Count"] == str(len(codes))
    assert len(queries) == 1
    pages = [get(client, page=n, page_size=1).json() for n in range(1, len(codes) + 1)]
    assert [page[0]["code"] for page in pages] == codes
    # Without parameters: the first 50, the whole shipped catalog.
    whole = get(client)
    assert [p["code"] for p in whole.json()] == codes[:50]
    # Past the last page: an empty list and still the total.
    past = get(client, page=len(codes) + 1, page_size=1)
    assert (past.status_code, past.json(), past["X-Total-Count"]) == (200, [], str(len(codes)))


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"page": 0}, "page", "phải từ 1 trở lên"),
        ({"page": MAX_PAGE + 1}, "page", f"không được lớn hơn {MAX_PAGE}"),
        ({"page": "hai"}, "page", "phải là một số nguyên"),
        ({"page_size": 0}, "page_size", "phải từ 1 trở lên"),
        ({"page_size": 1001}, "page_size", "không được lớn hơn 1000"),
    ],
)
def test_a_bad_page_is_a_422_naming_it(
    world: Any, client: Client, params: dict[str, Any], field: str, rule: str
) -> None:
    response = get(client, **params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert [error["field"] for error in body["errors"]] == [field]
    assert rule in body["errors"][0]["message"]
    # The same answer as the other lists give.
    other = client.get("/api/centers", params)
    assert (other.status_code, other.json()) == (422, body)
