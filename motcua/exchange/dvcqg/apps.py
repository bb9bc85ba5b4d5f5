from django.apps import AppConfig


class DvcqgConfig(AppConfig):
    """A Django app of its own inside ``exchange`` so that its bookkeeping tables have their
    own migrations."""

    name = "motcua.exchange.dvcqg"
    label = "dvcqg"
    verbose_name = "Cổng Dịch vụ công quốc gia"

    def ready(self) -> None:
        from motcua.exchange.dvcqg import outbound  # noqa: F401 (connects the receivers)
