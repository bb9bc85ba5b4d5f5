from django.contrib import admin
from django.http import HttpRequest

from motcua.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "channel"]
    list_filter = ["action", "channel"]
    search_fields = ["object_id", "actor_label"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
