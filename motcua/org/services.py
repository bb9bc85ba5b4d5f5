"""Loading the real units and setting up staff. Every write to ``org`` goes through here."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from vietnam_provinces import Province as VnProvince
from vietnam_provinces import Ward as VnWard

from motcua.core import audit, clock
from motcua.core.errors import InvalidInput
from motcua.core.text import nfc, search_key
from motcua.org.codes import (
    placeholder_center_code,
    placeholder_commune_pc_code,
    validate_agency_code,
)
from motcua.org.models import (
    Agency,
    AgencyKind,
    ApiToken,
    Coverage,
    Membership,
    Province,
    Role,
    User,
    Ward,
)

logger = logging.getLogger(__name__)
DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class LoadSummary:
    provinces: int
    wards: int
    province_wards: int
    agencies: int


def load_province_config(province_code: int) -> dict[str, Any]:
    path = DATA_DIR / f"province-{province_code}.yaml"
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def former_province_of(ward_code: int, config: dict[str, Any]) -> str:
    """Former province key of a ward by the code ranges of the province's data file."""
    for rule in config.get("former_provinces", []):
        below = rule.get("ward_code_below")
        start = rule.get("ward_code_from")
        if (below is None or ward_code < below) and (start is None or ward_code >= start):
            return str(rule["key"])
    return ""


@transaction.atomic
def load_units(province_code: int | None = None) -> LoadSummary:
    """Load all provinces and communes from ``vietnam-provinces`` and the province's agencies.

    Idempotent: running it again updates names and adds what is missing.
    """
    province_code = province_code or settings.MOTCUA_PROVINCE_CODE
    config = load_province_config(province_code)
    _upsert_provinces()
    _upsert_wards(config, province_code)
    _upsert_province_agencies(config, province_code)
    _upsert_commune_agencies(config, province_code)
    _load_coverage(config, province_code)
    summary = LoadSummary(
        provinces=Province.objects.count(),
        wards=Ward.objects.count(),
        province_wards=Ward.objects.filter(province_id=province_code).count(),
        agencies=Agency.objects.filter(province_id=province_code).count(),
    )
    logger.info(
        "org.units_loaded provinces=%s wards=%s province=%s province_wards=%s agencies=%s",
        summary.provinces,
        summary.wards,
        province_code,
        summary.province_wards,
        summary.agencies,
    )
    return summary


def _upsert_provinces() -> None:
    rows = [
        Province(
            code=int(p.code),
            name=p.name,
            codename=p.codename,
            division_type=p.division_type.value,
        )
        for p in VnProvince.iter_all()
    ]
    Province.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "codename", "division_type"],
    )


def _upsert_wards(config: dict[str, Any], province_code: int) -> None:
    rows = []
    for w in VnWard.iter_all():
        code = int(w.code)
        former = former_province_of(code, config) if int(w.province_code) == province_code else ""
        rows.append(
            Ward(
                code=code,
                name=w.name,
                codename=w.codename,
                division_type=w.division_type.value,
                province_id=int(w.province_code),
                former_province=former,
                search_key=search_key(w.name),
            )
        )
    Ward.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=[
            "name",
            "codename",
            "division_type",
            "province",
            "former_province",
            "search_key",
        ],
    )


def _save_agency(slug: str, **fields: Any) -> Agency:
    validate_agency_code(fields["code"])
    fields["search_key"] = search_key(fields["name"])
    agency, _created = Agency.objects.update_or_create(slug=slug, defaults=fields)
    return agency


def _upsert_province_agencies(config: dict[str, Any], province_code: int) -> None:
    placeholder = bool(config.get("codes_are_placeholders", False))
    for item in config["agencies"]:
        parent = Agency.objects.get(slug=item["parent"]) if item.get("parent") else None
        _save_agency(
            item["slug"],
            code=item["code"],
            code_is_placeholder=bool(item.get("placeholder", placeholder)),
            name=item["name"],
            kind=item["kind"],
            province_id=province_code,
            parent=parent,
            former_province=item.get("former_province", ""),
        )


