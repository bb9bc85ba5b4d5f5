"""Backup and restore of a whole installation: the database and the files, in one archive.

The archive is a gzip-compressed tar file:

* ``manifest.json``: format, versions, database engine, applied migrations, per table the row
  count and a SHA-256 over its rows in a canonical form, and per file its size and SHA-256;
* ``db.sqlite3`` (SQLite: a snapshot taken with SQLite's online backup API, so writers may
  keep working) or ``data.json`` (PostgreSQL: every row with its primary key, in the shape of
  Django's JSON fixtures but with full microseconds, read inside one REPEATABLE READ READ ONLY
  transaction and loaded back with ``loaddata``);
* ``files/media/…`` (uploads and generated documents) and ``files/pki/…`` (certificates and
  encrypted keys).

Files are copied after the database snapshot: stored files are written once and never
changed, so every file the snapshot refers to is in the archive (a file written meanwhile is
carried along unreferenced). The table hashes of the manifest are computed from the snapshot
itself; a restore recomputes them from the restored database and compares.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import platform
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import django
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend
from django.utils.translation import gettext_lazy as _

from motcua.core import clock, refcache
from motcua.core.errors import Conflict, InvalidInput
from motcua.core.models import AuditChainHead, Counter

logger = logging.getLogger(__name__)

FORMAT = "motcua-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "db.sqlite3"
JSON_MEMBER = "data.json"
SNAPSHOT_ALIAS = "motcua_backup_snapshot"

# Rows that ``migrate`` itself creates: they do not make a database "not empty".
_MIGRATION_MADE = (ContentType, Permission)


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    tables: int
    rows: int
    files: int
    size: int


@dataclass(frozen=True)
class RestoreSummary:
    tables: int
    rows: int
    files: int
    mismatches: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatches


# --- what is backed up ---------------------------------------------------------------------


def file_roots() -> dict[str, Path]:
    """The folders carried in the archive, by their name inside it."""
    return {"media": Path(settings.MEDIA_ROOT), "pki": Path(settings.MOTCUA_PKI_DIR)}


def _models() -> list[type[models.Model]]:
    return sorted(
        (m for m in apps.get_models(include_auto_created=True) if m._meta.managed),
        key=lambda m: m._meta.db_table,
    )


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


# --- canonical table digests ----------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as the same JSON on any database."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date | time | Decimal | UUID):
        return str(value)
    if isinstance(value, timedelta):
        return value // timedelta(microseconds=1)
    if isinstance(value, bytes | memoryview | bytearray):
        return bytes(value).hex()
    return value


def table_digests(using: str = "default") -> dict[str, dict[str, Any]]:
    """Per table: ``rows`` and a SHA-256 over its rows in primary-key order.

    Content types and permissions are numbered by ``migrate`` in whatever order it runs, so
    they are hashed, and referred to, by their natural keys (``app.model``, ``app.codename``).
    """
    content_types = {
        ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.using(using).all()
    }
    permissions = {
        p.pk: f"{content_types.get(p.content_type_id)}.{p.codename}"
        for p in Permission.objects.using(using).all()
    }
    digests: dict[str, dict[str, Any]] = {}
    for model in _models():
        digests[model._meta.db_table] = _digest(model, using, content_types, permissions)
    return digests


def _digest(
    model: type[models.Model],
    using: str,
    content_types: dict[int, str],
    permissions: dict[int, str],
) -> dict[str, Any]:
    fields = [f for f in model._meta.concrete_fields]
    names = [f.attname for f in fields]
    mapped: dict[str, dict[int, str]] = {}
    for f in fields:
        target = getattr(f, "related_model", None)
        if target is ContentType:
            mapped[f.attname] = content_types
        elif target is Permission:
            mapped[f.attname] = permissions
    natural = model in (ContentType, Permission)
    hasher = hashlib.sha256()
    count = 0
    queryset = model._base_manager.using(using)
    if model is Counter:
        # The reference stamp is a cache marker, replaced by every migrate: not data.
        queryset = queryset.exclude(key=refcache.STAMP_KEY)
    rows = queryset.order_by("pk").values_list(*names)
    lines: list[bytes] = []
    for row in rows.iterator(chunk_size=2000):
        record = {}
        for name, value in zip(names, row, strict=True):
            if name in mapped and value is not None:
                value = mapped[name].get(value, value)
            record[name] = _plain(value)
        if natural:
            record.pop("id", None)
        encoded = json.dumps(
            record, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
        count += 1
        if natural:
            lines.append(encoded)
        else:
            hasher.update(encoded + b"\n")
    for encoded in sorted(lines):  # numbered by migrate: order by content instead
        hasher.update(encoded + b"\n")
    return {"rows": count, "sha256": hasher.hexdigest()}


def _file_entries() -> list[dict[str, Any]]:
    entries = []
    for root_name, root in file_roots().items():
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            entries.append(
                {
                    "path": f"files/{root_name}/{path.relative_to(root).as_posix()}",
                    "size": path.stat().st_size,
                    "sha256": _sha256_file(path),
                }
            )
    return entries


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- backup --------------------------------------------------------------------------------


def backup(destination: Path) -> BackupSummary:
    """Write the archive to ``destination`` (written beside it, then renamed into place)."""
    destination = destination.resolve()
    if destination.is_dir():
        stamp = clock.localtime(clock.now()).strftime("%Y%m%d-%H%M%S")
        destination = destination / f"motcua-backup-{stamp}.tar.gz"
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="motcua-backup-") as scratch:
        work = Path(scratch)
        if _is_sqlite():
            member = work / SQLITE_MEMBER
            _sqlite_snapshot(member)
            with _snapshot_alias(member) as alias:
                tables = table_digests(alias)
                migrations = _applied_migrations(alias)
        else:
            member = work / JSON_MEMBER
            tables, migrations = _json_snapshot(member)
        files = _file_entries()
        manifest = {
            "format": FORMAT,
            "created_at": clock.now().isoformat(),
            "versions": {
                "motcua": _motcua_version(),
                "django": django.get_version(),
                "python": platform.python_version(),
            },
            "database": {"vendor": connection.vendor, "member": member.name},
            "migrations": migrations,
            "tables": tables,
            "files": files,
        }
        partial = destination.with_name(f".{destination.name}.partial")
        # Personal data and the signing keys: readable by the owner only.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
            archive.add(member, arcname=member.name)
            for entry in files:
                root_name, relative = entry["path"].split("/", 2)[1:]
                archive.add(file_roots()[root_name] / relative, arcname=entry["path"])
        partial.replace(destination)
    rows = sum(t["rows"] for t in tables.values())
    logger.info(
        "backup.written tables=%s rows=%s files=%s bytes=%s",
        len(tables),
        rows,
        len(files),
        destination.stat().st_size,
    )
    return BackupSummary(destination, len(tables), rows, len(files), destination.stat().st_size)


def _add_bytes(archive: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(clock.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _motcua_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("motcua")
    except PackageNotFoundError:
        return "unknown"


def _sqlite_snapshot(target: Path) -> None:
    """A consistent copy of the live SQLite database, pages copied while others write."""
    if connection.in_atomic_block:
        # SQLite's backup would wait forever on this connection's own write lock.
        raise RuntimeError("backup must run outside a transaction")
    connection.ensure_connection()
    source = connection.connection
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    copy.close()


@contextmanager
def _snapshot_alias(path: Path) -> Iterator[str]:
    """A temporary connection reading the SQLite file at ``path``, under an alias of its own
    that is never added to the settings (so nothing else can route to it)."""
    settings_dict = {**connections.databases["default"], "NAME": str(path), "OPTIONS": {}}
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, SNAPSHOT_ALIAS)
    connections[SNAPSHOT_ALIAS] = wrapper
    try:
        yield SNAPSHOT_ALIAS
    finally:
        wrapper.close()
        del connections[SNAPSHOT_ALIAS]


def _applied_migrations(using: str = "default") -> list[str]:
    recorder = MigrationRecorder(connections[using])
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def _json_snapshot(target: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every row as Django JSON, and the digests, from one snapshot of the database."""
    fresh = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and fresh:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        tables = table_digests()
        migrations = _applied_migrations()
        with target.open("w", encoding="utf-8") as out:
            out.write("[")
            separator = "\n"
            for chunk in _object_chunks():
                for item in serializers.serialize("python", chunk):
                    out.write(separator)
                    json.dump(item, out, cls=_FullPrecisionEncoder, ensure_ascii=False)
                    separator = ",\n"
            out.write("\n]\n")
    return tables, migrations


