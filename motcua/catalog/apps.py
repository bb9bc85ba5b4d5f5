from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "motcua.catalog"
    label = "catalog"
    verbose_name = "Thủ tục hành chính"

    def ready(self) -> None:
        from motcua.catalog.models import FeeItem, Procedure, ProcedureStep, RequiredDocument
        from motcua.core import refcache
        from motcua.org.models import Agency, Province, Ward

        # Procedures and the units that receive them are read per request from per-process
        # copies; a change of any of these outdates them (see motcua.core.refcache).
        refcache.watch(Procedure, ProcedureStep, RequiredDocument, FeeItem, Agency, Ward, Province)