def _upsert_commune_agencies(config: dict[str, Any], province_code: int) -> None:
    level1 = config["level1_code"]
    province_pc = Agency.objects.get(province_id=province_code, kind=AgencyKind.PROVINCE_PC)
    for ward in Ward.objects.filter(province_id=province_code):
        pc = _save_agency(
            f"ubnd-{ward.code}",
            code=placeholder_commune_pc_code(level1, ward.code),
            code_is_placeholder=True,
            name=f"Ủy ban nhân dân {ward.name}",
            kind=AgencyKind.COMMUNE_PC,
            province_id=province_code,
            ward=ward,
            parent=province_pc,
            former_province=ward.former_province,
        )
        _save_agency(
            f"ttpvhcc-{ward.code}",
            code=placeholder_center_code(level1, ward.code),
            code_is_placeholder=True,
            name=f"Trung tâm Phục vụ hành chính công {ward.name}",
            kind=AgencyKind.COMMUNE_CENTER,
            province_id=province_code,
            ward=ward,
            parent=pc,
            former_province=ward.former_province,
        )


def _load_coverage(config: dict[str, Any], province_code: int) -> None:
    """Replace the province's coverage table with the data file's."""
    wards = list(Ward.objects.filter(province_id=province_code).only("code", "former_province"))
    rows: dict[tuple[str, int], Coverage] = {}
    for kind, rules in config.get("coverage", {}).items():
        for rule in rules:
            agency = Agency.objects.get(slug=rule["agency"])
            chosen = set(rule.get("wards", []))
            for ward in wards:
                by_former = rule.get("former_province") == ward.former_province
                if ward.code in chosen or (by_former and (kind, ward.code) not in rows):
                    rows[(kind, ward.code)] = Coverage(kind=kind, ward=ward, agency=agency)
    Coverage.objects.filter(ward__province_id=province_code).delete()
    Coverage.objects.bulk_create(rows.values())


# Demo roles of provincial units: (kind, username prefix, role).
_PROVINCIAL_DEMO_ROLES = (
    (AgencyKind.PROVINCE_CENTER, "tn", Role.RECEIVER),
    (AgencyKind.PROVINCE_CENTER, "ld", Role.LEADER),
    (AgencyKind.LAND_BRANCH, "cv", Role.SPECIALIST),
    (AgencyKind.LAND_BRANCH, "ld", Role.LEADER),
    (AgencyKind.TAX_OFFICE, "cv", Role.SPECIALIST),
    (AgencyKind.DEPARTMENT, "vt", Role.CLERK),
    (AgencyKind.DEPARTMENT, "cv", Role.SPECIALIST),
    (AgencyKind.DEPARTMENT, "ld", Role.LEADER),
)


def _seed_provincial_staff(province_code: int, password_hash: str) -> None:
    """E.g. cv.cn-vpdkdd-pleiku (specialist of a land-office branch), tn.ttpvhcc-tinh-gia-lai."""
    for kind, prefix, role in _PROVINCIAL_DEMO_ROLES:
        for agency in Agency.objects.filter(province_id=province_code, kind=kind):
            add_staff(
                username=f"{prefix}.{agency.slug}",
                full_name=f"{Role(role).label} {agency.name}",
                agency=agency,
                role=role,
                password_hash=password_hash,
            )


def add_staff(
    *, username: str, full_name: str, agency: Agency, role: str, password_hash: str
) -> User:
    """Create (or find) an officer and give them ``role`` in ``agency``."""
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name, "password": password_hash}
    )
    Membership.objects.get_or_create(user=user, agency=agency, role=role)
    if created:
        logger.debug("org.staff_created user=%s agency=%s role=%s", user.pk, agency.pk, role)
    return user


