"""The hash-chained audit trail (``motcua.core.audit``) and ``motcua audit verify``.

Each test writes a short chain through ``audit.record`` (the only writer), tampers with it the
way an intruder with database access would (raw SQL, bypassing the ORM's refusal) and checks
that verification names the first damaged entry by its id. Hashes are recomputed here from
the documented canonical form, not taken from the code under test.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from motcua.core import audit
from motcua.core.context import Origin, _origin
from motcua.core.models import GENESIS_HASH, AppendOnly, AuditChainHead, AuditEntry, Counter


def _subject(key: str = "audit-test") -> Counter:
    """Any saved model will do as the audited object; a counter needs nothing else."""
    counter, _created = Counter.objects.get_or_create(key=key)
    return counter


def _chain(count: int) -> list[AuditEntry]:
    subject = _subject()
    token = _origin.set(Origin(ip="203.0.113.7", channel="web"))
    try:
        written = [
            audit.record(
                "test.step", subject, actor=f"agent:{n}", data={"n": n, 7: "số", "t": "Đà"}
            )
            for n in range(count)
        ]
    finally:
        _origin.reset(token)
    assert audit.seal_pending() == count
    return [AuditEntry.objects.get(pk=entry.pk) for entry in written]


def _verify_command() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def _sql(statement: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
def test_entries_link_by_sha256_over_canonical_json() -> None:
    first, second = _chain(2)

    row = AuditEntry.objects.get(pk=first.pk)
    content = {
        "action": "test.step",
        "actor": None,
        "actor_label": "agent:0",
        "at": row.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
        "channel": "web",
        "data": {"7": "số", "n": 0, "t": "Đà"},
        "ip": "203.0.113.7",
        "object_id": "audit-test",
        "object_type": "core.counter",
        "prev": "0" * 64,
        "seq": 1,
    }
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert row.entry_hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert (row.seq, row.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, row.entry_hash)
    head = AuditChainHead.objects.get()
    assert (head.seq, head.entry_hash) == (2, second.entry_hash)


@pytest.mark.django_db
def test_an_untouched_chain_verifies() -> None:
    entries = _chain(5)

    code, output = _verify_command()

    assert code == 0, output
    assert (
        f"Chuỗi kiểm toán nguyên vẹn: 5 bản ghi, bản ghi cuối số 5, mã băm {entries[-1].entry_hash}"
        in output
    )
    assert "The audit chain is intact: 5 entries" in output


@pytest.mark.django_db
def test_an_empty_chain_verifies() -> None:
    report = audit.verify_chain()

    assert (report.ok, report.checked, report.head_seq) == (True, 0, 0)


@pytest.mark.django_db
def test_a_row_altered_with_raw_sql_is_named_by_its_id() -> None:
    entries = _chain(5)
    victim = entries[2]
    _sql("UPDATE core_auditentry SET actor_label = %s WHERE id = %s", "user:1", victim.pk)

    code, output = _verify_command()

    assert code == 1
    assert f"Bản ghi kiểm toán id={victim.pk} (số thứ tự 3) đã bị sửa" in output
    assert f"Audit entry id={victim.pk} (sequence 3) was altered" in output
    report = audit.verify_chain()
    assert (report.problem.kind, report.problem.entry_id) == ("altered", victim.pk)  # type: ignore[union-attr]


@pytest.mark.django_db
def test_altered_data_is_detected_too() -> None:
    entries = _chain(3)
    _sql("UPDATE core_auditentry SET data = %s WHERE id = %s", '{"n": 9}', entries[0].pk)

    report = audit.verify_chain()

    assert report.problem is not None
    assert (report.problem.kind, report.problem.entry_id) == ("altered", entries[0].pk)


@pytest.mark.django_db
def test_a_deleted_row_is_detected_at_the_next_entry() -> None:
    entries = _chain(5)
    _sql("DELETE FROM core_auditentry WHERE id = %s", entries[1].pk)

    code, output = _verify_command()

    assert code == 1
    assert (
        f"Thiếu 1 bản ghi kiểm toán (từ số thứ tự 2) sau bản ghi id={entries[0].pk}, "
        f"trước bản ghi id={entries[2].pk}: đã bị xóa."
    ) in output
    report = audit.verify_chain()
    assert report.problem is not None
    assert (report.problem.kind, report.problem.entry_id) == ("deleted", entries[2].pk)


@pytest.mark.django_db
def test_deleting_the_newest_entries_is_detected_by_the_head() -> None:
    entries = _chain(4)
    _sql("DELETE FROM core_auditentry WHERE id >= %s", entries[2].pk)

    report = audit.verify_chain()

    assert report.problem is not None
    assert report.problem.kind == "deleted"
    assert report.problem.params == {"count": 2, "seq": 3, "after": entries[1].pk, "id": "-"}


@pytest.mark.django_db
def test_a_row_inserted_behind_the_writers_back_is_detected() -> None:
    entries = _chain(3)
    last = entries[-1]
    _sql(
        "INSERT INTO core_auditentry (at, actor_label, channel, action, object_type, object_id,"
        " data, seq, prev_hash, entry_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        last.at,
        "system",
        "system",
        "test.forged",
        "core.counter",
        "audit-test",
        "{}",
        4,
        last.entry_hash,
        "f" * 64,
    )
    forged = AuditEntry.objects.get(seq=4)

    report = audit.verify_chain()

    assert report.problem is not None
    assert (report.problem.kind, report.problem.entry_id) == ("inserted", forged.pk)


@pytest.mark.django_db
def test_the_orm_refuses_to_change_or_delete_entries() -> None:
    (entry,) = _chain(1)

    entry.action = "changed"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action="changed")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.get().action == "test.step"
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_a_rolled_back_transaction_leaves_no_entry_and_no_gap() -> None:
    _chain(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.lost", _subject(), actor=None)
        raise RuntimeError
    _chain(1)

    assert list(AuditEntry.objects.order_by("seq").values_list("seq", "action")) == [
        (1, "test.step"),
        (2, "test.step"),
    ]
    assert audit.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    """4 threads × 10 entries, each in its own transaction, on the real database."""
    threads_count, per_thread = 4, 10
    subject = _subject()
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(per_thread):
                with transaction.atomic():
                    audit.record("test.concurrent", subject, actor=f"w{worker}", data={"n": n})
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    total = threads_count * per_thread
    audit.seal_all()
    assert sorted(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    report = audit.verify_chain()
    assert (report.ok, report.checked) == (True, total)


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_entries_written_before_the_chain() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0003_verbose_names")])
    old_apps = executor.loader.project_state([("core", "0003_verbose_names")]).apps
    OldEntry = old_apps.get_model("core", "AuditEntry")
    for n in range(3):
        OldEntry.objects.create(
            actor_label="system", action=f"old.{n}", object_type="x.y", object_id=str(n)
        )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    _chain(1)

    assert list(AuditEntry.objects.order_by("seq").values_list("seq", "action")) == [
        (1, "old.0"),
        (2, "old.1"),
        (3, "old.2"),
        (4, "test.step"),
    ]
    report = audit.verify_chain()
    assert (report.ok, report.checked) == (True, 4)


@pytest.mark.django_db
def test_opening_a_dossier_desk_records_a_personal_data_view(world: Any, client: Client) -> None:
    dossier = world.dossier_in("submitted")
    client.force_login(world.pleiku.receiver)

    response = client.get(reverse("backoffice:desk", args=[dossier.pk]))

    assert response.status_code == 200
    viewed = AuditEntry.objects.filter(action="personal_data.viewed").get()
    assert (viewed.object_type, viewed.object_id, viewed.actor_id) == (
        "dossiers.dossier",
        str(dossier.pk),
        world.pleiku.receiver.pk,
    )
    assert viewed.data == {"purpose": "backoffice.desk"}
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_an_outsider_opening_the_desk_records_nothing(world: Any, client: Client) -> None:
    dossier = world.dossier_in("submitted")
    client.force_login(world.outsider)

    response = client.get(reverse("backoffice:desk", args=[dossier.pk]))

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="personal_data.viewed").exists()


@pytest.mark.django_db
def test_an_entry_waits_unsealed_until_the_sealer_runs() -> None:
    subject = _subject()
    entry = audit.record("test.waiting", subject, actor=None)

    assert AuditEntry.objects.get(pk=entry.pk).seq is None
    assert audit.verify_chain(seal=False).checked == 0

    assert audit.seal_pending() == 1
    sealed = AuditEntry.objects.get(pk=entry.pk)
    assert (sealed.seq, sealed.prev_hash) == (1, GENESIS_HASH)
    assert audit.seal_pending() == 0
    assert audit.verify_chain().ok


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time by design"
)
@pytest.mark.django_db(transaction=True)
def test_writers_holding_row_locks_never_wait_on_the_chain() -> None:
    """Two transactions each hold a row lock and audit; neither waits for the other's audit.

    With the chain numbered inside the writers' transactions, the second writer queued on the
    head row until the first committed (and, with the locks in the other order, deadlocked).
    """
    first, second = _subject("lock-a"), _subject("lock-b")
    inside = threading.Event()
    finish = threading.Event()
    errors: list[BaseException] = []

    def hold_first() -> None:
        try:
            with transaction.atomic():
                Counter.objects.select_for_update().get(pk=first.pk)
                audit.record("test.first", first, actor=None)
                inside.set()
                finish.wait(timeout=30)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_first)
    thread.start()
    assert inside.wait(timeout=30)
    try:
        with transaction.atomic():
            Counter.objects.select_for_update().get(pk=second.pk)
            audit.record("test.second", second, actor=None)
    finally:
        finish.set()
        thread.join(timeout=60)

    assert errors == []
    assert audit.seal_all() == 2
    report = audit.verify_chain()
    assert (report.ok, report.checked) == (True, 2)
