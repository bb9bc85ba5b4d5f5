"""The outsider sweep: every page and every API operation, tried against Phường Pleiku's dossiers
by people who have no business with them.

The URL patterns are walked from the root resolver and the API operations read from the OpenAPI
document, so a new page or endpoint is swept without anyone listing it here. Each address is
filled twice: once with the ids of Pleiku's objects (a civil-status copy approved with its result,
a land dossier sent to the branch with its transfer slip and its tax step) and once with ids that
exist nowhere. For each actor the two answers must look alike (status, content type, and the
body's shape: the JSON keys and error code, or the page's title and heading), nothing may answer
500, no answer may carry the Pleiku applicants' personal data, and no dossier may change.

Actors: the receiving officer of Xã Biển Hồ (session for pages, API key for the API), an
anonymous visitor, and a citizen who holds the access token of his own dossier filed at Phường
Quy Nhơn (sent as the portal address and as ``X-Dossier-Token``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from motcua.api import api
from motcua.backoffice.tests.conftest import LandDesk
from motcua.conftest import World
from motcua.dossiers.models import Dossier, DossierEvent, DossierFile, SubStep, Transfer
from motcua.org.services import issue_api_token

MISSING_INT = "2147480000"
MISSING_TEXT = "KHONG-TON-TAI-0000"
# Public by design, by the dossier's code: following a dossier (status only), and checking the
# signatures of its result (the QR code printed on it). No personal data on either.
PUBLIC_BY_CODE = {
    "/api/dossiers/track/{code}",
    "xac-thuc/<str:code>/",
    "/api/signatures/dossiers/{code}",
}
# Logging out would end the outsider's session half-way through the sweep.
NOT_POSTED = {"backoffice:logout", "admin:logout"}
CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


@dataclass
class Targets:
    """Pleiku's objects (``forbidden``) and the citizen's own token."""

    dossier: Dossier
    land: Dossier
    file: DossierFile | None
    transfer: Transfer
    substep: SubStep
    own_token: str
    markers: list[str]

    def value(self, name: str, converter: str | None, *, forbidden: bool) -> str:
        """The value of a URL parameter: Pleiku's object, or one that does not exist."""
        fixed = {
            # Capabilities held by the actor, not objects under test: the same in both runs.
            "access_token": self.own_token,
            "token": self.own_token,
            "action": "accept",
            "app_label": "org",
            "rest": "khong-co",
            "url": "khong-co/",
        }
        if name in fixed:
            return fixed[name]
        objects = {
            "file_id": self.file.pk if self.file else MISSING_INT,
            "transfer_id": self.transfer.pk,
            "substep_id": self.substep.pk,
        }
        if name == "code" and converter == "slug":
            return MISSING_TEXT  # a slug is never a dossier code (peer codes, agencies…)
        if name == "code":
            return self.dossier.code if forbidden else MISSING_TEXT
        if name in objects:
            return str(objects[name]) if forbidden else MISSING_INT
        if name in ("pk", "dossier_id", "object_id"):
            return str(self.dossier.pk) if forbidden else MISSING_INT
        # Any other parameter (a format, a peer, a document of another context) names no
        # dossier object: the same value in both runs.
        numeric = converter == "int" or (converter is None and name.endswith("id"))
        return MISSING_INT if numeric else MISSING_TEXT

    def state(self) -> list[tuple[int, str, int]]:
        return [
            (d.pk, d.state, DossierEvent.objects.filter(dossier=d).count())
            for d in Dossier.objects.order_by("pk")
        ]


@dataclass
class Tally:
    pages: set[str] = field(default_factory=set)
    operations: set[str] = field(default_factory=set)
    requests: int = 0


TALLY = Tally()


@pytest.fixture
def targets(world: World, land: LandDesk, stub_pdfs: bytes) -> Targets:
    dossier = world.dossier_in("approved")
    land_dossier = land.awaiting_obligations()
    own = world.submit(
        commune=world.quynhon,
        form=world.form(
            requester_name="Trần Thị Bình",
            requester_id_number="064192004321",
            requester_birth_date="1992-07-09",
            requester_phone="0987654321",
            subject_name="Trần Thị Bình",
        ),
    )
    return Targets(
        dossier=dossier,
        land=land_dossier,
        file=DossierFile.objects.filter(dossier=dossier).order_by("pk").last(),
        transfer=Transfer.objects.get(dossier=land_dossier),
        substep=SubStep.objects.get(dossier=land_dossier),
        own_token=own.access_token,
        markers=[
            "Nguyễn Văn An",
            "064090001234",
            "0905123456",
            "Phạm Văn Dũng",
            "052085001234",
            "0914222333",
        ],
    )


