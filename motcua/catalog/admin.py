from django.contrib import admin
from django.http import HttpRequest

from motcua.catalog.models import FeeItem, Procedure, ProcedureStep, RequiredDocument


class StepInline(admin.TabularInline):
    model = ProcedureStep
    extra = 0


class DocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0


class FeeInline(admin.TabularInline):
    model = FeeItem
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    """Procedures come from versioned data files; the admin shows them read-only."""

    list_display = ["code", "version", "name_vi", "field_vi", "deadline_kind", "is_current"]
    list_filter = ["is_current", "field_vi"]
    search_fields = ["code", "name_vi"]
    inlines = [StepInline, DocumentInline, FeeInline]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
