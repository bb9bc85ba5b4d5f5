"""The HTTP API under /api/ (OpenAPI at /api/docs): one NinjaAPI, routers per context."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from motcua.core.errors import MotcuaError

api = NinjaAPI(
    title="motcua API",
    version="1",
    description="Hồ sơ thủ tục hành chính một cửa — API cho Cổng DVCQG, tỉnh bạn, diễn tập.",
    urls_namespace="api",
)


@api.exception_handler(MotcuaError)
def motcua_error(request: HttpRequest, exc: MotcuaError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)
