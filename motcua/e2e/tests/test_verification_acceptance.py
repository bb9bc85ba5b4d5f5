"""Acceptance of the public signature verification, in a real browser, as a citizen tries it.

The civil-status copy of Phường Pleiku is approved and signed (the leader, then the People's
Committee's seal). A citizen opens "Xác thực văn bản" from the portal's menu, uploads the copy
and reads two valid signatures; uploads a copy with one byte changed and reads that it was
altered; opens the link printed under the QR code; reads the page in English; and on a phone
the page fits the screen.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from pyhanko.pdf_utils.reader import PdfFileReader

from motcua.conftest import World
from motcua.dossiers.models import FileKind
from motcua.e2e import TIMEOUT_MS, VIEWPORT
from motcua.pki import store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test reads the database between browser steps (see test_acceptance)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _tampered(content: bytes) -> bytes:
    changed = bytearray(content)
    byte_range = PdfFileReader(BytesIO(content)).embedded_signatures[0].sig_object["/ByteRange"]
    position = int(byte_range[0]) + int(byte_range[1]) // 2
    changed[position] = (changed[position] + 1) % 256
    return bytes(changed)


@pytest.fixture
def copies(world: World, settings: Any, tmp_path: Path) -> tuple[Any, Any, Path, Path]:
    """The approved dossier, its signed result, and the result's signed and tampered files.

    Signed before the browser starts: pyHanko's synchronous API runs its own event loop,
    which cannot nest in Playwright's."""
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    store.ensure_ca()
    dossier = world.dossier_in("approved")
    result = dossier.files.filter(kind=FileKind.RESULT).order_by("pk").first()
    assert result is not None
    signed = tmp_path / "ban-sao.pdf"
    signed.write_bytes(bytes(result.file.read()))
    tampered = tmp_path / "ban-sao-sua.pdf"
    tampered.write_bytes(_tampered(signed.read_bytes()))
    return dossier, result, signed, tampered


def test_a_citizen_checks_a_signed_copy_and_a_tampered_one(
    copies: tuple[Any, Any, Path, Path], world: World, browser: Browser, live_server: Any
) -> None:
    dossier, result, signed, tampered = copies
    site = str(live_server.url)

    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(site + "/")
    page.get_by_role("link", name="Xác thực văn bản").click()
    expect(page.locator("h1")).to_have_text("Xác thực văn bản điện tử")

    page.set_input_files("#id_file", str(signed))
    page.get_by_role("button", name="Kiểm tra chữ ký").click()
    expect(page.locator(".verify-verdict")).to_have_text(
        "Tất cả chữ ký số trên tài liệu đều hợp lệ."
    )
    signatures = page.locator("article.signature")
    expect(signatures).to_have_count(2)
    expect(signatures.nth(0).locator(".signer")).to_have_text(
        f"{world.pleiku.leader.full_name} (Lãnh đạo)"
    )
    expect(signatures.nth(1).locator(".organisation")).to_have_text(world.pleiku.committee.name)
    expect(signatures.nth(0).locator(".after-signing")).to_have_text(
        "Chỉ thêm chữ ký số hoặc điền biểu mẫu; nội dung không đổi."
    )
    expect(signatures.nth(1).locator(".signed-at")).to_contain_text("(UTC+07:00)")

    page.set_input_files("#id_file", str(tampered))
    page.get_by_role("button", name="Kiểm tra chữ ký").click()
    expect(page.locator(".verify-verdict")).to_have_text(
        "Có chữ ký số không hợp lệ: xem chi tiết từng chữ ký."
    )
    expect(page.locator('article.signature[data-verdict="altered"]')).to_have_count(2)

    # The address printed under the QR code of the copy.
    page.goto(f"{site}/xac-thuc/{dossier.code}/")
    expect(page.locator(".dossier-code")).to_have_text(dossier.code)
    expect(page.locator(f'.fingerprint:text-is("{result.sha256}")')).to_have_count(1)

    # In English.
    page.goto(site + "/xac-thuc/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Verify an electronic document")
    page.set_input_files("#id_file", str(signed))
    page.get_by_role("button", name="Check the signatures").click()
    expect(page.locator(".verify-verdict")).to_have_text(
        "Every digital signature on the document is valid."
    )

    # On a phone the report fits the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    context.close()
