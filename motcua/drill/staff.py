"""API keys for the demo officers of a drill instance (``motcua drill tokens``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from motcua.org.models import Agency, AgencyKind, User
from motcua.org.services import issue_api_token

DRILL_LABEL = "drill"


def issue_drill_tokens() -> dict[str, Any]:
    """One key per demo officer: ``admin``; per commune (by ward code) its receiver, specialist
    and leader; per land-office branch (by slug) its specialist and leader. The demo accounts
    follow ``seed_demo_staff``'s naming (``tn.``/``cv.``/``ld.`` + the commune's code name)."""
    users = {user.username: user for user in User.objects.filter(is_active=True)}

    def key(username: str) -> str | None:
        user = users.get(username)
        return issue_api_token(user, DRILL_LABEL, actor="drill") if user is not None else None

    province = settings.MOTCUA_PROVINCE_CODE
    units: dict[str, dict[str, str | None]] = {}
    centers = Agency.objects.filter(province_id=province, kind=AgencyKind.COMMUNE_CENTER)
    for center in centers.select_related("ward"):
        assert center.ward is not None  # noqa: S101
        slug = center.ward.codename.replace("_", "")
        units[str(center.ward_id)] = {
            "receiver": key(f"tn.{slug}"),
            "specialist": key(f"cv.{slug}"),
            "leader": key(f"ld.{slug}"),
        }
    branches: dict[str, dict[str, str | None]] = {}
    for branch in Agency.objects.filter(province_id=province, kind=AgencyKind.LAND_BRANCH):
        branches[branch.slug] = {
            "specialist": key(f"cv.{branch.slug}"),
            "leader": key(f"ld.{branch.slug}"),
        }
    return {"admin": key("admin"), "units": units, "branches": branches}
