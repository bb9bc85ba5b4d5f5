from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="VirtualClock",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("scenario_start", models.DateTimeField(verbose_name="thời điểm kịch bản")),
                ("real_start", models.DateTimeField(verbose_name="thời điểm thực")),
                ("factor", models.FloatField(verbose_name="hệ số nén thời gian")),
                ("label", models.CharField(blank=True, max_length=100, verbose_name="kịch bản")),
                ("set_at", models.DateTimeField(verbose_name="đặt lúc")),
            ],
            options={
                "verbose_name": "đồng hồ diễn tập",
                "verbose_name_plural": "đồng hồ diễn tập",
            },
        ),
    ]