class _FullPrecisionEncoder(DjangoJSONEncoder):
    """Django's JSON serialiser keeps milliseconds only; a backup keeps every microsecond
    (the audit chain hashes them)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


def _object_chunks(size: int = 2000) -> Iterator[list[models.Model]]:
    """Every row of every table, a few thousand at a time (constant memory)."""
    for model in _models():
        if model._meta.auto_created:
            continue  # many-to-many rows travel with their owner
        chunk: list[models.Model] = []
        for obj in model._base_manager.order_by("pk").iterator(chunk_size=size):
            chunk.append(obj)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


# --- restore -------------------------------------------------------------------------------


def database_is_empty() -> bool:
    """No row beyond what ``migrate`` writes (content types, permissions, an empty chain, the
    reference stamp)."""
    for model in _models():
        if model in _MIGRATION_MADE:
            continue
        queryset = model._base_manager.all()
        if model is AuditChainHead:
            queryset = queryset.exclude(seq=0)
        if model is Counter:
            queryset = queryset.exclude(key=refcache.STAMP_KEY)
        if queryset.exists():
            return False
    return True


def _files_present() -> list[str]:
    return [
        name
        for name, root in file_roots().items()
        if root.is_dir() and any(p.is_file() for p in root.rglob("*"))
    ]


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as error:
        raise InvalidInput(
            _("“%(path)s” không phải bản sao lưu motcua đọc được."),
            field="src",
            code="not_a_backup",
            path=str(source),
        ) from error
    if manifest.get("format") != FORMAT:
        raise InvalidInput(
            _("Bản sao lưu định dạng “%(format)s” không được hỗ trợ."),
            field="src",
            code="unsupported_format",
            format=str(manifest.get("format")),
        )
    return manifest


def restore(source: Path, *, force: bool = False) -> RestoreSummary:
    """Restore ``source`` into this installation's database and folders, then compare.

    Refuses (``Conflict``) a database with data or non-empty file folders unless ``force``.
    Raises ``InvalidInput`` (field ``src``) for an unreadable archive, a corrupted file or a
    database engine that does not match the archive.
    """
    manifest = read_manifest(source)
    member = manifest["database"]["member"]
    if _is_sqlite():
        # A new instance's data folder may not exist yet: SQLite would not create it.
        Path(connection.settings_dict["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    if member == SQLITE_MEMBER and not _is_sqlite():
        raise InvalidInput(
            _("Bản sao lưu SQLite chỉ khôi phục được vào cơ sở dữ liệu SQLite."),
            field="src",
            code="engine_mismatch",
        )
    call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
    if not force and (not database_is_empty() or _files_present()):
        raise Conflict(
            _(
                "Cơ sở dữ liệu hoặc thư mục tệp đích đã có dữ liệu: không khôi phục đè. "
                "Dùng cơ sở dữ liệu và thư mục dữ liệu mới, hoặc thêm --force để ghi đè."
            ),
            code="target_not_empty",
        )
    with tempfile.TemporaryDirectory(prefix="motcua-restore-") as scratch:
        work = Path(scratch)
        _extract(source, manifest, work)
        if member == SQLITE_MEMBER:
            _restore_sqlite(work / SQLITE_MEMBER)
        else:
            _restore_json(work / JSON_MEMBER)
        _restore_files(manifest, work, replace=force)
    call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
    mismatches = compare(manifest)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    logger.info(
        "restore.done tables=%s rows=%s files=%s mismatches=%s",
        len(manifest["tables"]),
        rows,
        len(manifest["files"]),
        len(mismatches),
    )
    return RestoreSummary(len(manifest["tables"]), rows, len(manifest["files"]), mismatches)


def _extract(source: Path, manifest: dict[str, Any], work: Path) -> None:
    """Unpack the archive's known members only, checking each file's hash."""
    expected = {entry["path"]: entry for entry in manifest["files"]}
    wanted = {manifest["database"]["member"], *expected}
    with tarfile.open(source, "r:gz") as archive:
        members = [m for m in archive.getmembers() if m.isfile() and m.name in wanted]
        archive.extractall(work, members=members, filter="data")
    for path, entry in expected.items():
        target = work / path
        if not target.is_file() or _sha256_file(target) != entry["sha256"]:
            raise InvalidInput(
                _("Tệp “%(path)s” trong bản sao lưu bị thiếu hoặc hỏng."),
                field="src",
                code="corrupted",
                path=path,
            )


def _restore_sqlite(snapshot: Path) -> None:
    """Copy the snapshot over the live database, page by page, with SQLite's backup API."""
    connection.close()
    connection.ensure_connection()
    with sqlite3.connect(snapshot) as source:
        source.backup(connection.connection)
    source.close()
    connection.close()


