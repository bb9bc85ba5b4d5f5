"""Acceptance of the electronic office, in a real browser, as a new user would try it.

At Phường Pleiku's People's Committee the clerk (vt.phuongpleiku) drafts an official letter to
the provincial Department of Justice and sends it for review; the leader (ld.phuongpleiku)
approves and signs it; the clerk issues it (number 01, "Số: 01/UBND-VP") and sends it. At Sở
Tư pháp the clerk (vt.so-tu-phap-gia-lai) registers it as incoming and assigns it to a
specialist (cv.so-tu-phap-gia-lai) for 5 working days, who starts and completes it. The
sender sees each status. The signed PDF downloaded from the page carries two valid signatures,
the leader's then the seal's (pyHanko and poppler's pdfsig), and a tampered copy is reported
altered.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, Page, expect
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from motcua.conftest import PASSWORD, World
from motcua.deadlines.calendar import default_calendar
from motcua.e2e import TIMEOUT_MS, VIEWPORT
from motcua.eoffice.models import IncomingEntry, OfficialDocument
from motcua.eoffice.tests.conftest import Office, make_office, use_pki
from motcua.pki import store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "Đề nghị hướng dẫn chứng thực bản sao điện tử từ bản chính"


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test reads the database between browser steps, under Playwright's event loop."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.MOTCUA_PUBLIC_URL = live_server.url
    settings.MOTCUA_DEMO = False
    return str(live_server.url)


@pytest.fixture
def office(world: World) -> Office:
    """Clerks at Phường Pleiku and at Sở Tư pháp, and Sở Tư pháp's specialist."""
    return make_office(world)


@pytest.fixture
def pki(settings: Any, tmp_path: Path) -> Path:
    return use_pki(settings, tmp_path / "pki")


