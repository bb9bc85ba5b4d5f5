from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "motcua.core"
    label = "core"
    verbose_name = "Lõi hệ thống"

    def ready(self) -> None:
        from motcua.core import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(_reference_changed, sender=self, dispatch_uid="refcache:migrate")


def _reference_changed(sender: Any, **kwargs: Any) -> None:
    """Data migrations write reference data without model signals: outdate every copy."""
    from motcua.core import refcache

    if kwargs.get("plan") and kwargs.get("using", "default") == "default":
        refcache.bump()
