"""Acceptance of the foundation, in a real browser, end to end.

Nguyễn Văn An applies online at Phường Pleiku for two copies of his birth extract and pays
16.000 đ in the sandbox gateway. At the ward's service center the receiving officer
(tn.phuongpleiku) accepts: the page shows the code and the appointment. The specialist of the
ward People's Committee (cv.phuongpleiku) takes the dossier and submits it for approval with a
note; the leader (ld.phuongpleiku) approves; the receiving officer returns the result; An sees
"Đã trả kết quả" and downloads the result PDF from his dossier page.

The server is pytest-django's live server (a real threaded HTTP server in this process): the
sandbox gateway delivers its IPN to it over HTTP, as a bank would.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from motcua.conftest import PASSWORD, World
from motcua.deadlines.calendar import default_calendar
from motcua.dossiers.models import Dossier
from motcua.e2e import TIMEOUT_MS, VIEWPORT
from motcua.payments.models import InvoiceStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
FEE_KEY = "phi_khai_thac_ho_tich"
COPIES = 2
NOTE = "Đã đối chiếu Sổ đăng ký khai sinh số 12/2020, đề nghị cấp 2 bản sao trích lục."


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright's sync API keeps an event loop in this thread while the browser is open, and
    Django then refuses ORM calls as if they came from async code; this test reads the database
    between browser steps (the live server answers in its own threads)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    """The live server as motcua's public address, with the sandbox gateway on it."""
    settings.MOTCUA_PUBLIC_URL = live_server.url
    settings.MOTCUA_PAYMENT_GATEWAY_URL = live_server.url + "/sandbox-gateway/pay"
    settings.MOTCUA_PAYMENT_QUERY_URL = live_server.url + "/sandbox-gateway/query"
    settings.MOTCUA_SANDBOX_GATEWAY = True
    settings.MOTCUA_DEMO = False
    return str(live_server.url)


