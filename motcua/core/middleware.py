"""Language choice: Vietnamese first on pages, whatever the browser prefers."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
