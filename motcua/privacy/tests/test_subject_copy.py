"""`motcua subject-copy ID`: everything held under an ID number, as JSON, recorded and audited."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from motcua.conftest import World
from motcua.core.models import AuditEntry
from motcua.privacy import services
from motcua.privacy.models import SubjectRequest

AN = "064090001234"


def copy_to(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("subject_copy", *args, "--output", str(path), stdout=out)
    return out.getvalue()


def test_the_copy_holds_every_dossier_of_the_subject_and_no_one_else(
    world: World, tmp_path: Path, stub_pdfs: bytes
) -> None:
    first = world.dossier_in("returned")
    second = world.submit(commune=world.quynhon)
    world.submit(
        form=world.form(
            requester_name="Trần Thị Bình",
            requester_id_number="064192004321",
            requester_birth_date="1992-07-09",
            subject_name="Trần Thị Bình",
        )
    )
    path = tmp_path / "copy.json"

    output = copy_to(path, AN, "--purpose", "Công dân yêu cầu ngày 02/12/2026")

    assert output.strip() == f"2 dossier(s) written to {path}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    copy = json.loads(path.read_text(encoding="utf-8"))
    assert copy["subject"] == {"id_number": AN}
    assert [d["code"] for d in copy["dossiers"]] == [first.code, second.code]
    returned = copy["dossiers"][0]
    assert returned["applicant"]["name"] == "Nguyễn Văn An"
    assert returned["form"]["copies"] == "2" or returned["form"]["copies"] == 2
    assert returned["fee"]["amount"] == 16_000 and returned["fee"]["status"] == "paid"
    assert {f["kind"] for f in returned["files"]} >= {"receipt_slip", "result"}
    assert [h["action"] for h in returned["history"]][:2] == ["submit", "accept"]
    assert "Trần Thị Bình" not in path.read_text(encoding="utf-8")
    # Officers appear by their unit, never by name.
    assert "Cán bộ tiếp nhận" not in path.read_text(encoding="utf-8")


def test_the_request_is_recorded_with_the_subject_hashed_and_audited(
    world: World, tmp_path: Path
) -> None:
    world.submit()

    copy_to(tmp_path / "copy.json", AN, "--purpose", "Thanh tra yêu cầu")

    request = SubjectRequest.objects.get()
    assert request.subject_hash == services.subject_hash(AN) and AN not in request.subject_hash
    assert (request.kind, request.purpose, request.dossier_count) == (
        "copy",
        "Thanh tra yêu cầu",
        1,
    )
    entry = AuditEntry.objects.get(action="privacy.subject_copy")
    assert entry.object_id == str(request.pk)
    assert entry.data["purpose"] == "Thanh tra yêu cầu"
    assert AN not in json.dumps(entry.data)


def test_a_subject_without_dossiers_gets_an_empty_copy_and_the_request_counts(
    world: World, tmp_path: Path
) -> None:
    output = copy_to(tmp_path / "none.json", "052085001234")

    assert output.strip().startswith("0 dossier(s) written")
    assert SubjectRequest.objects.get().dossier_count == 0


@pytest.mark.parametrize("bad", ["06409000123", "06409000123X", "999090001234"])
def test_a_malformed_id_number_is_refused_naming_the_field(
    world: World, tmp_path: Path, bad: str
) -> None:
    with pytest.raises(CommandError) as raised:
        copy_to(tmp_path / "x.json", bad)

    assert str(raised.value).startswith("id_number: ")
    assert not (tmp_path / "x.json").exists()
    assert not SubjectRequest.objects.exists()


def test_the_default_file_name_masks_the_number(
    world: World, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()

    call_command("subject_copy", AN, stdout=out)

    assert (tmp_path / "subject-copy-064xxxxxxx34.json").exists()
