"""Acceptance of the land flow across agencies and boundaries, in a real browser, end to end.

Phạm Văn Dũng applies online for "Tách thửa hoặc hợp thửa đất" (1.012784, 12 working days) at
the service center of Phường Pleiku (former Gia Lai) for his plot in Phường Quy Nhơn (ward 21583,
former Bình Định), attaching Form 21, Form 22 and his certificate, and asks for 2 certificates:
(838.000 + 100.000) × 2 = 1.876.000 đ. At the Pleiku counter the receiving officer
(tn.phuongpleiku) takes the fee in cash, accepts (the appointment is 12 working days later)
and sends the paper file by courier to the Land Registration Office branch of Quy Nhơn, whose
specialist, Võ Thị Lan (cv.cn-vpdkdd-quy-nhon), receives it, takes the dossier and submits it
for approval; the branch leader, Đỗ Quang Huy (ld.cn-vpdkdd-quy-nhon), approves and sends the
result back to Pleiku by courier. The receiving officer receives the result and hands it over;
Dũng sees "Đã trả kết quả" and downloads the result notice from his dossier page.

The services' clock starts at 08:45 on Thursday 23 April 2026 (Vietnam time) and runs on with
real time: the 12 working days then pass over a weekend, Hùng Kings' day (observed Monday 27
April), Reunification Day and Labour Day (30 April, 1 May), so the appointment is a real test of
the calendar, and the same whatever day the suite runs. The test computes it on its own from
``holidays.country_holidays("VN")``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import Browser, BrowserContext, Page, expect

from motcua.catalog.models import Procedure
from motcua.conftest import PASSWORD, QUYNHON_WARD, World
from motcua.dossiers.models import Dossier, Transfer, TransferPurpose
from motcua.e2e import TIMEOUT_MS, VIEWPORT
from motcua.org.models import Agency, Role, User
from motcua.org.services import add_staff
from motcua.payments.models import InvoiceStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SPLIT = "1.012784"
WORKING_DAYS = 12
CERTIFICATES = 2
BRANCH = "cn-vpdkdd-quy-nhon"
# Thursday 23 April 2026, 08:45: a working day, in office hours.
START = datetime(2026, 4, 23, 8, 45, tzinfo=HCM)
DOCUMENTS = {
    "form_21": ("don-de-nghi-tach-thua-mau-21.pdf", "Đơn đề nghị tách thửa đất (Mẫu số 21)"),
    "form_22": ("ban-ve-tach-thua-mau-22.pdf", "Bản vẽ tách thửa đất (Mẫu số 22)"),
    "certificate": ("giay-chung-nhan-DA-123456.pdf", "Giấy chứng nhận số DA 123456"),
}
SPLIT_FORM = {
    "requester_name": "Phạm Văn Dũng",
    "requester_id_number": "052085001234",
    "requester_birth_date": "1985-03-12",
    "requester_phone": "0914222333",
    "requester_address": "25 Lê Lợi, tổ 5, Phường Pleiku",
    "parcel_ward": str(QUYNHON_WARD),
    "parcel_number": "125",
    "map_sheet": "18",
    "parcel_address": "Khu vực 3, Phường Quy Nhơn",
    "certificate_number": "DA 123456",
    "certificates": str(CERTIFICATES),
}
PROPOSAL = "Thửa 125 tờ 18 đủ điều kiện tách thửa theo Điều 220 Luật Đất đai; đề nghị cấp 2 GCN."
DECISION = "Đồng ý tách thửa, cấp 2 Giấy chứng nhận."


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright's sync API keeps an event loop in this thread while the browser is open, and
    Django then refuses ORM calls as if they came from async code; this test reads the database
    between browser steps (the live server answers in its own threads)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def running_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[], datetime]:
    """The services' clock (also read by the live server's threads): START, then real time on."""
    started = datetime.now(HCM)

    def now() -> datetime:
        return START + (datetime.now(HCM) - started)

    monkeypatch.setattr("motcua.core.clock.now", now)
    return now


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.MOTCUA_PUBLIC_URL = live_server.url
    settings.MOTCUA_DEMO = False
    return str(live_server.url)


@pytest.fixture
def scans(tmp_path: Path) -> dict[str, Path]:
    """Dũng's three scans as small real PDFs rendered by WeasyPrint."""
    from weasyprint import HTML

    paths = {}
    for key, (name, title) in DOCUMENTS.items():
        path = tmp_path / name
        HTML(string=f"<h1>{title}</h1><p>Phạm Văn Dũng · thửa 125, tờ bản đồ 18</p>").write_pdf(
            path
        )
        paths[key] = path
    return paths


