from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "motcua.exchange"
    label = "exchange"
    verbose_name = "Liên thông"

    def ready(self) -> None:
        # Senders, handlers and periodic jobs register themselves when their module is
        # imported: every process (web, worker) must see the same registries.
        for module in ("handlers", "schedule"):
            name = f"{self.name}.{module}"
            if find_spec(name) is not None:
                import_module(name)
