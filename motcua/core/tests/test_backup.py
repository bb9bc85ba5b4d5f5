"""``motcua backup`` and ``motcua restore``: one archive, restored into a new instance.

The source is the test database with the shared cast and an approved dossier (attachments,
signed receipt slip and result, audit chain) plus its PKI. The restore runs as a separate
``motcua restore`` process into a new data folder (SQLite) or a new database on the same
server (PostgreSQL); the test then counts rows and hashes files itself and compares them with
the source.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from motcua.core import audit, backup, refcache
from motcua.core.errors import InvalidInput
from motcua.core.models import Counter
from motcua.dossiers.models import Dossier, DossierFile
from motcua.pki import store

# The backup reads committed data, as it does in production: each test commits.
pytestmark = pytest.mark.django_db(transaction=True)

MOTCUA = Path(sys.executable).with_name("motcua")


@pytest.fixture
def source(world: Any, settings: Any, tmp_path: Path) -> Dossier:
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    store.ensure_ca()
    return world.dossier_in("approved")


@pytest.fixture
def archive(source: Dossier, tmp_path: Path) -> Path:
    path = tmp_path / "out" / "motcua.tar.gz"
    call_command("backup", str(path))
    return path


def _manifest(path: Path) -> dict[str, Any]:
    with tarfile.open(path) as archive:
        member = archive.extractfile("manifest.json")
        assert member is not None
        return dict(json.loads(member.read()))


def _source_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


@pytest.fixture
def new_instance(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a new, empty installation: its own data folder and database."""
    data_dir = tmp_path / "restored"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "DATABASE_"))}
    env["MOTCUA_DATA_DIR"] = str(data_dir)
    if connection.vendor != "postgresql":
        yield env
        return
    import psycopg

    params = connection.settings_dict
    name = f"motcua_restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(
        host=params["HOST"],
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    env["DATABASE_URL"] = (
        f"postgres://{params['USER']}{password}@{params['HOST']}:{params['PORT']}/{name}"
    )
    env["MOTCUA_RESTORED_DB"] = name
    try:
        yield env
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _restored_counts(env: dict[str, str], tables: list[str]) -> dict[str, int]:
    if "MOTCUA_RESTORED_DB" not in env:
        db = sqlite3.connect(Path(env["MOTCUA_DATA_DIR"]) / "motcua.sqlite3")
        try:
            return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
        finally:
            db.close()
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as db:
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]  # noqa: S608


def test_the_manifest_counts_tables_and_hashes_every_file(
    source: Dossier, archive: Path, settings: Any
) -> None:
    manifest = _manifest(archive)

    assert manifest["format"] == "motcua-backup/1"
    assert archive.stat().st_mode & 0o777 == 0o600
    assert manifest["database"]["vendor"] == connection.vendor
    assert "core.0006_audit_seq_required" in manifest["migrations"]
    counts = {table: entry["rows"] for table, entry in manifest["tables"].items()}
    expected = _source_counts()
    # The reference stamp is left out: a cache marker that every migrate replaces.
    expected["core_counter"] -= Counter.objects.filter(key=refcache.STAMP_KEY).count()
    assert counts == expected
    assert counts["dossiers_dossier"] == Dossier.objects.count() >= 1
    files = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    for record in DossierFile.objects.all():
        assert files[f"files/media/{record.file.name}"] == record.sha256
    ca = store.ca_credential().cert_path.relative_to(settings.MOTCUA_PKI_DIR).as_posix()
    assert f"files/pki/{ca}" in files


def test_restore_into_a_new_instance_gives_the_same_tables_and_files(
    source: Dossier, archive: Path, new_instance: dict[str, str]
) -> None:
    expected = _source_counts()
    originals = {r.file.name: r.sha256 for r in DossierFile.objects.all()}
    assert audit.verify_chain().ok

    result = subprocess.run(  # noqa: S603 (our own console script)
        [str(MOTCUA), "restore", str(archive)],
        env=new_instance,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "restored and verified" in result.stdout
    restored = _restored_counts(new_instance, sorted(expected))
    assert restored == expected
    media = Path(new_instance["MOTCUA_DATA_DIR"]) / "media"
    assert {
        name: hashlib.sha256((media / name).read_bytes()).hexdigest() for name in originals
    } == originals

    verify = subprocess.run(  # noqa: S603 (our own console script)
        [str(MOTCUA), "audit", "verify"],
        env=new_instance,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr[-2000:]

    again = subprocess.run(  # noqa: S603 (our own console script)
        [str(MOTCUA), "restore", str(archive)],
        env=new_instance,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert again.returncode != 0
    assert "already hold data" in again.stderr


def test_restore_refuses_a_database_that_holds_data(source: Dossier, archive: Path) -> None:
    before = Dossier.objects.count()

    with pytest.raises(CommandError) as caught:
        call_command("restore", str(archive))

    assert str(caught.value).startswith(
        "Cơ sở dữ liệu hoặc thư mục tệp đích đã có dữ liệu: không khôi phục đè."
    )
    assert "--force" in str(caught.value)
    assert Dossier.objects.count() == before


def test_restore_refuses_a_file_that_is_no_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not an archive")

    with pytest.raises(InvalidInput) as caught:
        backup.restore(bogus)

    assert (caught.value.field, caught.value.code) == ("src", "not_a_backup")


def test_a_corrupted_file_in_the_archive_is_refused(
    source: Dossier, archive: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.tar.gz"
    with tarfile.open(archive) as original, tarfile.open(broken, "w:gz") as copy:
        for member in original.getmembers():
            handle = original.extractfile(member)
            content = handle.read() if handle else b""
            if member.name.startswith("files/media/"):
                content = content[:-1] + bytes([(content[-1] + 1) % 256])
            copy.addfile(member, io.BytesIO(content))
    manifest = backup.read_manifest(broken)
    extract_dir = tmp_path / "x"

    with pytest.raises(InvalidInput) as caught:
        backup._extract(broken, manifest, extract_dir)

    assert caught.value.code == "corrupted"
