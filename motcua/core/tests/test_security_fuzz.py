"""The OpenAPI document fuzzed with schemathesis: every operation, stateless, bounded.

The document is the one the app serves (/api/openapi.json, loaded in-process over WSGI) and
requests go to the same WSGI application inside the test's database transaction. Each operation
gets the examples of schemathesis' explicit phase and at most ``EXAMPLES`` generated requests
(valid and invalid inputs) with a fixed seed, sent with an officer's API key and a real
dossier's access token so that the protected operations are reached too. Every answer must be
below 500, carry a declared status code and content type, and match the documented schema. The
totals are printed at the end of the module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from motcua.conftest import World
from motcua.org.services import issue_api_token
from motcua.wsgi import application

EXAMPLES = 25
SEED = 20261202
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
TALLY: Counter[str] = Counter()
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[Counter[str]]:
    yield TALLY
    print(  # noqa: T201 (the fuzzing figures go into the closing report)
        f"\nschemathesis: {TALLY['operations']} operations, {TALLY['requests']} requests, "
        f"{TALLY['failed']} failed"
    )


@pytest.fixture
def credentials(world: World) -> dict[str, str]:
    dossier = world.submit()
    key = issue_api_token(world.pleiku.receiver, "fuzz")
    return {"Authorization": f"Bearer {key}", "X-Dossier-Token": dossier.access_token}


@pytest.fixture
def operation_counted() -> Iterator[None]:
    """Counts the operation; keeps the test's database connection open across the WSGI calls
    (Django closes connections when a request finishes; its test client does the same)."""
    TALLY["operations"] += 1
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_request_within_its_contract(
    case: Any, credentials: dict[str, str], operation_counted: None
) -> None:
    headers = {**credentials, **(case.headers or {})}
    TALLY["requests"] += 1
    try:
        case.call_and_validate(headers=headers, checks=CHECKS)
    except Exception:
        TALLY["failed"] += 1
        raise


def test_the_document_lists_the_error_answers(world: World) -> None:
    from django.test import Client

    document = Client().get("/api/openapi.json").json()

    officer = document["paths"]["/api/dossiers/{dossier_id}"]["get"]["responses"]
    public = document["paths"]["/api/procedures"]["get"]["responses"]
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    assert sorted(officer) == ["200", "400", "401", "403", "404", "409", "413", "422"]
    assert officer["404"]["content"] == error
    assert "401" not in public and public["422"]["content"] == error
    assert document["components"]["schemas"]["Error"]["required"] == ["code", "message"]
