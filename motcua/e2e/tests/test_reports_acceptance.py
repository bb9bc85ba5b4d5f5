"""Acceptance of the dashboards, in a real browser, as a new user would try them.

A month of dossiers (``motcua.reports.tests.scenario``: March 2026 at Phường Pleiku and Phường
Quy Nhơn, built through the services on a set clock) is on the server. The leader of the
provincial service center logs in, opens "Báo cáo", asks for March, sees the ranking of the
province's 135 communes (Quy Nhơn first with 1 of 1 on time, Pleiku second with 5 of 9),
drills into Pleiku's late dossiers, opens one and reads why it is late, and exports the month
to a spreadsheet whose figures match the page.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from motcua.conftest import PASSWORD, World
from motcua.e2e import TIMEOUT_MS, VIEWPORT
from motcua.org.models import Agency, Role
from motcua.org.services import add_staff
from motcua.reports.tests.scenario import at, build_month

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stub_pdfs"),
]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test reads the database between browser steps (see test_acceptance)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_a_provincial_leader_ranks_communes_drills_and_exports_the_month(
    browser: Browser, live_server: Any, world: World, set_now: Callable[[datetime], None]
) -> None:
    month = build_month(world, set_now)
    set_now(at(15, 12, month=4))
    add_staff(
        username="ld.ttpvhcc-tinh-gia-lai",
        full_name="Lãnh đạo Trung tâm Phục vụ hành chính công tỉnh",
        agency=Agency.objects.get(slug="ttpvhcc-tinh-gia-lai"),
        role=Role.LEADER,
        password_hash=make_password(PASSWORD),
    )
    site = str(live_server.url)

    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(site + "/mot-cua/")
    page.fill("#id_username", "ld.ttpvhcc-tinh-gia-lai")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    # The navigation leads to the province's dashboard; the leader asks for March.
    page.get_by_role("link", name="Báo cáo", exact=True).click()
    expect(page.locator("h1")).to_have_text("Bảng điều hành toàn tỉnh")
    page.fill("input[name=from]", "2026-03-01")
    page.fill("input[name=to]", "2026-03-31")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator(".page-head .sub")).to_contain_text("01/03/2026 đến 31/03/2026")

    ranking = page.locator("#ranking tbody tr")
    expect(ranking).to_have_count(135)
    expect(ranking.nth(0).locator("th")).to_have_text(world.quynhon.ward.name)
    expect(ranking.nth(0).locator("td").nth(0)).to_have_text("1")
    expect(ranking.nth(1).locator("th")).to_have_text(world.pleiku.ward.name)
    expect(ranking.nth(1)).to_contain_text("55,6%")
    expect(page.locator("svg.bars rect").first).to_be_visible()
    expect(page.locator("[data-indicator=on_time] .kpi-value")).to_have_text("60,0%")  # 6 of 10

    # Pleiku's late dossiers, from the statistics table; then the measure of one of them.
    pleiku_stats = page.locator(f"#statistics tbody tr[data-key='{world.pleiku.ward.code}']")
    pleiku_stats.locator("td").nth(6).get_by_role("link").click()  # "Đã giải quyết trễ hạn"
    expect(page.locator("h1")).to_have_text("Đã giải quyết trễ hạn")
    rows = page.locator("#dossiers tbody tr")
    expect(rows).to_have_count(3)
    page.get_by_role("link", name=month["B"].code, exact=True).click()
    expect(page.locator("h1.code")).to_have_text(month["B"].code)
    measure = page.locator("#measure")
    expect(measure).to_contain_text("17:00 02/03/2026")  # the appointment
    expect(measure).to_contain_text("10:00 03/03/2026")  # the result, the next morning
    expect(measure.locator(".badge")).to_have_text("Trễ hạn")

    # Back on the dashboard, the month goes to a spreadsheet.
    page.get_by_role("link", name="Về bảng điều hành").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Xuất Excel (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename == "bao-cao-ward-20260301-20260331.xlsx"
    path = download.path()
    assert path is not None
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    assert sheet is not None
    lines = list(sheet.iter_rows(values_only=True))
    headers = list(lines[2])
    by_unit = {line[1]: dict(zip(headers, line, strict=True)) for line in lines[3:]}
    pleiku = by_unit[world.pleiku.ward.name]
    assert (pleiku["Hạng"], pleiku["Tiếp nhận trong kỳ"], pleiku["Đã giải quyết trễ hạn"]) == (
        2,
        8,
        3,
    )
    assert pleiku["Tỷ lệ đúng hạn (%)"] == pytest.approx(55.6)
    assert by_unit["Tổng cộng"]["Tiếp nhận trong kỳ"] == 9
    context.close()
