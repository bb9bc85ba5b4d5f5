"""Dossier codes: ``<receiving agency code>-YYMMDD-XXXX`` (Circular 01/2018/TT-VPCP Art. 19).

The date is the receipt date in Vietnam time; the sequence runs per receiving agency and per
day, without gaps or duplicates even when many submissions arrive at once (threads in one
process, and separate processes sharing the database, as web workers do).

The cast: Nguyễn Văn An files online at the service centers of Phường Pleiku and Phường Quy
Nhơn; the Pleiku receiving officer registers dossiers at the counter.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from motcua.conftest import PROCEDURE_CODE, World
from motcua.core.errors import InvalidInputs
from motcua.core.models import Counter
from motcua.dossiers import services
from motcua.dossiers.models import Dossier

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = datetime(2026, 2, 13, 9, 0, tzinfo=VN)


def expected(center_code: str, day: str, numbers: range) -> list[str]:
    return [f"{center_code}-{day}-{n:04d}" for n in numbers]


def test_code_is_agency_code_local_date_and_four_digit_sequence(world: World, set_now) -> None:
    set_now(MORNING)

    first = world.submit()
    second = world.submit()

    center_code = world.pleiku.center.code
    assert center_code == "H52.23575.01"
    assert first.code == "H52.23575.01-260213-0001"
    assert second.code == "H52.23575.01-260213-0002"
    assert re.fullmatch(r"[A-Y][0-9]{2}(\.[0-9A-Z]+)*-[0-9]{6}-[0-9]{4}", first.code)


def test_date_is_the_vietnam_date_not_the_utc_date(world: World, set_now) -> None:
    # 23:30 in Vietnam is 16:30 UTC the same day; 00:30 in Vietnam is still the day before in UTC.
    set_now(datetime(2026, 2, 13, 16, 30, tzinfo=UTC))
    late_evening = world.submit()
    set_now(datetime(2026, 2, 13, 17, 30, tzinfo=UTC))
    after_midnight = world.submit()

    assert late_evening.code == "H52.23575.01-260213-0001"
    assert after_midnight.code == "H52.23575.01-260214-0001"


def test_sequence_restarts_each_day_and_runs_per_agency(world: World, set_now) -> None:
    set_now(MORNING)
    pleiku = [world.submit(world.pleiku).code for _ in range(3)]
    quynhon = [world.submit(world.quynhon).code for _ in range(2)]
    set_now(datetime(2026, 2, 16, 8, 0, tzinfo=VN))
    next_day = [world.submit(world.pleiku).code, world.submit(world.quynhon).code]

    assert pleiku == expected("H52.23575.01", "260213", range(1, 4))
    assert quynhon == expected("H52.21583.01", "260213", range(1, 3))
    assert next_day == ["H52.23575.01-260216-0001", "H52.21583.01-260216-0001"]
    assert dict(Counter.objects.filter(key__startswith="dossier:").values_list("key", "value")) == {
        "dossier:H52.23575.01:260213": 3,
        "dossier:H52.21583.01:260213": 2,
        "dossier:H52.23575.01:260216": 1,
        "dossier:H52.21583.01:260216": 1,
    }


def test_counter_registration_shares_the_center_sequence(world: World, set_now) -> None:
    set_now(MORNING)
    online = world.submit()
    at_counter = services.register_at_counter(
        actor=world.pleiku.receiver, procedure_code=PROCEDURE_CODE, form_data=world.form()
    )

    assert online.code == "H52.23575.01-260213-0001"
    assert at_counter.code == "H52.23575.01-260213-0002"


def test_a_rejected_submission_uses_no_number(world: World, set_now) -> None:
    set_now(MORNING)
    world.submit()
    with pytest.raises(InvalidInputs):
        world.submit(form=world.form(copies="0"))
    after = world.submit()

    assert after.code == "H52.23575.01-260213-0002"


# --- concurrency ---------------------------------------------------------------------------

THREADS = 8
PER_THREAD = 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_gap_free_codes(world: World, set_now) -> None:
    """8 threads × 10 submissions at once: half at Pleiku, half at Quy Nhơn."""
    set_now(MORNING)
    communes = [world.pleiku, world.quynhon]
    barrier = threading.Barrier(THREADS)
    codes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit_many(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(PER_THREAD):
                code = world.submit(communes[index % 2]).code
                with lock:
                    codes.append(code)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit_many, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    half = THREADS * PER_THREAD // 2
    assert sorted(c for c in codes if c.startswith("H52.23575.01-")) == expected(
        "H52.23575.01", "260213", range(1, half + 1)
    )
    assert sorted(c for c in codes if c.startswith("H52.21583.01-")) == expected(
        "H52.21583.01", "260213", range(1, half + 1)
    )
    assert Dossier.objects.count() == THREADS * PER_THREAD


PROCESSES = 4
PER_PROCESS = 5

# Run by each child process: set up Django on the test database, wait for the go, submit.
CHILD = """
import json, os, sys
from datetime import datetime
from django.conf import settings
settings.DATABASES["default"]["NAME"] = os.environ["MOTCUA_TEST_DB_NAME"]
import django
django.setup()
from motcua.core import clock
moment = datetime.fromisoformat(os.environ["MOTCUA_TEST_NOW"])
clock.now = lambda: moment
from motcua.dossiers.services import submit_online
form = json.loads(os.environ["MOTCUA_TEST_FORM"])
center = int(os.environ["MOTCUA_TEST_CENTER"])
print("ready", flush=True)
sys.stdin.readline()
codes = [
    submit_online(procedure_code="2.000635", center_id=center, form_data=form).code
    for _ in range(int(os.environ["MOTCUA_TEST_COUNT"]))
]
print(json.dumps(codes), flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_get_distinct_gap_free_codes(world: World) -> None:
    """4 processes, each with its own Django and connection, submit at the same center."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="motcua.settings",
        MOTCUA_LOG_LEVEL="WARNING",
        MOTCUA_TEST_DB_NAME=str(connection.settings_dict["NAME"]),
        MOTCUA_TEST_NOW=MORNING.isoformat(),
        MOTCUA_TEST_FORM=json.dumps(world.form()),
        MOTCUA_TEST_CENTER=str(world.pleiku.center.pk),
        MOTCUA_TEST_COUNT=str(PER_PROCESS),
    )
    children = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stderr is not None
            if child.stdout.readline().strip() != "ready":
                child.kill()
                pytest.fail(f"child process did not start: {child.stderr.read()}")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=60) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()

    assert [child.returncode for child in children] == [0] * PROCESSES, [o[1] for o in outputs]
    codes = [code for out, _err in outputs for code in json.loads(out.strip().splitlines()[-1])]
    assert sorted(codes) == expected(
        "H52.23575.01", "260213", range(1, PROCESSES * PER_PROCESS + 1)
    )
