"""The sandbox answers the payer's browser first and notifies motcua (IPN) afterwards, from a
thread of its own, as a bank's servers do: the payer never waits for the notification, and a
server that hosts the sandbox never has a request waiting for another of its own threads.

Committed data (a transactional test): the notification runs on its own connection.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.urls import reverse

from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from motcua.payments import gateway, sandbox
from motcua.payments.models import GatewayNotification, Invoice, InvoiceStatus

if TYPE_CHECKING:
    from motcua.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

IPN_PATH = "/thanh-toan/ipn/"
QUERY_PATH = "/sandbox-gateway/query"


class HeldNetwork(httpx.BaseTransport):
    """Carries the gateway's requests into this app; the IPN waits at a gate until released."""

    def __init__(self) -> None:
        self.inner = httpx.WSGITransport(app=WSGIHandler())
        self.at_gate = threading.Event()
        self.gate = threading.Event()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path == IPN_PATH:
            self.at_gate.set()
            self.gate.wait(timeout=30)
        return self.inner.handle_request(request)


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch, settings: Any) -> HeldNetwork:
    settings.MOTCUA_SANDBOX_IPN_BACKGROUND = True
    network = HeldNetwork()
    monkeypatch.setattr(gateway, "HTTP_TRANSPORT", network)
    return network


def test_the_payer_is_answered_before_the_notification_which_then_settles_the_fee(
    world: World, held: HeldNetwork, client: Client
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    start = client.post(reverse("payments:start", args=[dossier.access_token]))
    assert start.status_code == 302

    back = client.post(local(start["Location"]), {"choice": "pay"})

    # The browser has its answer while the notification is still held at the gate.
    assert back.status_code == 302
    assert back["Location"].startswith(settings.MOTCUA_PUBLIC_URL + reverse("payments:return"))
    assert held.at_gate.wait(timeout=10)
    assert GatewayNotification.objects.count() == 0
    assert Invoice.objects.get(dossier=dossier).status == InvoiceStatus.UNPAID

    held.gate.set()
    assert sandbox.drain(timeout=30) == 0

    notification = GatewayNotification.objects.get()
    assert (notification.outcome, notification.answer_code) == ("paid", "00")
    assert Invoice.objects.get(dossier=dossier).status == InvoiceStatus.PAID
    assert Dossier.objects.get(pk=dossier.pk).state == State.ACCEPTED
    # Back on motcua, the fee is already settled: no need to ask the gateway.
    page = client.get(local(back["Location"]))
    assert 'data-payment-status="paid"' in page.content.decode()
    assert held.paths == [IPN_PATH]


def test_a_notification_that_cannot_be_delivered_leaves_the_return_page_to_settle(
    world: World, held: HeldNetwork, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = world.dossier_in("awaiting_payment")
    start = client.post(reverse("payments:start", args=[dossier.access_token]))
    refused = threading.Event()

    def unreachable(params: Any) -> bool:
        refused.set()
        return False  # as deliver_ipn answers when motcua cannot be reached

    monkeypatch.setattr(sandbox, "deliver_ipn", unreachable)
    back = client.post(local(start["Location"]), {"choice": "pay"})
    assert sandbox.drain(timeout=30) == 0 and refused.is_set()
    assert GatewayNotification.objects.count() == 0

    page = client.get(local(back["Location"]))

    assert 'data-payment-status="paid"' in page.content.decode()
    assert held.paths == [QUERY_PATH]
    assert Invoice.objects.get(dossier=dossier).status == InvoiceStatus.PAID
