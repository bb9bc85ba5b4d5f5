"""Bearer keys under /api/: a key that is not valid is refused on every endpoint."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from motcua.core.errors_views import error_response, is_api
from motcua.org.services import bearer_key, request_api_user

logger = logging.getLogger(__name__)


class ApiKeyMiddleware:
    """A request under /api/ carrying ``Authorization: Bearer <key>`` with a key that is
    unknown, revoked or of a deactivated officer is answered 401 ``invalid_token``, on the
    public endpoints too: an integration whose key was revoked learns it at its next call
    instead of being served, and counted, as anonymous. Placed after the rate limits, which
    count the request first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api(request):
            key = bearer_key(request)
            if key is not None and request_api_user(request, key) is None:
                from motcua.org.api import invalid_key

                logger.info("api.key_refused method=%s path=%s", request.method, request.path)
                return error_response(request, invalid_key())
        return self.get_response(request)
