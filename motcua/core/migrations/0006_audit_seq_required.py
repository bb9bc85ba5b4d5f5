from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_hash_existing_audit_entries"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(unique=True),
        ),
    ]