@transaction.atomic
def seed_demo_staff(password: str, province_code: int | None = None) -> int:
    """Demo officers for every commune: a receiver at the center, a specialist, a leader and a
    clerk (văn thư) at the People's Committee, plus a provincial admin and the provincial
    units' officers. Returns how many accounts exist.

    The password is hashed once and shared: hashing it per account would take minutes.
    """
    province_code = province_code or settings.MOTCUA_PROVINCE_CODE
    password_hash = make_password(password)
    centers = Agency.objects.filter(province_id=province_code, kind=AgencyKind.COMMUNE_CENTER)
    for center in centers.select_related("ward", "parent"):
        assert center.ward is not None and center.parent is not None  # noqa: S101
        slug = center.ward.codename.replace("_", "")
        add_staff(
            username=f"tn.{slug}",
            full_name=f"Cán bộ tiếp nhận {center.ward.name}",
            agency=center,
            role=Role.RECEIVER,
            password_hash=password_hash,
        )
        add_staff(
            username=f"cv.{slug}",
            full_name=f"Chuyên viên {center.ward.name}",
            agency=center.parent,
            role=Role.SPECIALIST,
            password_hash=password_hash,
        )
        add_staff(
            username=f"ld.{slug}",
            full_name=f"Lãnh đạo {center.ward.name}",
            agency=center.parent,
            role=Role.LEADER,
            password_hash=password_hash,
        )
        add_staff(
            username=f"vt.{slug}",
            full_name=f"Văn thư {center.ward.name}",
            agency=center.parent,
            role=Role.CLERK,
            password_hash=password_hash,
        )
        add_staff(
            username=f"gd.{slug}",
            full_name=f"Giám đốc Trung tâm {center.ward.name}",
            agency=center,
            role=Role.LEADER,
            password_hash=password_hash,
        )
    _seed_provincial_staff(province_code, password_hash)
    office = Agency.objects.get(province_id=province_code, kind=AgencyKind.PROVINCE_OFFICE)
    admin = add_staff(
        username="admin",
        full_name="Quản trị hệ thống",
        agency=office,
        role=Role.ADMIN,
        password_hash=password_hash,
    )
    if not admin.is_staff:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    return User.objects.count()


# --- API tokens --------------------------------------------------------------------------------

API_TOKEN_PREFIX = "mct_"  # noqa: S105 (a public marker of our keys, not a secret)
# Touching ``last_used_at`` on every call would turn each API read into a write (and, on SQLite,
# a wait for the write lock); once per interval is enough to tell live tokens from dead ones.
API_TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def _api_token_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def issue_api_token(user: User, label: str, *, actor: Any = None) -> str:
    """Create a bearer key for ``user`` and return it: the only time the raw key exists.

    ``label`` says which client holds it (e.g. "drill", "cong-dvcqg"); 1 to 100 characters.
    """
    label = nfc(label or "")
    if not 1 <= len(label) <= 100:
        raise InvalidInput(
            _("Nhãn khóa truy cập phải có từ 1 đến 100 ký tự."), field="label", code="label_length"
        )
    raw_key = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, key_hash=_api_token_hash(raw_key), label=label, created_at=clock.now()
        )
        audit.record("org.api_token_issued", token, actor=actor, data={"user": user.pk})
    logger.info("org.api_token_issued token=%s user=%s", token.pk, user.pk)
    return raw_key


def bearer_key(request: HttpRequest) -> str | None:
    """The key of the request's ``Authorization: Bearer <key>`` header, or None."""
    scheme, _sep, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return key.strip() or None


def request_api_user(request: HttpRequest, raw_key: str) -> User | None:
    """``authenticate_api_token`` once per request and key: the middleware that refuses a bad
    key, the rate limits and the endpoint's authentication all ask."""
    known: dict[str, User | None] = request.__dict__.setdefault("_motcua_api_keys", {})
    if raw_key not in known:
        known[raw_key] = authenticate_api_token(raw_key)
    return known[raw_key]


def authenticate_api_token(raw_key: str) -> User | None:
    """The active officer holding ``raw_key``, or None; notes when the key was last used."""
    if not raw_key.startswith(API_TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_api_token_hash(raw_key), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= API_TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