def _restore_json(data: Path) -> None:
    with transaction.atomic():
        # Content types and permissions come from the archive with their own numbers.
        call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
        call_command("loaddata", str(data), verbosity=0)
        sequences = connection.ops.sequence_reset_sql(no_style(), _models())
        with connection.cursor() as cursor:
            for statement in sequences:
                cursor.execute(statement)


def _restore_files(manifest: dict[str, Any], work: Path, *, replace: bool) -> None:
    roots = file_roots()
    for root in roots.values():
        if replace and root.is_dir():
            shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True)
    for entry in manifest["files"]:
        root_name, relative = entry["path"].split("/", 2)[1:]
        target = roots[root_name] / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(work / entry["path"], target)
        if root_name == "pki" and target.name.endswith(".key.pem"):
            target.chmod(0o600)


def compare(manifest: dict[str, Any]) -> list[str]:
    """What differs between the archive's manifest and this installation, table by table
    and file by file (ids and names only)."""
    mismatches = []
    current = table_digests()
    for table, expected in manifest["tables"].items():
        found = current.get(table)
        if found is None:
            mismatches.append(f"table {table}: missing")
        elif found != expected:
            mismatches.append(
                f"table {table}: rows {found['rows']} (expected {expected['rows']}), "
                f"sha256 {'same' if found['sha256'] == expected['sha256'] else 'differs'}"
            )
    roots = file_roots()
    for entry in manifest["files"]:
        root_name, relative = entry["path"].split("/", 2)[1:]
        path = roots[root_name] / relative
        if not path.is_file() or _sha256_file(path) != entry["sha256"]:
            mismatches.append(f"file {entry['path']}: missing or different")
    return mismatches
