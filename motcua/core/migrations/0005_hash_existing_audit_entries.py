"""Number and hash the audit entries written before the chain existed, in id order.

The canonical form is frozen here (it must equal ``motcua.core.audit.chain_content`` and
``canonical_json``): a data migration never imports live code.
"""

import hashlib
import json
from datetime import UTC

from django.db import migrations

GENESIS_HASH = "0" * 64


def _hash(entry, seq, prev_hash):
    content = {
        "seq": seq,
        "prev": prev_hash,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "ip": entry.source_ip,
        "channel": entry.channel,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "data": entry.data,
    }
    encoded = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()
    return hashlib.sha256(encoded).hexdigest()


def hash_entries(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    seq, prev_hash = 0, GENESIS_HASH
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        seq += 1
        digest = _hash(entry, seq, prev_hash)
        AuditEntry.objects.filter(pk=entry.pk).update(
            seq=seq, prev_hash=prev_hash, entry_hash=digest
        )
        prev_hash = digest
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": seq, "entry_hash": prev_hash})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_audit_hash_chain"),
    ]

    operations = [
        migrations.RunPython(hash_entries, migrations.RunPython.noop, elidable=False),
    ]
