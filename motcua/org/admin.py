from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from motcua.org.models import Agency, Membership, Province, User, Ward


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "division_type"]
    search_fields = ["name", "codename"]


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "division_type", "province", "former_province"]
    list_filter = ["former_province", "division_type", "province"]
    search_fields = ["name", "codename", "search_key", "code"]
    list_select_related = ["province"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "code_status", "kind", "former_province"]
    list_filter = ["kind", "former_province", "code_is_placeholder"]
    search_fields = ["name", "code", "search_key"]
    raw_id_fields = ["ward", "parent"]

    @admin.display(description=_("mã định danh"), boolean=False)
    def code_status(self, obj: Agency) -> str:
        return str(_("MÃ TẠM — cần thay")) if obj.code_is_placeholder else str(_("chính thức"))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["agency"]


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "full_name", "is_active", "last_login"]
    search_fields = ["username", "full_name"]
    inlines = [MembershipInline]
    fieldsets = (*UserAdmin.fieldsets, (_("Cán bộ"), {"fields": ["full_name"]}))  # type: ignore[misc]
