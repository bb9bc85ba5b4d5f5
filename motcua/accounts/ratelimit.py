"""Rate limits on the public endpoints, per client address and endpoint group.

Anyone may call the citizen portal, the tracking page and API, the signature verification
page and API and the rating/complaint forms without signing in; each group gets a fixed-window
budget per client address (``MOTCUA_RATE_LIMITS``). The counters live in the database
(``RateCounter``) and each request adds one with a single ``INSERT … ON CONFLICT DO UPDATE …
RETURNING``, so concurrent requests in several web processes never lose a count. Officers
signed in and API clients holding a valid bearer key are not limited; the peers' inbound API
(national portal, other provinces) is authenticated and is not in any group.

Over the budget the answer is 429 with ``Retry-After`` (seconds until the window ends): JSON
``{"code": "rate_limited", …}`` under /api/, the error page elsewhere.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import RateCounter
from motcua.core import clock
from motcua.core.errors import MotcuaError
from motcua.core.errors_views import error_response

logger = logging.getLogger(__name__)

# Endpoint groups and their default budgets (requests per window).
SUBMIT = "submit"  # portal and API submissions, supplements, withdrawals
UPLOAD = "upload"  # a PDF uploaded for signature verification
FEEDBACK = "feedback"  # ratings and complaints
LOOKUP = "lookup"  # tracking, result access, stored signature reports, feedback pages

_UNITS = {
    "second": 1,
    "s": 1,
    "minute": 60,
    "m": 60,
    "hour": 3600,
    "h": 3600,
    "day": 86400,
    "d": 86400,
}


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: int


DEFAULT_LIMITS: dict[str, Limit] = {
    SUBMIT: Limit(20, 3600),
    UPLOAD: Limit(10, 60),
    FEEDBACK: Limit(20, 3600),
    LOOKUP: Limit(60, 60),
}


class RateLimited(MotcuaError):
    """Too many requests from one address to one group of public endpoints."""

    code = "rate_limited"
    status = 429
    default_message = _(
        "Quá nhiều yêu cầu từ địa chỉ của bạn: tối đa %(limit)s yêu cầu mỗi %(seconds_per)s "
        "giây. Vui lòng thử lại sau %(seconds)s giây."
    )


# The message for the usual windows, in words.
_MESSAGES = {
    1: _(
        "Quá nhiều yêu cầu từ địa chỉ của bạn: tối đa %(limit)s yêu cầu mỗi giây. "
        "Vui lòng thử lại sau %(seconds)s giây."
    ),
    60: _(
        "Quá nhiều yêu cầu từ địa chỉ của bạn: tối đa %(limit)s yêu cầu mỗi phút. "
        "Vui lòng thử lại sau %(seconds)s giây."
    ),
    3600: _(
        "Quá nhiều yêu cầu từ địa chỉ của bạn: tối đa %(limit)s yêu cầu mỗi giờ. "
        "Vui lòng thử lại sau %(seconds)s giây."
    ),
    86400: _(
        "Quá nhiều yêu cầu từ địa chỉ của bạn: tối đa %(limit)s yêu cầu mỗi ngày. "
        "Vui lòng thử lại sau %(seconds)s giây."
    ),
}


@lru_cache(maxsize=8)
def parse_limits(spec: str) -> dict[str, Limit]:
    """The budgets ``MOTCUA_RATE_LIMITS`` asks for: ``off`` none, ``on`` the defaults, or
    ``group=N/unit`` pairs separated by commas (``lookup=120/minute,submit=30/hour``) that
    replace those groups' defaults. Units: second, minute, hour, day (or s, m, h, d)."""
    value = spec.strip().lower()
    if value in ("off", "0", "false", "no"):
        return {}
    limits = dict(DEFAULT_LIMITS)
    if value in ("on", "1", "true", "yes", ""):
        return limits
    for part in value.split(","):
        group, _sep, rule = part.strip().partition("=")
        count, _slash, unit = rule.partition("/")
        group = group.strip()
        if group not in DEFAULT_LIMITS or not count.strip().isdigit() or unit.strip() not in _UNITS:
            raise ImproperlyConfigured(
                f"MOTCUA_RATE_LIMITS: {part.strip()!r} is not group=N/unit with group one of "
                f"{', '.join(DEFAULT_LIMITS)} and unit second, minute, hour or day"
            )
        limits[group] = Limit(int(count), _UNITS[unit.strip()])
    return limits


def current_limits() -> dict[str, Limit]:
    return parse_limits(str(settings.MOTCUA_RATE_LIMITS))


