"""The payments test world: the shared cast (``motcua/conftest.py``) and a network.

Nguyễn Văn An asks Phường Pleiku online for two copies of his birth extract (fee: the fee
schedule's 8,000 VND a copy); the ward's receiving officer accepts the dossier, which waits
for the fee. The gateway is the built-in sandbox, reached over real HTTP requests carried by an
httpx WSGI transport into this same Django app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from motcua.payments import gateway

FEE_KEY = "phi_khai_thac_ho_tich"


def fee_for(world: Any, form: dict[str, Any]) -> int:
    """What the fee schedule says the applicant owes: the item's unit amount × copies."""
    item = world.procedure.fee_items.get(key=FEE_KEY)
    return int(item.amount) * int(form["copies"])


class QuietDjangoApp:
    """This Django app as a WSGI app, minus the per-request connection recycling.

    Django closes "old" connections when a request starts and finishes; inside a test, that
    would close the connection that holds the test's transaction. The test client switches it
    off around its own requests in the same way.
    """

    def __init__(self) -> None:
        self.app = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        started = request_started.disconnect(close_old_connections)
        finished = request_finished.disconnect(close_old_connections)
        try:
            result = self.app(environ, start_response)
            body = b"".join(result)
            result.close()  # type: ignore[attr-defined]
        finally:
            if started:
                request_started.connect(close_old_connections)
            if finished:
                request_finished.connect(close_old_connections)
        return [body]


class Recorder(httpx.BaseTransport):
    """Carries requests into the app (or refuses them, for the paths in ``down``; "*" for all)
    and keeps every request it saw."""

    def __init__(self) -> None:
        self.inner = httpx.WSGITransport(app=QuietDjangoApp())
        self.requests: list[httpx.Request] = []
        self.down: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if "*" in self.down or request.url.path in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return self.inner.handle_request(request)

    def sent_to(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Recorder]:
    """Gateway traffic (IPN delivery, status queries) over HTTP into this app. The sandbox
    notifies inside the payer's request here: a thread of its own would not see the test's
    transaction (``test_background_ipn.py`` covers the background delivery)."""
    settings.MOTCUA_SANDBOX_IPN_BACKGROUND = False
    recorder = Recorder()
    monkeypatch.setattr(gateway, "HTTP_TRANSPORT", recorder)
    yield recorder