def url_patterns() -> Iterator[tuple[str, str, str]]:
    """(route, name, kind) of every URL pattern; routes under /api/ are swept from OpenAPI."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), f"{namespace}{pattern.name or ''}"

    for route, name in walk(get_resolver(), "", ""):
        if route.startswith("api/"):
            continue
        yield route, name, "page"


def fill(route: str, targets: Targets, *, forbidden: bool) -> str:
    """A concrete path for a Django route or regex."""
    path = route.lstrip("^").rstrip("$")
    path = CONVERTER.sub(lambda m: targets.value(m["name"], m["conv"], forbidden=forbidden), path)
    path = REGEX_GROUP.sub(lambda m: targets.value(m["name"], "str", forbidden=forbidden), path)
    return "/" + path.replace("\\", "")


def fill_openapi(path: str, targets: Targets, *, forbidden: bool) -> str:
    return re.sub(
        r"\{(\w+)\}",
        lambda m: targets.value(m[1], None if m[1] == "code" else "int", forbidden=forbidden),
        path,
    )


def shape(response: Any, concrete: list[str]) -> tuple[Any, ...]:
    """What must be alike between a forbidden and a missing object."""
    content_type = response.get("Content-Type", "").split(";")[0]
    body = b"" if getattr(response, "streaming", False) else response.content
    text = body.decode("utf-8", "replace")
    location = response.get("Location", "")
    for value in sorted(concrete, key=len, reverse=True):
        location = re.sub(rf"(?<![\w.-]){re.escape(value)}(?![\w.-])", "{id}", location)
    if content_type == "application/json":
        data = json.loads(text or "null")
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        code = data.get("code") if isinstance(data, dict) else None
        return response.status_code, content_type, location, keys, code
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
    return (
        response.status_code,
        content_type,
        location,
        title and title[1].strip(),
        heading and heading[1].strip(),
    )


def probe(
    client: Client,
    method: str,
    forbidden_path: str,
    missing_path: str,
    targets: Targets,
    headers: dict[str, str],
) -> list[str]:
    """Both requests; the problems found, in words."""
    problems = []
    answers = []
    concrete = [
        str(x)
        for x in (
            targets.dossier.pk,
            targets.dossier.code,
            targets.file.pk if targets.file else MISSING_INT,
            targets.transfer.pk,
            targets.substep.pk,
            MISSING_INT,
            MISSING_TEXT,
        )
    ]
    for path in (forbidden_path, missing_path):
        if method == "GET":
            response = client.get(path, headers=headers)
        else:
            response = client.post(
                path, data="{}", content_type="application/json", headers=headers
            )
        TALLY.requests += 1
        answers.append(response)
        if response.status_code >= 500:
            problems.append(f"{method} {path}: {response.status_code}")
        if not getattr(response, "streaming", False):
            text = response.content.decode("utf-8", "replace")
            leaked = [marker for marker in targets.markers if marker in text]
            if leaked:
                problems.append(f"{method} {path}: personal data in the answer {leaked}")
        elif path == forbidden_path and response.status_code == 200:
            problems.append(f"{method} {path}: a file was served")
    if forbidden_path != missing_path:
        seen, expected = shape(answers[0], concrete), shape(answers[1], concrete)
        if seen != expected:
            problems.append(f"{method} {forbidden_path}: {seen} differs from missing {expected}")
    return problems


def sweep(client: Client, targets: Targets, headers: dict[str, str], pages: bool) -> list[str]:
    problems: list[str] = []
    for route, name, _kind in url_patterns() if pages else ():
        TALLY.pages.add(route)
        forbidden, missing = (fill(route, targets, forbidden=flag) for flag in (True, False))
        if route in PUBLIC_BY_CODE:
            missing = forbidden
        for method in ("GET", "POST"):
            if method == "POST" and name in NOT_POSTED:
                continue
            problems += probe(client, method, forbidden, missing, targets, headers)
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method in operations:
            TALLY.operations.add(f"{method.upper()} {path}")
            forbidden = fill_openapi(path, targets, forbidden=True)
            missing = forbidden if path in PUBLIC_BY_CODE else None
            missing = missing or fill_openapi(path, targets, forbidden=False)
            problems += probe(client, method.upper(), forbidden, missing, targets, headers)
    return problems


def check(client: Client, targets: Targets, headers: dict[str, str], *, pages: bool = True) -> None:
    """Sweep once with the civil-status copy and once with the land dossier in the slots of
    ``pk``/``dossier_id``/``file_id``."""
    before = targets.state()
    problems: list[str] = []

    for dossier in (targets.dossier, targets.land):
        case = replace(
            targets,
            dossier=dossier,
            file=DossierFile.objects.filter(dossier=dossier).order_by("pk").last(),
        )
        problems += sweep(client, case, headers, pages)

    assert problems == [], "\n".join(problems)
    assert targets.state() == before


@pytest.fixture(autouse=True)
def tally() -> Iterator[Tally]:
    TALLY.pages.clear()
    TALLY.operations.clear()
    TALLY.requests = 0
    yield TALLY
    print(  # noqa: T201 (the sweep's figures go into the closing report)
        f"\noutsider sweep: {len(TALLY.pages)} URL patterns, {len(TALLY.operations)} API "
        f"operations, {TALLY.requests} requests"
    )


def test_an_officer_of_another_commune_sees_nothing_of_pleiku(
    world: World, targets: Targets
) -> None:
    client = Client()
    client.force_login(world.outsider)
    key = issue_api_token(world.outsider, "sweep")

    check(client, targets, {})
    check(Client(), targets, {"Authorization": f"Bearer {key}"}, pages=False)

    assert len(TALLY.pages) > 20 and len(TALLY.operations) >= 19


def test_an_anonymous_visitor_sees_nothing_of_pleiku(targets: Targets) -> None:
    check(Client(), targets, {})


def test_a_citizen_with_another_dossiers_token_sees_nothing_of_pleiku(targets: Targets) -> None:
    check(Client(), targets, {"X-Dossier-Token": targets.own_token})
