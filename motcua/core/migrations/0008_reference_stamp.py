import secrets

from django.db import migrations


def add_stamp(apps, schema_editor):
    counter = apps.get_model("core", "Counter")
    counter.objects.get_or_create(key="reference:stamp", defaults={"value": secrets.randbits(62)})


class Migration(migrations.Migration):
    """The stamp that outdates the per-process copies of reference data (core.refcache)."""

    dependencies = [("core", "0007_audit_sealed_after_commit")]

    operations = [migrations.RunPython(add_stamp, migrations.RunPython.noop)]
