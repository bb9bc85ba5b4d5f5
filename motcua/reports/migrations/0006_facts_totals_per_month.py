from django.db import migrations


def fill(apps, schema_editor):
    """The month totals beside the day totals, by the function the services call."""
    from motcua.reports.totals import rebuild

    rebuild(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_facts_totals_per_day"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
