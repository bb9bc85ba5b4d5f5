from django.apps import AppConfig


class FederationConfig(AppConfig):
    """A Django app of its own inside ``exchange`` so that its bookkeeping table has its own
    migrations."""

    name = "motcua.exchange.federation"
    label = "federation"
    verbose_name = "Liên thông giữa các tỉnh"

    def ready(self) -> None:
        from motcua.exchange.federation import services  # noqa: F401 (receivers, handlers)
