"""The back office's additions to the shared test world (``motcua/conftest.py``).

The cast is the shared one: the citizen Nguyễn Văn An; at Phường Pleiku the receiving officer
(tn.phuongpleiku), the specialist (cv.phuongpleiku) and the leader (ld.phuongpleiku); the
outsider, a receiving officer of Xã Biển Hồ (tn.xabienho). The back office adds a second
specialist of the Pleiku committee, Đỗ Minh Quân (cv2.phuongpleiku), for assignments.

The clock stands still at 09:00 on Wednesday 2 December 2026 (Vietnam time) unless a test moves
it: a same-day civil-status copy received then is due at 17:00 the same day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from motcua.conftest import PASSWORD, World
from motcua.dossiers.models import Dossier
from motcua.org.models import Role, User
from motcua.org.services import add_staff

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
WEDNESDAY_9AM = datetime(2026, 12, 2, 9, 0, tzinfo=HCM)
__all__ = ["HCM", "PASSWORD", "WEDNESDAY_9AM", "FakeClock", "Office"]


class FakeClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@dataclass
class Office:
    """The shared world seen from the Pleiku one-stop desk."""

    world: World
    clock: FakeClock
    second_specialist: User

    @property
    def receiver(self) -> User:
        return self.world.pleiku.receiver

    @property
    def specialist(self) -> User:
        return self.world.pleiku.specialist

    @property
    def leader(self) -> User:
        return self.world.pleiku.leader

    @property
    def outsider(self) -> User:
        return self.world.outsider

    def dossier_in(self, state: str) -> Dossier:
        dossier: Dossier = self.world.dossier_in(state)
        return dossier

    def submit(self, **form: Any) -> Dossier:
        dossier: Dossier = self.world.submit(form=self.world.form(**form))
        return dossier

    def client_for(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture(autouse=True)
def _not_a_demo(settings: Any) -> None:
    settings.MOTCUA_DEMO = False


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock(WEDNESDAY_9AM)
    monkeypatch.setattr("motcua.core.clock.now", clock.now)
    return clock


@pytest.fixture
def office(world: World, fake_clock: FakeClock) -> Office:
    second = add_staff(
        username="cv2.phuongpleiku",
        full_name="Đỗ Minh Quân",
        agency=world.pleiku.committee,
        role=Role.SPECIALIST,
        password_hash=make_password(PASSWORD),
    )
    return Office(world=world, clock=fake_clock, second_specialist=second)
