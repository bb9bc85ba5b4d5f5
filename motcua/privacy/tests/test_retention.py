"""Retention: `motcua purge` anonymises closed dossiers past their period, and only those.

The civil-status copy of Nguyễn Văn An is returned on Wednesday 2 December 2026 at 10:00
(Vietnam time); with the default 5 years it may be anonymised from 2 December 2031 10:00 on.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from motcua.accounts.models import LoginThrottle
from motcua.conftest import World
from motcua.core.models import AuditEntry
from motcua.dossiers.models import Dossier, DossierFile, FileKind
from motcua.privacy import services
from motcua.privacy.models import Anonymisation

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
RETURNED = datetime(2026, 12, 2, 10, 0, tzinfo=HCM)
FIVE_YEARS_ON = datetime(2031, 12, 2, 10, 0, tzinfo=HCM)


@pytest.fixture
def returned(world: World, set_now: Any, stub_pdfs: bytes) -> Dossier:
    set_now(RETURNED)
    dossier = world.dossier_in("returned")
    assert dossier.closed_at == RETURNED
    return dossier


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge", *args, stdout=out)
    return out.getvalue()


def test_the_retention_table_follows_the_settings(settings: Any) -> None:
    settings.MOTCUA_RETENTION_DOSSIER_YEARS = 7

    table = {r.record_type: (r.period, r.action) for r in services.retention_table()}

    assert table == {
        "dossier": (7, "anonymise"),
        "land_dossier": (20, "anonymise"),
        "login_throttle": (timedelta(days=1), "delete"),
    }


def test_a_dossier_is_kept_until_its_fifth_anniversary(returned: Dossier, set_now: Any) -> None:
    set_now(FIVE_YEARS_ON - timedelta(seconds=1))
    assert "dossier: 0 to anonymise (dry run)" in purge("--dry-run")

    set_now(FIVE_YEARS_ON)
    assert "dossier: 1 to anonymise (dry run); kept 5 years after closing" in purge("--dry-run")


def test_a_dry_run_changes_nothing(returned: Dossier, set_now: Any) -> None:
    set_now(FIVE_YEARS_ON + timedelta(days=1))
    audit_before = AuditEntry.objects.count()

    purge("--dry-run")

    dossier = Dossier.objects.get(pk=returned.pk)
    assert dossier.applicant_name == "Nguyễn Văn An"
    assert dossier.applicant_id_number == "064090001234"
    assert not Anonymisation.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_the_purge_clears_the_applicant_and_keeps_the_case(
    returned: Dossier, set_now: Any, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    stored = list(DossierFile.objects.filter(dossier=returned))
    files = {f.kind: f.file.name for f in stored}
    results = sum(1 for f in stored if f.kind == FileKind.RESULT)
    assert FileKind.RESULT in files and FileKind.RECEIPT_SLIP in files
    set_now(FIVE_YEARS_ON + timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        output = purge()

    assert "dossier: 1 anonymised;" in output
    dossier = Dossier.objects.get(pk=returned.pk)
    assert (
        dossier.applicant_name,
        dossier.applicant_id_number,
        dossier.applicant_phone,
        dossier.applicant_address,
        dossier.form_data,
    ) == ("[đã ẩn danh]", "", "", "", {})
    assert "Nguyễn Văn An" not in dossier.summary
    assert (dossier.code, dossier.state, dossier.closed_at) == (
        returned.code,
        "returned",
        RETURNED,
    )
    kept = list(DossierFile.objects.filter(dossier=dossier).values_list("kind", flat=True))
    assert kept == [FileKind.RESULT] * results
    assert (media_root / files[FileKind.RESULT]).exists()
    assert not (media_root / files[FileKind.RECEIPT_SLIP]).exists()
    record = Anonymisation.objects.get(dossier=dossier)
    assert (record.record_type, record.files_removed) == ("dossier", len(stored) - results)
    entry = AuditEntry.objects.get(action="privacy.anonymised")
    assert entry.object_id == str(dossier.pk)
    assert entry.actor_label.startswith("operator:")


def test_a_second_run_finds_nothing_more(returned: Dossier, set_now: Any) -> None:
    set_now(FIVE_YEARS_ON + timedelta(days=1))
    purge()

    assert "dossier: 0 anonymised;" in purge()
    assert AuditEntry.objects.filter(action="privacy.anonymised").count() == 1


def test_open_dossiers_are_never_purged(world: World, set_now: Any, stub_pdfs: bytes) -> None:
    set_now(RETURNED)
    open_one = world.dossier_in("processing")
    set_now(RETURNED + timedelta(days=365 * 30))

    assert services.purge(actor="test").counts["dossier"] == 0
    assert Dossier.objects.get(pk=open_one.pk).applicant_name == "Nguyễn Văn An"


def test_land_dossiers_keep_their_longer_period(
    returned: Dossier, set_now: Any, settings: Any
) -> None:
    settings.MOTCUA_RETENTION_DOSSIER_YEARS = 20
    set_now(FIVE_YEARS_ON + timedelta(days=1))
    assert services.purge(actor="test", dry_run=True).counts["dossier"] == 0

    settings.MOTCUA_RETENTION_DOSSIER_YEARS = 5
    assert services.purge(actor="test", dry_run=True).counts == {
        "dossier": 1,
        "land_dossier": 0,
        "login_throttle": 0,
    }


def test_a_leap_day_anniversary_falls_on_the_28th() -> None:
    assert services.years_before(datetime(2032, 2, 29, 8, 0, tzinfo=HCM), 5) == datetime(
        2027, 2, 28, 8, 0, tzinfo=HCM
    )


def test_old_sign_in_counters_are_deleted(world: World, set_now: Any) -> None:
    set_now(RETURNED)
    LoginThrottle.objects.create(key="a" * 64, failures=2, last_failure_at=RETURNED)
    LoginThrottle.objects.create(
        key="b" * 64, failures=1, last_failure_at=RETURNED - timedelta(days=2)
    )

    assert "login_throttle: 1 deleted;" in purge()
    assert list(LoginThrottle.objects.values_list("key", flat=True)) == ["a" * 64]
