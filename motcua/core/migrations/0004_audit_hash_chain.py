from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_verbose_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(default=0)),
                (
                    "entry_hash",
                    models.CharField(default="0" * 64, max_length=64),
                ),
            ],
            options={
                "verbose_name": "đầu chuỗi kiểm toán",
                "verbose_name_plural": "đầu chuỗi kiểm toán",
            },
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="entry_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
    ]
