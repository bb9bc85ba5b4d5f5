"""The HTTP API under /api/: one NinjaAPI, one router per context, errors rendered in one place.

Every error body is ``{"code", "message", "field"?, "errors"?}`` (see ``motcua.core.errors``),
in the language of the request's ``Accept-Language`` (Vietnamese by default). Times are ISO 8601
in Vietnam time (+07:00). The OpenAPI document is /api/openapi.json; /api/docs shows it with the
Swagger UI that django-ninja ships (served from our own static files, never from a CDN).
"""

import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from motcua.catalog.api import router as catalog_router
from motcua.core.errors import InvalidInput, InvalidInputs, MotcuaError, NotFound
from motcua.core.security_openapi import add_error_responses
from motcua.dossiers.api import form_errors_of
from motcua.dossiers.api import router as dossiers_router
from motcua.drill.api import router as drill_router
from motcua.eoffice.api import router as eoffice_router
from motcua.exchange.api import router as exchange_router
from motcua.org.api import NotAuthenticated
from motcua.org.api import router as org_router
from motcua.pki.api import router as pki_router
from motcua.reports.api import router as reports_router

logger = logging.getLogger(__name__)


class LocalTimeEncoder(NinjaJSONEncoder):
    """Aware datetimes in Vietnam time to the second ("2026-02-13T16:45:00+07:00")."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime) and timezone.is_aware(o):
            return timezone.localtime(o).isoformat(timespec="seconds")
        if isinstance(o, Promise):
            return str(o)
        return super().default(o)


class LocalTimeRenderer(JSONRenderer):
    encoder_class = LocalTimeEncoder
    json_dumps_params = {"ensure_ascii": False}


class MotcuaAPI(NinjaAPI):
    """Its OpenAPI document also lists the error answers every operation may give."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return add_error_responses(super().get_openapi_schema(*args, **kwargs))


api = MotcuaAPI(
    title="motcua API",
    version="1",
    description=(
        "Hồ sơ thủ tục hành chính một cửa — API cho Cổng DVCQG, hệ thống tỉnh bạn, diễn tập và "
        "tích hợp. Cán bộ xác thực bằng phiên đăng nhập hoặc khóa Bearer "
        "(`motcua issue-token <tên đăng nhập>`); người nộp hồ sơ bằng tiêu đề `X-Dossier-Token`."
    ),
    urls_namespace="api",
    renderer=LocalTimeRenderer(),
    # validatorUrl: Swagger UI would otherwise send the document to validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
)
api.add_router("/", catalog_router)
api.add_router("/", org_router)
api.add_router("/", dossiers_router)
api.add_router("/", eoffice_router)
api.add_router("/", exchange_router)
api.add_router("/", reports_router)
api.add_router("/", pki_router)
api.add_router("/", drill_router)