def log_in(browser: Browser, site: str, username: str) -> Page:
    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(site + "/mot-cua/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text("Hồ sơ cần xử lý")
    return page


def open_document(page: Page, section: str, tab: str) -> None:
    """Navigation "Văn bản" → outgoing or incoming → ``tab`` → the letter."""
    page.get_by_role("navigation").get_by_role("link", name="Văn bản", exact=True).click()
    if section == "incoming":
        page.get_by_role("tab", name="Văn bản đến", exact=True).click()
    page.get_by_role("tab", name=tab).click()
    page.get_by_role("link", name=SUMMARY).click()
    expect(page.locator("h1.doc-summary")).to_have_text(SUMMARY)


def press(page: Page, label: str, message: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    expect(page.locator(".messages .message.success")).to_have_text(message)


def signatures(content: bytes) -> list[tuple[str, bool]]:
    ca = store.ca_credential().certificate().public_bytes(serialization.Encoding.DER)
    trust = ValidationContext(trust_roots=[asn1_x509.Certificate.load(ca)], allow_fetching=False)
    rows = []
    for embedded in PdfFileReader(BytesIO(content)).embedded_signatures:
        status = validate_pdf_signature(embedded, trust)
        subject = status.signing_cert.subject.native
        name = subject["common_name"] if "title" in subject else subject["organization_name"]
        rows.append((name, status.intact and status.valid and status.trusted))
    return rows


def pdfsig(path: Path) -> str:
    result = subprocess.run(  # noqa: S603 (fixed program, our own file)
        ["/usr/bin/pdfsig", str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


def test_a_commune_letter_reaches_the_department_of_justice_and_comes_back_done(
    browser: Browser, site: str, office: Office, pki: Path, tmp_path: Path
) -> None:
    world = office.world

    # --- the commune clerk drafts the letter and sends it for review --------------------------
    clerk = log_in(browser, site, "vt.phuongpleiku")
    clerk.get_by_role("navigation").get_by_role("link", name="Văn bản", exact=True).click()
    clerk.get_by_role("link", name="Soạn văn bản").click()
    clerk.select_option("#id_doc_type", label="Công văn")
    clerk.get_by_role("button", name="Lưu dự thảo").click()
    expect(clerk.locator("#field-summary .errorlist")).to_have_text("“Trích yếu” là bắt buộc.")
    clerk.fill("#id_summary", SUMMARY)
    clerk.fill("#id_content", "Ủy ban nhân dân phường Pleiku đề nghị Sở Tư pháp hướng dẫn.")
    clerk.select_option("#id_signer_competence", "TM.")
    clerk.fill("#id_signer_position", "Chủ tịch")
    clerk.select_option("#id_recipient_ids", label=office.justice.name)
    clerk.get_by_role("button", name="Lưu dự thảo").click()
    expect(clerk.locator(".messages .message.success")).to_have_text("Đã lưu dự thảo.")
    press(clerk, "Trình duyệt", "Đã trình duyệt dự thảo.")

    # --- the leader approves and signs --------------------------------------------------------
    leader = log_in(browser, site, "ld.phuongpleiku")
    open_document(leader, "outgoing", "Chờ duyệt, ký, phát hành")
    press(leader, "Duyệt", "Đã duyệt dự thảo, chờ ký.")
    press(leader, "Ký số", "Đã ký số văn bản.")
    expect(leader.locator("[data-state]")).to_have_text("Đã ký, chờ phát hành")

    # --- the clerk issues (number 01) and sends -----------------------------------------------
    open_document(clerk, "outgoing", "Chờ duyệt, ký, phát hành")
    press(clerk, "Cấp số và phát hành", "Đã phát hành văn bản số 01/UBND-VP.")
    expect(clerk.locator(".doc-number")).to_have_text("Số: 01/UBND-VP")
    press(clerk, "Gửi văn bản", "Đã gửi văn bản tới nơi nhận.")
    justice_row = clerk.locator(f'tr[data-recipient="{office.justice.code}"]')
    expect(justice_row.locator(".status")).to_have_text("Đã nhận")

    # --- Sở Tư pháp registers it and assigns it -----------------------------------------------
    justice = log_in(browser, site, "vt.so-tu-phap-gia-lai")
    open_document(justice, "incoming", "Chờ vào sổ")
    press(justice, "Vào sổ văn bản đến", "Đã vào sổ văn bản đến số 1.")
    panel = justice.locator("#action-assign")
    panel.locator("summary").click()
    panel.locator("select").select_option(label=office.justice_handler.full_name)
    panel.locator("input[type=number]").fill("5")
    panel.get_by_role("button", name="Xác nhận").click()
    expect(justice.locator(".messages .message.success")).to_have_text("Đã giao xử lý.")
    entry = IncomingEntry.objects.get(agency=office.justice)
    assert entry.assigned_at is not None and entry.due_at is not None
    assert entry.due_at == default_calendar().due_at(entry.assigned_at, 5).due_at

    # --- the specialist handles it ------------------------------------------------------------
    handler = log_in(browser, site, "cv.so-tu-phap-gia-lai")
    open_document(handler, "incoming", "Tôi xử lý")
    press(handler, "Bắt đầu xử lý", "Đã bắt đầu xử lý.")
    press(handler, "Hoàn thành", "Đã hoàn thành xử lý.")

    # --- the sender sees every status ---------------------------------------------------------
    clerk.reload()
    expect(justice_row.locator(".status")).to_have_text("Hoàn thành")
    timeline = clerk.locator("ol.timeline li")
    for status in ("Đã nhận", "Đã vào sổ", "Giao xử lý, hạn", "Đang xử lý", "Hoàn thành"):
        expect(timeline.filter(has_text=status).first).to_be_visible()

    # --- the signed PDF: leader then seal, both valid; a tampered copy is altered -------------
    response = clerk.context.request.get(
        site + f"/mot-cua/van-ban/{OfficialDocument.objects.get(summary=SUMMARY).pk}/tep/"
    )
    content = response.body()
    # pyHanko validates with asyncio.run(): not under Playwright's running loop in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        rows = pool.submit(signatures, content).result()
    assert rows == [
        (world.pleiku.leader.full_name, True),
        (world.pleiku.committee.name, True),
    ]
    signed = tmp_path / "01-UBND-VP.pdf"
    signed.write_bytes(content)
    report = pdfsig(signed)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    assert report.index(world.pleiku.leader.full_name) < report.index("Signature #2")
    altered = bytearray(content)
    position = content.index(b"/Contents") // 2
    altered[position] ^= 0x01
    tampered = tmp_path / "sua.pdf"
    tampered.write_bytes(bytes(altered))
    assert "Digest Mismatch" in pdfsig(tampered)