def group_of(request: HttpRequest) -> str | None:
    """The public endpoint group a request falls in, or None when it is not limited."""
    path = request.path_info
    post = request.method == "POST"
    if path.startswith("/api/"):
        return _api_group(path.removeprefix("/api"), post)
    if path.startswith("/nop-ho-so/"):
        return SUBMIT if post else None
    if path.startswith("/ho-so/"):
        return SUBMIT if post else LOOKUP
    if path.startswith("/tra-cuu/"):
        return LOOKUP
    if path == "/xac-thuc/" and post:
        return UPLOAD
    if path.startswith("/xac-thuc/"):
        return LOOKUP
    if path.startswith("/danh-gia/"):
        return FEEDBACK if post else LOOKUP
    return None


def _api_group(path: str, post: bool) -> str | None:
    if path.rstrip("/") == "/dossiers":
        return SUBMIT if post else None
    if path.startswith("/dossiers/track/") or path.startswith("/signatures/dossiers/"):
        return LOOKUP
    if path.rstrip("/") == "/signatures/verify":
        return UPLOAD if post else None
    if path.startswith("/dossiers/by-token"):
        if not post:
            return LOOKUP
        if path.endswith(("/rating", "/complaints")):
            return FEEDBACK
        return SUBMIT
    return None


def client_ip(request: HttpRequest) -> str | None:
    """The address the limits count: ``REMOTE_ADDR``, as the sign-in throttle and the audit
    trail's origin (a reverse proxy must set it to the client's address)."""
    ip = request.META.get("REMOTE_ADDR")
    return str(ip) if ip else None


def is_exempt(request: HttpRequest) -> bool:
    """Officers signed in, and API clients with a valid bearer key, are not limited."""
    user = getattr(request, "user", None)
    if (
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.is_staff or user.memberships.exists())
    ):
        return True
    from motcua.org.services import bearer_key, request_api_user

    key = bearer_key(request)
    return key is not None and request_api_user(request, key) is not None


@dataclass(frozen=True)
class Hit:
    count: int
    limit: Limit
    window_ends: datetime

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit.requests


def _window(now: datetime, seconds: int) -> tuple[int, datetime]:
    index = math.floor(now.timestamp() / seconds)
    return index, datetime.fromtimestamp((index + 1) * seconds, tz=UTC)


def counter_key(group: str, ip: str | None, index: int) -> str:
    return hashlib.sha256(f"{group}|{ip or '-'}|{index}".encode()).hexdigest()


def hit(group: str, ip: str | None, limit: Limit) -> Hit:
    """Count one request of ``ip`` to ``group`` in the current window; the count after it.

    One statement adds the count (autocommit: it is visible to every process at once); when it
    opened a new window, the rows of windows that have ended are deleted.
    """
    now = clock.now()
    index, window_ends = _window(now, limit.seconds)
    quote = connection.ops.quote_name
    table, key, count_ = quote(RateCounter._meta.db_table), quote("key"), quote("count")
    ends = connection.ops.adapt_datetimefield_value(window_ends)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, {count_}, {quote('window_ends')}) "  # noqa: S608
            f"VALUES (%s, 1, %s) ON CONFLICT ({key}) "
            f"DO UPDATE SET {count_} = {table}.{count_} + 1 RETURNING {count_}",
            [counter_key(group, ip, index), ends],
        )
        row = cursor.fetchone()
    count = int(row[0]) if row else 1
    if count == 1:
        RateCounter.objects.filter(window_ends__lte=now).delete()
    return Hit(count=count, limit=limit, window_ends=window_ends)


def refusal(request: HttpRequest, result: Hit) -> HttpResponse:
    seconds = max(1, math.ceil((result.window_ends - clock.now()).total_seconds()))
    error = RateLimited(
        _MESSAGES.get(result.limit.seconds),
        limit=result.limit.requests,
        seconds_per=result.limit.seconds,
        seconds=seconds,
    )
    response = error_response(request, error, title=_("Quá nhiều yêu cầu"))
    response["Retry-After"] = str(seconds)
    return response


class RateLimitMiddleware:
    """Counts requests to the public endpoint groups and refuses those over the budget.

    Placed after the authentication middleware (officers are recognised) and the CSRF
    middleware (the error page's language switch gets its token)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        current_limits()  # a malformed MOTCUA_RATE_LIMITS fails at start-up

    def __call__(self, request: HttpRequest) -> HttpResponse:
        group = group_of(request)
        if group is not None:
            limit = current_limits().get(group)
            if limit is not None and not is_exempt(request):
                ip = client_ip(request)
                result = hit(group, ip, limit)
                if not result.allowed:
                    logger.warning(
                        "ratelimit.refused group=%s count=%s key=%s",
                        group,
                        result.count,
                        counter_key(group, ip, 0)[:12],
                    )
                    return refusal(request, result)
        return self.get_response(request)