def _render(request: HttpRequest, error: MotcuaError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(MotcuaError)
def motcua_error(request: HttpRequest, exc: MotcuaError) -> HttpResponse:
    return _render(request, exc)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Schema errors (missing field, wrong type…) in our shape, one entry per field; a JSON
    body that is not an object (a list, a number, null) is that one error, not each field
    of the object it should have been."""
    body = _json_body(request)
    if body is not _NO_BODY and not isinstance(body, dict):
        error = InvalidInput(
            _('Nội dung yêu cầu phải là một đối tượng JSON, dạng {"tên trường": giá trị, …}.'),
            field="body",
            code="not_an_object",
        )
        return _render(request, error)
    errors: list[InvalidInput] = []
    for item in exc.errors:
        error = _field_error(item)
        # One error per field and rule: a union reports each of its members, whose types
        # are then all named ("an integer or a string").
        same = [e for e in errors if (e.field, e.code) == (error.field, error.code)]
        if not same:
            errors.append(error)
        elif error.code == "type" and error.field is not None:
            merged = _type_error(error.field, same[0].params["kinds"] + error.params["kinds"])
            errors[errors.index(same[0])] = merged
    companion = _COMPANIONS.get(getattr(request.resolver_match, "url_name", None) or "")
    if companion is not None and isinstance(body, dict):
        flagged = {error.field for error in errors}
        errors += [error for error in companion(body) if error.field not in flagged]
    return _render(request, InvalidInputs(errors))


# Checks of an operation's own that still run when its body breaks the schema, their errors
# joining the schema's: a submission's e-form is checked even if, say, ``center`` is wrong.
_COMPANIONS: dict[str, Callable[[dict[str, Any]], list[InvalidInput]]] = {
    "dossier-submit": form_errors_of,
}


_NO_BODY = object()


def _json_body(request: HttpRequest) -> Any:
    """The request's JSON body, or ``_NO_BODY`` (not a write, not JSON, or not parseable)."""
    if request.method not in ("POST", "PUT", "PATCH") or "json" not in (request.content_type or ""):
        return _NO_BODY
    try:
        return json.loads(request.body)
    except ValueError:
        return _NO_BODY


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _render(request, NotAuthenticated())


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # django-ninja's only 400: a request body that is not JSON.
        error = MotcuaError(
            _("Nội dung yêu cầu không phải JSON hợp lệ."), code="malformed_json", field="body"
        )
        return _render(request, error)
    logger.info("api.http_error status=%s path=%s", exc.status_code, request.path)
    return api.create_response(
        request, {"code": f"http_{exc.status_code}", "message": str(exc)}, status=exc.status_code
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _render(request, NotFound())


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    error = MotcuaError(_("Nội dung yêu cầu quá lớn."), code="request_too_large")
    return api.create_response(request, error.as_dict(), status=413)


# --- schema errors in words --------------------------------------------------------------------

# A value of the wrong JSON type: what the field takes instead, in words.
_TYPE_ERRORS = {
    "string_type": _("một chuỗi ký tự"),
    "int_type": _("một số nguyên"),
    "int_parsing": _("một số nguyên"),
    "int_from_float": _("một số nguyên"),
    "float_type": _("một số"),
    "float_parsing": _("một số"),
    "bool_type": _("true hoặc false"),
    "bool_parsing": _("true hoặc false"),
    "dict_type": _("một đối tượng JSON {…}"),
    "model_type": _("một đối tượng JSON {…}"),
    "model_attributes_type": _("một đối tượng JSON {…}"),
    "list_type": _("một danh sách JSON […]"),
    "date_type": _("một ngày dạng YYYY-MM-DD"),
    "date_from_datetime_parsing": _("một ngày dạng YYYY-MM-DD"),
    "datetime_type": _("một thời điểm ISO 8601"),
    "datetime_from_date_parsing": _("một thời điểm ISO 8601"),
}


_OR = _("hoặc")


def _type_error(field: str, expected: list[Any]) -> InvalidInput:
    """``field`` must be one of ``expected`` (several for a union such as ``int | str``)."""

    def words() -> str:  # in the language the error is finally written in
        kinds = dict.fromkeys(str(kind) for kind in expected)
        return f" {_OR} ".join(kinds)

    joined = lazy(words, str)()
    return InvalidInput(
        _("“%(name)s” phải là %(expected)s."),
        field=field,
        code="type",
        name=field,
        expected=joined,
        kinds=expected,
    )


# A number out of its range: the rule in words, with its bound (the pydantic context's key).
_BOUNDS = {
    "greater_than_equal": (_("“%(name)s” phải từ %(limit)s trở lên."), "ge"),
    "greater_than": (_("“%(name)s” phải lớn hơn %(limit)s."), "gt"),
    "less_than_equal": (_("“%(name)s” không được lớn hơn %(limit)s."), "le"),
    "less_than": (_("“%(name)s” phải nhỏ hơn %(limit)s."), "lt"),
}


def _field_error(item: dict[str, Any]) -> InvalidInput:
    field = _field_path(item.get("loc", ()))
    kind = str(item.get("type", ""))
    ctx = item.get("ctx") or {}
    if kind == "missing":
        return InvalidInput(_("“%(name)s” là bắt buộc."), field=field, code="required", name=field)
    if kind in _TYPE_ERRORS:
        return _type_error(field, [_TYPE_ERRORS[kind]])
    if kind == "string_too_long":
        return InvalidInput(
            _("“%(name)s” dài quá %(limit)s ký tự."),
            field=field,
            code="max_length",
            name=field,
            limit=ctx.get("max_length"),
        )
    if kind in _BOUNDS:
        message, bound = _BOUNDS[kind]
        return InvalidInput(message, field=field, code="range", name=field, limit=ctx.get(bound))
    if kind in ("literal_error", "enum"):
        return InvalidInput(
            _("“%(name)s” phải là một trong: %(expected)s."),
            field=field,
            code="choice",
            name=field,
            expected=str(ctx.get("expected", "")).replace(" or ", ", "),
        )
    return InvalidInput(_("“%(name)s” không hợp lệ."), field=field, code="invalid", name=field)


# How pydantic tags the member of a union in an error's location: "int", "str",
# "list[str]", "function-after[…]"; never the name of one of our fields.
_UNION_MEMBER = re.compile(r"(int|str|float|bool|none|[a-z-]+\[.*\])")


def _field_path(loc: Any) -> str:
    """("body", "payload", "attachments", 0, "name") → "attachments[0].name"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
        # Ninja nests a body under the handler's parameter name; clients never see it (a
        # missing body is the body's error).
        if loc[0] == "body" and parts and parts[0] == "payload":
            parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, str) and _UNION_MEMBER.fullmatch(part):
            continue  # pydantic names which member of ``int | str`` failed; the field is one
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"
