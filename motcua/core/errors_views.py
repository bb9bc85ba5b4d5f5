"""Error pages and error answers outside the views: Django's 400/403/404/500 handlers, the CSRF
failure view, the catch-all for unknown API addresses, and ``error_response`` for middleware.

Under /api/ every answer is JSON in the API's error shape ``{"code", "message", "field"?}``;
elsewhere a page that extends base.html (500.html stands alone: it must render when nothing
else works). Messages follow the user's language: the language switch (cookie) on pages, the
cookie or ``Accept-Language`` for the API, as ``VietnameseFirstMiddleware`` decides.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from motcua.core.errors import Forbidden, MotcuaError, NotFound

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
_MEGABYTE = 1024 * 1024

# The last resort when even 500.html cannot be rendered: no template, no translation.
_BARE_500 = (
    '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Lỗi hệ thống</title>'
    "<h1>Lỗi hệ thống / Server error</h1>"
    "<p>Vui lòng thử lại sau ít phút. / Please try again in a few minutes.</p>"
    '<p><a href="/">Trang chủ / Home</a></p></html>'
)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def language_of(request: HttpRequest) -> str:
    """The language the request is answered in, readable before LocaleMiddleware has run."""
    if is_api(request):
        return translation.get_language_from_request(request)
    try:
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or ""
        return translation.get_supported_language_variant(code)
    except LookupError:
        return settings.LANGUAGE_CODE


def megabytes(size: int) -> str:
    """``size`` bytes in MB for messages: "60", "1.5"."""
    return f"{size / _MEGABYTE:.1f}".removesuffix(".0")


def error_response(
    request: HttpRequest, error: MotcuaError, status: int | None = None, *, title: Any = None
) -> HttpResponse:
    """``error`` as JSON under /api/, as the error page (400.html) elsewhere."""
    status = status or error.status
    with translation.override(language_of(request)):
        if is_api(request):
            return JsonResponse(
                error.as_dict(), status=status, json_dumps_params={"ensure_ascii": False}
            )
        context = {"title": title or _("Yêu cầu không hợp lệ"), "error": error, "status": status}
        return render(request, "400.html", context, status=status)


def error_for_exception(exception: Exception | None) -> MotcuaError:
    """The error to show for an exception Django turns into a 400 (request parsing limits)."""
    if isinstance(exception, TooManyFilesSent):
        return MotcuaError(
            _(
                "Gửi quá nhiều tệp trong một lần: tối đa %(limit)s tệp. Hãy gộp các trang của "
                "một giấy tờ vào một tệp PDF."
            ),
            code="too_many_files",
            limit=settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        )
    if isinstance(exception, TooManyFieldsSent):
        return MotcuaError(
            _("Gửi quá nhiều trường dữ liệu trong một lần: tối đa %(limit)s trường."),
            code="too_many_fields",
            limit=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    if isinstance(exception, RequestDataTooBig):
        error = MotcuaError(
            _("Nội dung yêu cầu quá lớn: phần dữ liệu ngoài tệp đính kèm tối đa %(limit)s MB."),
            code="request_too_large",
            limit=megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0),
        )
        error.status = 413
        return error
    return MotcuaError(code="bad_request")


def title_for(error: MotcuaError) -> Any:
    return _("Yêu cầu quá lớn") if error.status == 413 else _("Yêu cầu không hợp lệ")


# --- Django's handlers (see handler400… in motcua/urls.py) -------------------------------------


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    error = error_for_exception(exception)
    return error_response(request, error, title=title_for(error))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return error_response(request, Forbidden())
    with translation.override(language_of(request)):
        return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The friendly 404 page; a message given to ``Http404("…")`` is shown on it."""
    if is_api(request):
        return error_response(request, NotFound())
    detail = None
    if exception is not None and not isinstance(exception, Resolver404) and exception.args:
        message = exception.args[0]
        detail = str(message) if isinstance(message, str) else None
    get_token(request)  # the page's language switch reads the token from the CSRF cookie
    context = {"detail": detail, "csrf_cookie_name": settings.CSRF_COOKIE_NAME}
    with translation.override(language_of(request)):
        return render(request, "404.html", context, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500.html without a request context: context processors may be what failed."""
    if is_api(request):
        error = MotcuaError(
            _("Lỗi hệ thống, yêu cầu chưa được xử lý. Vui lòng thử lại sau ít phút."),
            code="server_error",
        )
        return error_response(request, error, status=500)
    try:
        with translation.override(language_of(request)):
            return HttpResponseServerError(loader.get_template("500.html").render({}))
    except Exception:
        logger.exception("error_page.failed status=500")
        return HttpResponseServerError(_BARE_500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: most often a form left open past its session, or cookies blocked.
    (Django logs the failure itself, on django.security.csrf.)"""
    if is_api(request):
        error = Forbidden(
            _("Phiên làm việc đã hết hạn, vui lòng tải lại trang và thử lại."), code="csrf_failed"
        )
        return error_response(request, error)
    referer = request.META.get("HTTP_REFERER", "")
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    with translation.override(language_of(request)):
        return render(request, "403_csrf.html", {"back_url": referer if safe else "/"}, status=403)


@csrf_exempt
def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any address under /api/ that no endpoint serves (the last route of motcua/urls.py)."""
    error = NotFound(
        _("Không có địa chỉ API này; danh sách các địa chỉ có ở /api/docs."), code="not_found"
    )
    return error_response(request, error)