@dataclass
class Branch:
    agency: Agency
    specialist: User
    leader: User


@pytest.fixture
def branch(world: World) -> Branch:
    """The Quy Nhơn branch of the Land Registration Office, with its specialist and leader."""
    agency = Agency.objects.get(slug=BRANCH)
    password_hash = make_password(PASSWORD)
    return Branch(
        agency=agency,
        specialist=add_staff(
            username=f"cv.{BRANCH}",
            full_name="Võ Thị Lan",
            agency=agency,
            role=Role.SPECIALIST,
            password_hash=password_hash,
        ),
        leader=add_staff(
            username=f"ld.{BRANCH}",
            full_name="Đỗ Quang Huy",
            agency=agency,
            role=Role.LEADER,
            password_hash=password_hash,
        ),
    )


def vnd(amount: int) -> str:
    return f"{amount:,} đ".replace(",", ".")


def when(moment: datetime) -> str:
    return moment.astimezone(HCM).strftime("%H:%M %d/%m/%Y")


def twelve_working_days_after(received: datetime) -> datetime:
    """The appointment, counted here without the product's calendar: the day of receipt is not
    counted; every following Monday-Friday that is not a public holiday of Vietnam is, and the
    result is due at the close of the office (17:00) on the 12th of them."""
    day_off = holidays.country_holidays("VN", years=range(received.year, received.year + 2))
    day, counted = received.astimezone(HCM).date(), 0
    while counted < WORKING_DAYS:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in day_off:
            counted += 1
    return datetime.combine(day, time(17, 0), tzinfo=HCM)


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


def act(page: Page, action: str, message: str | re.Pattern[str], **fields: str) -> None:
    """Take a desk action (a plain button, or a panel to open, fill and confirm) and read the
    success message."""
    panel = page.locator(f"#action-{action}")
    if panel.locator("summary").count():
        panel.locator("summary").click()
        for name, value in fields.items():
            control = panel.locator(f"[name={name}]")
            if control.evaluate("element => element.tagName") == "SELECT":
                control.select_option(value)
            else:
                control.fill(value)
        panel.get_by_role("button", name="Xác nhận").click()
    else:
        panel.get_by_role("button").click()
    expect(page.locator(".messages .message.success")).to_have_text(message)


