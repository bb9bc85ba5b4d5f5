"""Where the current action comes from (IP, channel), kept per request for the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    channel: str = "system"


_origin: ContextVar[Origin] = ContextVar("motcua_origin", default=Origin())  # noqa: B039 (frozen)


def current_origin() -> Origin:
    return _origin.get()


class OriginMiddleware:
    """Remembers the client address and whether the request came through the API or a page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        token = _origin.set(Origin(ip=request.META.get("REMOTE_ADDR"), channel=channel))
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)
