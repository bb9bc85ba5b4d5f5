"""The virtual clock: honoured in drill mode only, set by a provincial administrator only, and
the legal clock (deadlines) runs in scenario time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from motcua.conftest import World
from motcua.core import clock
from motcua.core.errors import Forbidden, InvalidInput, NotFound
from motcua.core.models import AuditEntry
from motcua.drill import services
from motcua.drill.models import VirtualClock
from motcua.org.services import issue_api_token

VN = ZoneInfo("Asia/Ho_Chi_Minh")
REAL = datetime(2026, 12, 4, 18, 0, 0, tzinfo=ZoneInfo("UTC"))
SCENARIO_START = datetime(2025, 6, 25, 14, 0, tzinfo=VN)


@pytest.fixture
def real_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The real clock (``timezone.now``) stands at ``REAL`` until the test moves it."""
    moment = [REAL]
    monkeypatch.setattr(clock.timezone, "now", lambda: moment[0])
    clock.forget_anchor()
    yield moment
    clock.forget_anchor()


def anchor(factor: float = 60, real_start: datetime = REAL) -> None:
    VirtualClock.objects.update_or_create(
        pk=1,
        defaults={
            "scenario_start": SCENARIO_START,
            "real_start": real_start,
            "factor": factor,
            "set_at": real_start,
        },
    )
    clock.forget_anchor()


@pytest.mark.django_db
def test_outside_drill_mode_now_is_the_real_time(settings: Any, real_time: Any) -> None:
    settings.MOTCUA_DRILL = False
    anchor()  # even with an anchor stored, outside drill mode it is ignored
    assert clock.now() == REAL


@pytest.mark.django_db
def test_in_drill_mode_now_runs_from_the_scenario_start(
    settings: Any, real_time: list[datetime]
) -> None:
    settings.MOTCUA_DRILL = True
    anchor(factor=60)
    assert clock.now() == SCENARIO_START
    real_time[0] = REAL + timedelta(seconds=30)
    # 30 real seconds at ×60 are 30 scenario minutes.
    assert clock.now() == datetime(2025, 6, 25, 14, 30, tzinfo=VN)


@pytest.mark.django_db
def test_in_drill_mode_without_anchor_now_is_real(settings: Any, real_time: Any) -> None:
    settings.MOTCUA_DRILL = True
    assert clock.now() == REAL


def test_the_setting_defaults_to_off() -> None:
    from django.conf import settings as django_settings

    assert django_settings.MOTCUA_DRILL is False


def test_set_virtual_clock_checks_mode_role_and_values(
    settings: Any, world: World, real_time: Any
) -> None:
    settings.MOTCUA_DRILL = False
    with pytest.raises(NotFound) as caught:
        services.set_virtual_clock(
            actor=world.admin, scenario_start=SCENARIO_START, factor=60, lead_seconds=2
        )
    assert caught.value.code == "not_drill_mode"
    settings.MOTCUA_DRILL = True
    with pytest.raises(Forbidden) as forbidden:
        services.set_virtual_clock(
            actor=world.pleiku.receiver, scenario_start=SCENARIO_START, factor=60, lead_seconds=2
        )
    assert forbidden.value.code == "wrong_role"
    with pytest.raises(InvalidInput) as bad:
        services.set_virtual_clock(
            actor=world.admin, scenario_start=SCENARIO_START, factor=0.5, lead_seconds=2
        )
    assert (bad.value.field, bad.value.code) == ("factor", "range")
    with pytest.raises(InvalidInput) as naive:
        services.set_virtual_clock(
            actor=world.admin,
            scenario_start=datetime(2025, 6, 25, 14, 0),  # noqa: DTZ001 (the bad input)
            factor=60,
            lead_seconds=2,
        )
    assert (naive.value.field, naive.value.code) == ("scenario_start", "timezone")
    assert not VirtualClock.objects.exists()


def test_set_virtual_clock_anchors_after_the_lead_and_is_audited(
    settings: Any, world: World, real_time: list[datetime]
) -> None:
    settings.MOTCUA_DRILL = True
    row = services.set_virtual_clock(
        actor=world.admin, scenario_start=SCENARIO_START, factor=60, lead_seconds=3, label="x"
    )
    assert row.real_start == REAL + timedelta(seconds=3)
    real_time[0] = REAL + timedelta(seconds=3 + 90)
    assert clock.now() == datetime(2025, 6, 25, 15, 30, tzinfo=VN)
    entry = AuditEntry.objects.filter(action="drill.clock_set").get()
    assert (entry.actor_id, entry.object_id) == (world.admin.pk, "1")


def test_api_clock(settings: Any, world: World, real_time: Any, client: Client) -> None:
    admin_key = issue_api_token(world.admin, "drill")
    receiver_key = issue_api_token(world.pleiku.receiver, "drill")
    body = {"scenario_start": "2025-06-25T14:00:00+07:00", "factor": 30, "lead_seconds": 2}

    def put(key: str, data: dict[str, Any]) -> Any:
        return client.put(
            "/api/drill/clock", data, content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )  # fmt: skip

    settings.MOTCUA_DRILL = False
    assert put(admin_key, body).json()["code"] == "not_drill_mode"
    settings.MOTCUA_DRILL = True
    assert put(receiver_key, body).status_code == 403
    assert put(admin_key, {**body, "factor": 99999}).json()["field"] == "factor"
    answer = put(admin_key, body)
    assert answer.status_code == 200
    assert answer.json()["factor"] == 30
    assert answer.json()["scenario_start"] == "2025-06-25T14:00:00+07:00"
    # Two real seconds before the scenario starts, at ×30: one scenario minute before 14:00.
    assert answer.json()["now"] == "2025-06-25T13:59:00+07:00"
    cleared = client.delete(
        "/api/drill/clock", headers={"Authorization": f"Bearer {admin_key}"}
    ).json()
    assert cleared["scenario_start"] is None
    assert clock.now() == REAL


def test_deadlines_run_in_scenario_time(
    settings: Any, world: World, real_time: Any, stub_pdfs: Any
) -> None:
    """Accepted at 14:30 scenario time on Wednesday 25 June 2025, a civil-status copy is due
    at 17:00 the same day (received by 15:00: same day, Law on Civil Status Art. 5(3))."""
    from motcua.dossiers import services as dossiers

    settings.MOTCUA_DRILL = True
    anchor(factor=60, real_start=REAL - timedelta(seconds=30))
    dossier = world.submit()
    dossiers.record_cash_payment(dossier.pk, actor=world.pleiku.receiver)
    accepted = dossiers.accept(dossier.pk, actor=world.pleiku.receiver)
    assert timezone.localtime(accepted.submitted_at) == datetime(2025, 6, 25, 14, 30, tzinfo=VN)
    assert accepted.due_at == datetime(2025, 6, 25, 17, 0, tzinfo=VN)