def pdf_text(pdftotext: str, path: Path) -> str:
    return subprocess.run(  # noqa: S603 (poppler's pdftotext on a file this test saved)
        [pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def test_split_filed_at_pleiku_decided_at_quy_nhon_and_returned_at_pleiku(
    browser: Browser,
    pdftotext: str,
    site: str,
    world: World,
    branch: Branch,
    running_clock: Callable[[], datetime],
    scans: dict[str, Path],
    tmp_path: Path,
) -> None:
    procedure = Procedure.objects.get(code=SPLIT, is_current=True)
    fee_items = list(procedure.fee_items.all())
    assert {item.quantity_field for item in fee_items} == {"certificates"}
    fee = sum(item.amount for item in fee_items) * CERTIFICATES
    assert fee == (838_000 + 100_000) * 2
    center = world.pleiku.center
    receiver = world.pleiku.receiver

    # --- Dũng applies online at the Pleiku center for his plot in Quy Nhơn ---------------------
    citizen = new_context(browser).new_page()
    citizen.goto(site + "/")
    card = citizen.locator("article.proc-card").filter(has_text=SPLIT)
    card.get_by_role("link", name="Nộp trực tuyến").click()
    citizen.fill("#q", "pleiku")
    citizen.press("#q", "Enter")
    choice = citizen.locator("ul.center-list li").filter(
        has=citizen.get_by_text(center.name, exact=True)
    )
    choice.get_by_role("link", name="Nộp tại đây").click()
    expect(citizen.locator("#field-center strong")).to_have_text(center.name)

    citizen.select_option("#id_request_kind", "split")
    for name, value in SPLIT_FORM.items():
        citizen.fill(f"#id_{name}", value)
    for key, path in scans.items():
        citizen.set_input_files(f"#id_tep_{key}", path)
    expect(citizen.locator("[data-fee-output]")).to_have_text(vnd(fee))
    citizen.get_by_role("button", name="Nộp hồ sơ").click()

    code_box = citizen.locator(".dossier-code")
    expect(code_box).to_be_visible()
    code = code_box.inner_text().strip()
    assert re.fullmatch(r"H52\.23575\.\d{2}-260423-0001", code), code
    expect(citizen.locator("#phi .total")).to_have_text(vnd(fee))
    expect(citizen.locator("#phi .badge")).to_have_text("Chưa nộp")
    dossier = Dossier.objects.get(code=code)
    assert dossier.receiving_agency == center and dossier.competent_agency == branch.agency
    assert dossier.invoice.amount == fee

    # --- at the Pleiku counter: the fee in cash, then the receipt -------------------------------
    counter = log_in(browser, site, receiver.username)
    open_from_worklist(counter, site, "Mới nộp", code)
    expect(counter.locator(".chip.boundaryless")).to_be_visible()
    expect(counter.locator("#action-record_cash_payment button")).to_have_text(
        f"Thu phí tại quầy · {vnd(fee)}"
    )
    act(
        counter,
        "record_cash_payment",
        re.compile(rf"Đã thu {vnd(fee)} phí, lệ phí của hồ sơ {re.escape(code)}, biên lai số "),
    )
    dossier.invoice.refresh_from_db()
    assert dossier.invoice.status == InvoiceStatus.PAID
    expect(counter.locator(".messages .message.success")).to_have_text(
        f"Đã thu {vnd(fee)} phí, lệ phí của hồ sơ {code}, "
        f"biên lai số {dossier.invoice.receipt_number}."
    )

    act(counter, "accept", re.compile(rf"Đã tiếp nhận hồ sơ {re.escape(code)}, hẹn trả "))
    dossier.refresh_from_db()
    assert dossier.accepted_at is not None
    assert dossier.accepted_at.astimezone(HCM).date() == START.date()
    appointment = when(twelve_working_days_after(dossier.accepted_at))
    assert appointment == "17:00 14/05/2026"  # the count above, done by hand once
    expect(counter.locator(".messages .message.success")).to_have_text(
        f"Đã tiếp nhận hồ sơ {code}, hẹn trả {appointment}."
    )
    expect(counter.locator(".deadline-big")).to_have_text(appointment)

    # --- ... and the paper file goes to the Quy Nhơn branch by courier --------------------------
    act(
        counter,
        "send_file",
        re.compile(
            rf"Đã chuyển hồ sơ {re.escape(code)} đến {re.escape(branch.agency.name)}, "
            r"phiếu chuyển số PC-\S+\."
        ),
        means="courier",
        note="Chuyển bản gốc Giấy chứng nhận DA 123456 kèm hồ sơ.",
    )
    to_branch = Transfer.objects.get(dossier=dossier, purpose=TransferPurpose.FILE)
    slip_link = counter.locator("li.transfer a.code")
    expect(slip_link).to_have_text(to_branch.slip_number)
    expect(counter.locator(".custody")).to_contain_text("Đang chuyển")
    slip = counter.request.get(site + str(slip_link.get_attribute("href")))
    assert slip.ok and slip.headers["content-type"] == "application/pdf"
    (tmp_path / "phieu-chuyen.pdf").write_bytes(slip.body())
    slip_text = pdf_text(pdftotext, tmp_path / "phieu-chuyen.pdf")
    assert to_branch.slip_number in slip_text and code in slip_text

    # --- the branch receives the file, takes the dossier and submits it -------------------------
    specialist = log_in(browser, site, branch.specialist.username)
    open_from_worklist(specialist, site, "Hồ sơ chuyển đến", code)
    act(
        specialist,
        "receive_file",
        f"Đã nhận hồ sơ {code} theo phiếu chuyển số {to_branch.slip_number}.",
    )
    act(specialist, "start_processing", f"Đã nhận xử lý hồ sơ {code}.")
    act(
        specialist,
        "submit_for_approval",
        f"Đã trình lãnh đạo phê duyệt hồ sơ {code}.",
        note=PROPOSAL,
    )

    # --- the branch leader approves and sends the result back to Pleiku -------------------------
    leader = log_in(browser, site, branch.leader.username)
    open_from_worklist(leader, site, "Chờ phê duyệt", code)
    act(leader, "approve", f"Đã phê duyệt kết quả hồ sơ {code}.", note=DECISION)
    expect(leader.locator(".state")).to_have_text("Đã có kết quả")
    open_from_worklist(leader, site, "Kết quả chờ chuyển trả", code)
    act(
        leader,
        "send_file",
        re.compile(
            rf"Đã chuyển hồ sơ {re.escape(code)} đến {re.escape(center.name)}, "
            r"phiếu chuyển số PC-\S+\."
        ),
        means="courier",
    )
    to_center = Transfer.objects.get(dossier=dossier, purpose=TransferPurpose.RESULT)

    # --- Pleiku receives the result and hands it over -------------------------------------------
    open_from_worklist(counter, site, "Kết quả chuyển về", code)
    act(
        counter,
        "receive_file",
        f"Đã nhận hồ sơ {code} theo phiếu chuyển số {to_center.slip_number}.",
    )
    act(counter, "return_result", f"Đã trả kết quả hồ sơ {code}.")
    dossier.refresh_from_db()
    assert dossier.state == "returned" and dossier.holder == center

    # --- the desk's record of every hand-over ---------------------------------------------------
    # The timeline names each step and who took it where; the slip numbers, routes and receipts
    # are in the "Chuyển hồ sơ, kết quả" card beside it (the timeline entries do not show them).
    sender, taker = f"{receiver} · {center.name}", f"{branch.specialist} · {branch.agency.name}"
    steps = counter.locator("ol.timeline > li")
    expect(steps.locator("strong")).to_have_text(
        [
            "Nộp hồ sơ",
            "Tiếp nhận hồ sơ",
            "Chuyển hồ sơ",
            "Nhận hồ sơ chuyển đến",
            "Nhận xử lý",
            "Trình phê duyệt",
            "Phê duyệt kết quả",
            "Chuyển hồ sơ",
            "Nhận hồ sơ chuyển đến",
            "Trả kết quả",
        ]
    )
    handovers = steps.filter(
        has=counter.locator("strong").filter(
            has_text=re.compile(r"^(Chuyển hồ sơ|Nhận hồ sơ chuyển đến)$")
        )
    )
    expect(handovers.locator(".who")).to_have_text(
        [sender, taker, f"{branch.leader} · {branch.agency.name}", sender]
    )
    transfers = counter.locator("ul.transfers > li.transfer")
    expect(transfers).to_have_count(2)
    for row, transfer, route, received_by in (
        (transfers.nth(0), to_branch, (center, branch.agency), branch.specialist),
        (transfers.nth(1), to_center, (branch.agency, center), receiver),
    ):
        expect(row.locator(".route")).to_have_text(f"{route[0].name} → {route[1].name}")
        expect(row.locator("a.code")).to_have_text(transfer.slip_number)
        expect(row.locator(".muted").first).to_contain_text("Chuyển phát")
        expect(row.locator(".when").nth(1)).to_have_text(
            re.compile(rf"^Nhận: \d\d:\d\d 23/04/2026 · {re.escape(str(received_by))}$")
        )

    # --- Dũng sees the result and downloads it --------------------------------------------------
    citizen.reload()
    expect(citizen.locator(".dossier-head .badge")).to_have_text("Đã trả kết quả")
    expect(citizen.locator(".appointment")).to_have_text(appointment)
    expect(citizen.locator("#phi .badge")).to_have_text("Đã nộp")
    result_link = citizen.locator("#tai-lieu ul.files").first.get_by_role("link").first
    expect(result_link).to_have_text(f"{code}-ket-qua.pdf")
    with citizen.expect_download() as download_info:
        result_link.click()
    saved = tmp_path / "ket-qua.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert code in pdf_text(pdftotext, saved)
