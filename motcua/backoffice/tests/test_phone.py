"""The officers' pages on a phone (390 px wide) in Debian's Chromium: nothing runs off the side.

A receiving officer signs in on the login page, then opens the worklist, a dossier's desk with
an action form open, and the counter form; then a land dossier's desk with its transfers,
consultation and new appointment, and the dossier register form. On each, the page is no wider
than the screen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from motcua.backoffice.tests.conftest import PASSWORD, LandDesk, Office
from motcua.e2e import MISSING_CHROMIUM, chromium_available, launch_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(office: Office, live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    """The receiver's phone, signed in; the desk data is made before the browser starts."""
    if not chromium_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(MISSING_CHROMIUM, pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    # Playwright keeps an event loop in this thread; the live server answers in its own.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser: Browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport=PHONE, locale="vi-VN")
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.goto(live_server.url + "/mot-cua/dang-nhap/")
            page.fill("#id_username", office.receiver.username)
            page.fill("#id_password", PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(live_server.url + "/mot-cua/")
            yield page
        finally:
            browser.close()


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen."""
    width: int = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return width


def test_worklist_desk_and_counter_form_fit_a_phone(
    office: Office, live_server: Any, phone: Page
) -> None:
    dossier = office.world.submit(uploads=[office.world.pdf("CCCD mặt trước và mặt sau.pdf")])

    phone.goto(live_server.url + "/mot-cua/")
    assert phone.locator("h1").inner_text() == "Hồ sơ cần xử lý"
    assert phone.get_by_role("link", name=dossier.code).is_visible()
    assert overflow(phone) == 0

    phone.get_by_role("link", name=dossier.code).click()
    phone.locator("#action-request_supplement summary").click()
    assert phone.locator("#id_request_supplement_items").is_visible()
    assert overflow(phone) == 0

    phone.goto(live_server.url + "/mot-cua/tiep-nhan/2.000635/")
    assert phone.locator("#id_requester_name").is_visible()
    assert overflow(phone) == 0


def test_a_land_desk_with_its_journey_fits_a_phone(
    land: LandDesk, live_server: Any, phone: Page
) -> None:
    from datetime import date

    from motcua.dossiers import services

    dossier = land.processing()
    services.request_consultation(
        dossier.pk,
        actor=land.quynhon.specialist,
        agency_id=land.department.pk,
        question="Thửa 125 có nằm trong quy hoạch mở rộng đường Xuân Diệu không?",
        days=2,
    )
    services.reschedule(
        dossier.pk, actor=land.quynhon.leader, new_date=date(2026, 12, 22), reason="Đo đạc lại."
    )
    land.received()  # a file the center still has to send

    phone.goto(live_server.url + f"/mot-cua/ho-so/{dossier.pk}/")
    assert phone.locator("#h-transfers").is_visible()
    assert phone.locator("#h-substeps").is_visible()
    assert phone.get_by_text("Xin lỗi, hẹn lại ngày trả kết quả").first.is_visible()
    assert overflow(phone) == 0

    phone.goto(live_server.url + "/mot-cua/")
    phone.locator(".register-book summary").click()
    assert phone.locator("#id_register_start").is_visible()
    assert overflow(phone) == 0
