from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="procedurestep",
            name="budget_days",
            field=models.DecimalField(decimal_places=3, max_digits=6),
        ),
    ]
