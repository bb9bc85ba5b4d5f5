"""The operator's pages in a real browser: find the abandoned message, send it again, see the
stream behind it go out, check the periodic jobs; then the same pages at phone width."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from playwright.sync_api import Browser, expect

from motcua.conftest import World
from motcua.e2e import TIMEOUT_MS, VIEWPORT
from motcua.e2e.conftest import browser  # noqa: F401 (the shared Chromium fixture)
from motcua.exchange import outbox, schedule
from motcua.exchange.models import OutboxMessage, OutboxState, Peer
from motcua.exchange.transport import InProcessTransport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test reads and writes the database between browser steps."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _session_cookie(world: World, site: str) -> dict[str, Any]:
    """The administrator's session (the sign-in page has tests of its own)."""
    client = Client()
    client.force_login(world.admin)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}


def test_an_administrator_sends_an_abandoned_message_again(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    live_server: Any,
    world: World,
) -> None:
    peer = Peer.objects.create(
        code="tinh-binh-dinh", name="Hệ thống một cửa tỉnh bạn", kind="province",
        base_url="http://127.0.0.1:9", secret="bi-mat-dung-chung-tinh-ban",
    )  # fmt: skip
    with transaction.atomic():
        dead, waiting = (
            outbox.post(
                peer=peer,
                kind="test.status",
                payload={"seq": seq},
                stream="dossier:41",
                dedupe_key=f"dossier:41:{seq}",
            )  # fmt: skip
            for seq in (1, 2)
        )
    OutboxMessage.objects.filter(pk=dead.pk).update(
        state=OutboxState.DEAD, attempts=12, last_error="HTTP 500"
    )
    schedule.run_job(schedule.JOBS["payments.refresh"], worker_id="w1")
    site = str(live_server.url)

    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([_session_cookie(world, site)])  # type: ignore[list-item]
    page = context.new_page()
    page.goto(site + "/mot-cua/")
    page.get_by_role("link", name="Liên thông", exact=True).click()
    expect(page.locator("h1")).to_have_text("Hệ thống liên thông")
    row = page.locator("tr[data-peer=tinh-binh-dinh]")
    expect(row).to_contain_text("Đã gửi 0 · Chờ gửi 1 · Ngừng gửi 1")

    row.get_by_role("link", name="tinh-binh-dinh").click()
    expect(page.locator("h1")).to_have_text("Tin gửi đến Hệ thống một cửa tỉnh bạn")
    dead_row = page.locator(f"tr[data-message='{dead.pk}']")
    expect(dead_row).to_contain_text("Ngừng gửi")
    expect(dead_row).to_contain_text("HTTP 500")
    expect(page.locator(f"tr[data-message='{waiting.pk}']")).to_contain_text(
        "chờ tin trước trong luồng"
    )
    dead_row.get_by_role("button", name="Gửi lại").click()
    expect(page.locator(".messages, .message, [role=status]").first).to_contain_text(
        f"Tin #{dead.pk} sẽ được gửi lại ngay."
    )
    expect(page.locator(f"tr[data-message='{dead.pk}']")).to_have_attribute("data-state", "pending")

    # The worker's sweep (in process here): the peer takes both, in order.
    received: list[int] = []
    transport = InProcessTransport()
    transport.route(
        "tinh-binh-dinh",
        outbox.ENVELOPE_PATH,
        lambda path, body, message_id: received.append(body["payload"]["seq"]) or {"ok": True},
    )
    assert outbox.deliver_due(worker_id="w1", transport=transport).delivered == 2
    page.reload()
    expect(page.locator("tr[data-state=delivered]")).to_have_count(2)
    assert received == [1, 2]

    page.get_by_role("link", name="Tác vụ định kỳ").click()
    job = page.locator("tr[data-job='payments.refresh']")
    expect(job).to_contain_text("Thành công")
    expect(page.locator("tr[data-job='dossiers.escalate']")).to_contain_text("Chưa chạy lần nào.")

    # At phone width the tables scroll inside their card; the page itself does not.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site + "/mot-cua/lien-thong/hop-thu-di/")
    expect(page.locator("h1")).to_have_text("Tin gửi đi")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    context.close()
