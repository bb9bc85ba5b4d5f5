"""Request middleware: Vietnamese first on pages, and a guard against requests that cannot be
served (too large, too many files, NUL characters)."""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotcuaError
from motcua.core.errors_views import (
    error_for_exception,
    error_response,
    is_api,
    megabytes,
    title_for,
)

logger = logging.getLogger(__name__)


class VietnameseFirstMiddleware:
    """Pages are Vietnamese unless the user picks English with the switch (language cookie).

    The browser's Accept-Language is ignored on pages: an officer's or citizen's browser set to
    English must not turn a Vietnamese public service into an English one. API clients keep
    content negotiation through Accept-Language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


NUL = "\x00"
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_PARSING_LIMITS = (TooManyFilesSent, TooManyFieldsSent, RequestDataTooBig)

_NUL_RULE = {
    "path": _("Đường dẫn (URL) không được chứa ký tự điều khiển (NUL)."),
    "header": _("Tiêu đề “%(name)s” không được chứa ký tự điều khiển (NUL)."),
    "field": _("“%(name)s” không được chứa ký tự điều khiển (NUL)."),
    "body": _("Nội dung yêu cầu không được chứa ký tự điều khiển (NUL)."),
}


@dataclass(frozen=True)
class _Nul:
    """Where a NUL character was found: ``where`` picks the message, ``field`` names the place."""

    where: str
    field: str | None = None

    def error(self) -> MotcuaError:
        field = self.field.replace(NUL, "␀") if self.field is not None else None
        params = {"name": field} if field is not None else {}
        return MotcuaError(_NUL_RULE[self.where], code="control_chars", field=field, **params)


class RequestGuardMiddleware:
    """Refuses, before anything reads the database or the disk, a request that cannot be served.

    * a ``Content-Length`` over ``MOTCUA_REQUEST_MAX_BYTES``: 413, before the body is read;
    * more files than ``DATA_UPLOAD_MAX_NUMBER_FILES`` (``MOTCUA_UPLOAD_MAX_FILES``), more fields
      than Django allows, or too large a non-file body: 400 / 413 with the limit in words;
    * a NUL character in the path, a header, a query or form field (names and values; not in
      file contents) or a JSON body (raw, or the escape ``\\u0000``): 400, code
      "control_chars". PostgreSQL text cannot hold NUL, so such values would otherwise end as
      500s deep inside the services.

    Under /api/ the answer is JSON in the API's error shape, elsewhere the error page. On the
    way out it also gives django-ninja's bare "405 Method not allowed" that shape.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The error page carries the language switch, a form that needs a valid CSRF token;
        # answered from here, the request never reaches CsrfViewMiddleware.
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        error = self._refusal(request)
        if error is not None:
            logger.info(
                "request.refused code=%s status=%s method=%s",
                error.code,
                error.status,
                request.method,
            )
            return self._answer(request, error)
        response = self.get_response(request)
        if response.status_code == 405 and is_api(request) and not _is_json(response):
            return self._method_not_allowed(request, response)
        return response

    def _refusal(self, request: HttpRequest) -> MotcuaError | None:
        if NUL in request.path:
            return _Nul("path").error()
        nul = _nul_in_headers(request)
        if nul is not None:
            return nul.error()
        if _content_length(request) > settings.MOTCUA_REQUEST_MAX_BYTES:
            error = MotcuaError(
                _("Yêu cầu quá lớn: tổng dung lượng gửi lên tối đa %(limit)s MB."),
                code="request_too_large",
                limit=megabytes(settings.MOTCUA_REQUEST_MAX_BYTES),
            )
            error.status = 413
            return error
        try:
            nul = _nul_in_query(request) or _nul_in_body(request)
        except _PARSING_LIMITS as exception:
            return error_for_exception(exception)
        return nul.error() if nul is not None else None

    def _answer(self, request: HttpRequest, error: MotcuaError) -> HttpResponse:
        if is_api(request):
            return error_response(request, error)
        self.csrf.process_request(request)
        response = error_response(request, error, title=title_for(error))
        self.csrf.process_response(request, response)  # sets the CSRF cookie on ``response``
        return response

    def _method_not_allowed(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        allowed = response.get("Allow", "")
        error = MotcuaError(
            _("Phương thức %(method)s không dùng được ở địa chỉ này (được phép: %(allowed)s)."),
            code="method_not_allowed",
            method=request.method,
            allowed=allowed,
        )
        answer = error_response(request, error, status=405)
        answer["Allow"] = allowed
        return answer


def _is_json(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/json")


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _nul_in_headers(request: HttpRequest) -> _Nul | None:
    for key, value in request.META.items():
        if not (key.startswith("HTTP_") or key == "CONTENT_TYPE"):
            continue
        if isinstance(value, str) and NUL in value:
            return _Nul("header", key.removeprefix("HTTP_").replace("_", "-").title())
    return None


def _nul_in_query(request: HttpRequest) -> _Nul | None:
    return _nul_in_fields(request.GET)


def _nul_in_fields(data: QueryDict) -> _Nul | None:
    for name, values in data.lists():
        if NUL in name or any(isinstance(v, str) and NUL in v for v in values):
            return _Nul("field", name)
    return None


def _nul_in_body(request: HttpRequest) -> _Nul | None:
    """Form fields as Django parses them (file contents are left alone), any other body raw."""
    content_type = request.content_type or ""
    if content_type in _FORM_TYPES:
        if request.method == "POST":
            return _nul_in_fields(request.POST)
        if content_type == "application/x-www-form-urlencoded":
            return _nul_in_fields(QueryDict(request.body, encoding=request.encoding))
        return None
    if _content_length(request) == 0:
        return None
    return _nul_in_raw(request.body)


def _nul_in_raw(body: bytes) -> _Nul | None:
    """A raw NUL byte, or a JSON string that decodes to one (found by parsing: ``\\\\u0000`` is
    a backslash and "u0000", which is harmless)."""
    if b"\x00" in body:
        return _Nul("body")
    if b"\\u0000" not in body:
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON: the API answers "malformed_json" for it
    path = _nul_in_json(document)
    if path is None:
        return None
    return _Nul("field", path) if path else _Nul("body")


def _nul_in_json(document: Any) -> str | None:
    """The path ("form.requester_name", "attachments[0].name") of the first string, or key,
    holding a NUL; "" for the document itself; None when there is none. Iterative: nesting is
    only as deep as ``json.loads`` allows, but a recursive walk would add its own frames."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return path
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                child = f"{path}.{key}" if path else key
                if NUL in key:
                    return child
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))
    return None
