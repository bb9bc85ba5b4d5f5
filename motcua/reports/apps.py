from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "motcua.reports"
    label = "reports"
    verbose_name = "Báo cáo, chỉ số"

    def ready(self) -> None:
        from motcua.reports import handlers  # noqa: F401  (connects signal receivers)
