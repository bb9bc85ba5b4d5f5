"""The approval renders and signs its result before its transaction, then only stores it.

Cast: the citizen's dossier at Phường Pleiku awaiting the approval of ``world.pleiku.leader``
(two copies of a birth extract); ``world.pleiku.specialist`` and ``world.outsider`` may not
approve it. With a PKI of the test's own, so the copies are signed and registered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from motcua.core import clock
from motcua.dossiers import documents, pdf, services
from motcua.dossiers.models import FileKind
from motcua.pki import store

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_pki(settings: Any, tmp_path: Path) -> None:
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    store.ensure_ca()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """For every copy rendered, how many transactions deep it was (savepoints in the test's)."""
    depths: list[int] = []
    real = pdf.render_civil_status_copy

    def recording(data: Any, *, signer: Any = None) -> bytes:
        depths.append(len(connection.savepoint_ids))
        return real(data, signer=signer)

    monkeypatch.setattr(pdf, "render_civil_status_copy", recording)
    return depths


def test_the_copies_are_rendered_before_the_transaction_and_stored_in_it(
    world: Any, renders: list[int], set_now: Any
) -> None:
    # The clock stands still: a day turning in between would rightly render them again.
    set_now(datetime(2026, 2, 13, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))
    dossier = world.dossier_in("awaiting_approval")
    copies = int(dossier.form_data["copies"])

    approved = services.approve(dossier.pk, actor=world.pleiku.leader)

    assert renders == [0] * copies
    results = approved.files.filter(kind=FileKind.RESULT).order_by("pk")
    assert [f.original_name for f in results] == [
        f"{dossier.code}-ban-sao-{number}.pdf" for number in range(1, copies + 1)
    ]
    assert all(bytes(f.file.read()).count(b"/ByteRange") == 2 for f in results)


@pytest.mark.parametrize("who", ["specialist", "outsider"])
def test_nothing_is_rendered_for_whoever_may_not_approve(
    world: Any, renders: list[int], who: str
) -> None:
    dossier = world.dossier_in("awaiting_approval")
    actor = world.pleiku.specialist if who == "specialist" else world.outsider

    prepared = documents.prepare_result(dossier.pk, signer=actor, note="", now=clock.now())

    assert prepared is None
    assert renders == []


def test_nothing_is_rendered_before_the_dossier_awaits_approval(
    world: Any, renders: list[int]
) -> None:
    dossier = world.dossier_in("processing")

    prepared = documents.prepare_result(
        dossier.pk, signer=world.pleiku.leader, note="", now=clock.now()
    )

    assert prepared is None
    assert renders == []


def test_prepared_files_serve_the_same_day_only(world: Any) -> None:
    dossier = world.dossier_in("awaiting_approval")
    leader = world.pleiku.leader
    morning = clock.localtime(clock.now()).replace(hour=8, minute=0, second=0, microsecond=0)
    prepared = documents.prepare_result(dossier.pk, signer=leader, note="", now=morning)
    assert prepared is not None

    def plan(at: Any) -> Any:
        return documents._result_plan(dossier, signer=leader, now=at)[0]

    assert prepared.contents_for(plan(morning + timedelta(hours=9)), signed=True) is (
        prepared.contents
    )
    assert prepared.contents_for(plan(morning + timedelta(days=1)), signed=True) is None
    assert prepared.contents_for(plan(morning), signed=False) is None
    assert prepared.contents_for(plan(morning)[:1], signed=True) is None


def test_an_approval_the_next_day_renders_its_own_date(world: Any, renders: list[int]) -> None:
    dossier = world.dossier_in("awaiting_approval")
    leader = world.pleiku.leader
    yesterday = clock.now() - timedelta(days=1)
    prepared = documents.prepare_result(dossier.pk, signer=leader, note="", now=yesterday)
    copies = int(dossier.form_data["copies"])
    now = clock.now()

    documents.issue_result(dossier, signer=leader, now=now, prepared=prepared)

    assert prepared is not None
    assert len(renders) == 2 * copies
    stored = [bytes(f.file.read()) for f in dossier.files.filter(kind=FileKind.RESULT)]
    assert len(stored) == copies
    assert not set(stored) & set(prepared.contents)