@pytest.fixture
def identity_pdf(tmp_path: Path) -> Path:
    """A small real PDF: the scan of An's ID card, rendered by WeasyPrint."""
    from weasyprint import HTML

    path = tmp_path / "cccd-nguyen-van-an.pdf"
    HTML(string="<h1>Căn cước công dân</h1><p>Nguyễn Văn An · 064090001234</p>").write_pdf(path)
    return path


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def local_today() -> date:
    return datetime.now(HCM).date()


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def log_in(browser: Browser, site: str, username: str) -> Page:
    """An officer's own browser context, logged in through the login page."""
    page = new_context(browser).new_page()
    page.goto(site + "/mot-cua/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text("Hồ sơ cần xử lý")
    return page


def open_from_worklist(page: Page, site: str, tab: str, code: str) -> None:
    """Worklist → ``tab`` → the dossier's desk."""
    page.goto(site + "/mot-cua/")
    page.get_by_role("tab", name=re.compile(re.escape(tab))).first.click()
    page.get_by_role("link", name=code, exact=True).click()
    expect(page.locator("h1.code")).to_have_text(code)


def act(page: Page, action: str, **fields: str) -> None:
    """Take a desk action: a plain button, or a panel to open, fill and confirm."""
    panel = page.locator(f"#action-{action}")
    if fields:
        panel.locator("summary").click()
        for name, value in fields.items():
            panel.locator(f"[name={name}]").fill(value)
        panel.get_by_role("button", name="Xác nhận").click()
    else:
        panel.get_by_role("button").click()
    expect(page.locator(".messages .message.success")).to_be_visible()


def test_citizen_applies_pays_and_downloads_the_result_after_every_desk(
    browser: Browser,
    pdftotext: str,
    site: str,
    world: World,
    identity_pdf: Path,
    tmp_path: Path,
) -> None:
    fee_item = world.procedure.fee_items.get(key=FEE_KEY)
    fee_text = vnd(fee_item.amount * COPIES)
    center = world.pleiku.center

    # --- the citizen applies ------------------------------------------------------------------
    citizen = new_context(browser).new_page()
    citizen.goto(site + "/")
    card = citizen.locator("article.proc-card").filter(has_text=world.procedure.code)
    card.get_by_role("link", name="Nộp trực tuyến").click()
    citizen.fill("#q", "pleiku")
    citizen.press("#q", "Enter")
    choice = citizen.locator("ul.center-list li").filter(
        has=citizen.get_by_text(center.name, exact=True)
    )
    choice.get_by_role("link", name="Nộp tại đây").click()
    expect(citizen.locator("#field-center strong")).to_have_text(center.name)

    form = world.form(copies=str(COPIES))
    for name in ("relationship", "event_type"):
        citizen.select_option(f"#id_{name}", form.pop(name))
    for name, value in form.items():
        citizen.fill(f"#id_{name}", value)
    citizen.set_input_files("#id_tep_identity_document", identity_pdf)
    expect(citizen.locator("[data-fee-output]")).to_contain_text(fee_text)
    before = local_today()
    citizen.get_by_role("button", name="Nộp hồ sơ").click()

    code_box = citizen.locator(".dossier-code")
    expect(code_box).to_be_visible()
    code = code_box.inner_text().strip()
    match = re.fullmatch(r"H52\.23575\.01-(\d{6})-0001", code)
    assert match is not None, code
    assert match.group(1) in {d.strftime("%y%m%d") for d in (before, local_today())}
    expect(citizen.locator("#phi .total")).to_have_text(f"{fee_text} đ")
    dossier = Dossier.objects.get(code=code)
    assert dossier.invoice.amount == fee_item.amount * COPIES == 16_000

    # --- ... and pays online in the sandbox gateway -------------------------------------------
    citizen.get_by_role("button", name="Thanh toán trực tuyến").click()
    expect(citizen.locator(".sandbox-banner")).to_be_visible()
    expect(citizen.locator(".amount")).to_have_text(f"{fee_text} đồng")
    citizen.get_by_role("button", name="Thanh toán", exact=True).click()
    expect(citizen.locator("[data-payment-status]")).to_have_attribute(
        "data-payment-status", "paid"
    )
    citizen.get_by_role("link", name="Về trang hồ sơ").click()
    expect(citizen.locator("#phi .badge")).to_have_text("Đã nộp")
    dossier.invoice.refresh_from_db()
    assert dossier.invoice.status == InvoiceStatus.PAID

    # --- the receiving officer accepts: code and appointment ----------------------------------
    receiver = log_in(browser, site, "tn.phuongpleiku")
    open_from_worklist(receiver, site, "Mới nộp", code)
    act(receiver, "accept")
    dossier.refresh_from_db()
    assert dossier.state == "accepted" and dossier.accepted_at is not None
    due = default_calendar().same_day_due(dossier.accepted_at).due_at
    due_text = due.astimezone(HCM).strftime("%H:%M %d/%m/%Y")
    expect(receiver.locator("h1.code")).to_have_text(code)
    expect(receiver.locator(".deadline-big")).to_have_text(due_text)
    expect(receiver.get_by_text(f"Đã tiếp nhận hồ sơ {code}, hẹn trả {due_text}.")).to_be_visible()

    # --- the specialist processes and submits for approval ------------------------------------
    specialist = log_in(browser, site, "cv.phuongpleiku")
    open_from_worklist(specialist, site, "Chờ nhận xử lý", code)
    act(specialist, "start_processing")
    act(specialist, "submit_for_approval", note=NOTE)
    expect(specialist.get_by_role("definition").filter(has_text=NOTE)).to_have_text(NOTE)

    # --- the leader approves ------------------------------------------------------------------
    leader = log_in(browser, site, "ld.phuongpleiku")
    open_from_worklist(leader, site, "Chờ phê duyệt", code)
    act(leader, "approve", note="Đồng ý.")
    expect(leader.locator(".state")).to_have_text("Đã có kết quả")

    # --- the receiving officer returns the result ---------------------------------------------
    open_from_worklist(receiver, site, "Chờ trả kết quả", code)
    act(receiver, "return_result")
    dossier.refresh_from_db()
    assert dossier.state == "returned"

    # --- the citizen sees it and downloads the result -----------------------------------------
    citizen.reload()
    expect(citizen.locator(".dossier-head .badge")).to_have_text("Đã trả kết quả")
    expect(citizen.locator(".appointment")).to_have_text(due_text)
    result_link = citizen.locator("#tai-lieu ul.files").first.get_by_role("link").first
    expect(result_link).to_have_text(f"{code}-ban-sao-1.pdf")
    with citizen.expect_download() as download_info:
        result_link.click()
    saved = tmp_path / "ket-qua.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    text = subprocess.run(  # noqa: S603 (poppler's pdftotext on the file we downloaded)
        [pdftotext, "-enc", "UTF-8", str(saved), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert code in text
