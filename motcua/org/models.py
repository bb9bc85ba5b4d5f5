"""Provinces, communes/wards, agencies, staff and their roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class FormerProvince(models.TextChoices):
    """Province a unit belonged to before the 2025 merger (Resolution 202/2025/QH15)."""

    BINH_DINH = "binh_dinh", _("Bình Định (cũ)")
    GIA_LAI = "gia_lai", _("Gia Lai (cũ)")


class Province(models.Model):
    code = models.PositiveSmallIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    codename = models.CharField(max_length=100)
    division_type = models.CharField(max_length=40)

    class Meta:
        ordering = ["code"]
        verbose_name = _("tỉnh, thành phố")
        verbose_name_plural = _("tỉnh, thành phố")

    def __str__(self) -> str:
        return self.name


class Ward(models.Model):
    """A commune-level unit (xã, phường, đặc khu) of the 2025 two-level map."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    codename = models.CharField(max_length=100)
    division_type = models.CharField(max_length=40)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="wards")
    former_province = models.CharField(
        max_length=20, choices=FormerProvince.choices, blank=True, default=""
    )
    search_key = models.CharField(max_length=120, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("xã, phường")
        verbose_name_plural = _("xã, phường")

    def __str__(self) -> str:
        return self.name


class AgencyKind(models.TextChoices):
    PROVINCE_PC = "province_pc", _("UBND tỉnh")
    PROVINCE_OFFICE = "province_office", _("Văn phòng UBND tỉnh")
    PROVINCE_CENTER = "province_center", _("Trung tâm Phục vụ hành chính công tỉnh")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    LAND_OFFICE = "land_office", _("Văn phòng Đăng ký đất đai")
    LAND_BRANCH = "land_branch", _("Chi nhánh Văn phòng Đăng ký đất đai")
    TAX_OFFICE = "tax_office", _("Cơ quan thuế")
    COMMUNE_PC = "commune_pc", _("UBND xã, phường")
    COMMUNE_CENTER = "commune_center", _("Trung tâm Phục vụ hành chính công xã, phường")


SERVICE_CENTER_KINDS = (AgencyKind.PROVINCE_CENTER, AgencyKind.COMMUNE_CENTER)


class Agency(models.Model):
    """An agency or unit with an electronic identifier (Decision 20/2020/QĐ-TTg)."""

    code = models.CharField(_("mã định danh điện tử"), max_length=35, unique=True)
    code_is_placeholder = models.BooleanField(
        _("mã tạm"),
        default=False,
        help_text=_("Mã do hệ thống sinh, cần thay bằng mã tỉnh cung cấp."),
    )
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=AgencyKind.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="agencies")
    ward = models.ForeignKey(
        Ward, null=True, blank=True, on_delete=models.PROTECT, related_name="agencies"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    former_province = models.CharField(
        max_length=20, choices=FormerProvince.choices, blank=True, default=""
    )
    address = models.CharField(max_length=255, blank=True, default="")
    search_key = models.CharField(max_length=240, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cơ quan, đơn vị")
        verbose_name_plural = _("cơ quan, đơn vị")
        indexes = [models.Index(fields=["kind", "province"], name="agency_kind_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_service_center(self) -> bool:
        return self.kind in SERVICE_CENTER_KINDS


class User(AbstractUser):
    """An officer account. Citizens do not hold accounts in this release."""

    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True, default="")
    must_change_password = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    RECEIVER = "receiver", _("Cán bộ tiếp nhận")
    SPECIALIST = "specialist", _("Chuyên viên xử lý")
    LEADER = "leader", _("Lãnh đạo")
    CLERK = "clerk", _("Văn thư")
    ADMIN = "admin", _("Quản trị")


class Membership(models.Model):
    """An officer holds a role in an agency; one user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique")
        ]
        verbose_name = _("vai trò cán bộ")
        verbose_name_plural = _("vai trò cán bộ")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.agency}"


class ApiToken(models.Model):
    """A bearer key with which an officer's client (a peer system, the drill, a script) calls
    the API as that officer. Only the SHA-256 of the key is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(_("nhãn"), max_length=100)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "created_at"]
        verbose_name = _("khóa truy cập API")
        verbose_name_plural = _("khóa truy cập API")

    def __str__(self) -> str:
        return f"{self.user} · {self.label}"


class Coverage(models.Model):
    """Which agency is competent for a commune, per kind of competence (e.g. the Land
    Registration Office branch for parcels located there). Loaded from the province's data."""

    kind = models.CharField(max_length=20, choices=AgencyKind.choices)
    ward = models.ForeignKey(Ward, on_delete=models.CASCADE, related_name="coverage")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="coverage")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "ward"], name="coverage_one_agency_per_ward")
        ]
        verbose_name = _("địa bàn phụ trách")
        verbose_name_plural = _("địa bàn phụ trách")

    def __str__(self) -> str:
        return f"{self.agency} → {self.ward}"
