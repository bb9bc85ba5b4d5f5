"""API of the organisation: service centers, and how officers authenticate to the API.

Officers call the API either from the browser with their session (CSRF-checked on writes) or
from a client with a bearer key issued by ``motcua issue-token`` (``Authorization: Bearer …``).
"""

from typing import Any

from django.conf import settings
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from motcua.core.errors import Forbidden, MotcuaError
from motcua.core.pagination import Pages
from motcua.core.text import search_key
from motcua.org.models import SERVICE_CENTER_KINDS, Agency, AgencyKind, User
from motcua.org.services import request_api_user

router = Router(tags=["Đơn vị"])


class NotAuthenticated(MotcuaError):
    """No valid credentials: neither a session nor a known bearer key."""

    code = "unauthenticated"
    status = 401
    default_message = _("Cần đăng nhập hoặc gửi khóa truy cập API hợp lệ.")


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer <key>``; a key that is unknown or revoked is refused outright."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = request_api_user(request, token)
        if user is None:
            raise invalid_key()
        return user


def invalid_key() -> NotAuthenticated:
    return NotAuthenticated(
        _("Khóa truy cập API không hợp lệ hoặc đã bị thu hồi."), code="invalid_token"
    )


class OfficerSession(APIKeyCookie):
    """The browser session of a signed-in officer; unsafe methods must carry the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise Forbidden(_("Thiếu hoặc sai mã chống giả mạo (CSRF)."), code="csrf_failed")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


officer_auth = [ApiTokenAuth(), OfficerSession()]


def officer_of(request: HttpRequest) -> User:
    """The officer on whose behalf an ``officer_auth`` endpoint runs."""
    user: User = request.auth  # type: ignore[attr-defined]  # set by django-ninja's auth
    return user


# --- service centers ---------------------------------------------------------------------------


class CenterOut(Schema):
    id: int
    slug: str
    code: str = Field(description="mã định danh điện tử của cơ quan")
    code_is_placeholder: bool
    name: str
    kind: str
    provincial: bool
    ward_code: int | None
    ward_name: str | None
    former_province: str
    former_province_label: str
    address: str

    @staticmethod
    def resolve_provincial(obj: Agency) -> bool:
        return obj.kind == AgencyKind.PROVINCE_CENTER

    @staticmethod
    def resolve_ward_code(obj: Agency) -> int | None:
        return obj.ward_id

    @staticmethod
    def resolve_ward_name(obj: Agency) -> str | None:
        return obj.ward.name if obj.ward is not None else None

    @staticmethod
    def resolve_former_province_label(obj: Agency) -> str:
        return str(obj.get_former_province_display())


class CenterQuery(Schema):
    q: str = Field("", max_length=100, description="tên xã, phường, có dấu hay không dấu")


@router.get("/centers", response=list[CenterOut], url_name="centers")
@paginate(Pages, page_size=50)
def list_centers(request: HttpRequest, filters: Query[CenterQuery]) -> QuerySet[Agency]:
    """Public Administration Service Centers of the province, the provincial one first.

    ``q`` matches the center's or its commune's name with or without diacritics and spaces
    ("pleiku", "Plei Ku", "Phường Pleiku"), or a commune code ("23575").
    """
    centers = Agency.objects.filter(
        kind__in=SERVICE_CENTER_KINDS, province_id=settings.MOTCUA_PROVINCE_CODE
    ).select_related("ward")
    query = filters.q.strip()
    if query.isdigit():
        centers = centers.filter(ward_id=int(query))
    elif search_key(query):
        key = search_key(query)
        centers = centers.filter(Q(search_key__contains=key) | Q(ward__search_key__contains=key))
    provincial_first = Case(
        When(kind=AgencyKind.PROVINCE_CENTER, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return centers.order_by(provincial_first, "name", "pk")
