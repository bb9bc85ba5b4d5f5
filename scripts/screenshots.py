"""Regenerate the README screenshots in docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--port 81xx]

Starts its own motcua on 127.0.0.1 (a random free port in 8100–8199) with a scratch
MOTCUA_DATA_DIR and SQLite, runs ``migrate`` and ``setup --demo``, then drives Debian's
Chromium through the citizen portal and the back office of Phường Pleiku and saves 1280-wide
PNGs. The server and the scratch folder are removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from motcua.e2e import (
    MISSING_CHROMIUM,
    VIETNAMESE_PAK,
    VIEWPORT,
    chromium_available,
    launch_chromium,
)

ROOT = Path(__file__).resolve().parent.parent
MOTCUA = ROOT / ".venv" / "bin" / "motcua"
HOST = "127.0.0.1"
PROCEDURE = "2.000635"
CENTER_NAME_PART = "Phường Pleiku"

CITIZENS = [
    {
        "requester_name": "Nguyễn Văn An",
        "requester_id_number": "064090001234",
        "requester_birth_date": "1990-05-01",
        "requester_phone": "0905123456",
        "requester_address": "Tổ 1, Phường Pleiku",
        "subject_name": "Nguyễn Văn An",
        "registration_ref": "12/2020",
        "registration_date": "2020-01-02",
        "registration_place": "UBND phường Hội Thương",
        "copies": "2",
    },
    {
        "requester_name": "Trần Thị Hoa",
        "requester_id_number": "064185002468",
        "requester_birth_date": "1985-11-20",
        "requester_phone": "0914222333",
        "requester_address": "Tổ 5, Phường Pleiku",
        "subject_name": "Trần Thị Hoa",
        "registration_ref": "45/2010",
        "registration_date": "2010-06-15",
        "registration_place": "UBND phường Diên Hồng",
        "copies": "1",
    },
    {
        "requester_name": "Lê Minh Tuấn",
        "requester_id_number": "052092007531",
        "requester_birth_date": "1992-02-14",
        "requester_phone": "0987654321",
        "requester_address": "Tổ 3, Phường Hội Phú",
        "subject_name": "Lê Minh Tuấn",
        "registration_ref": "08/2018",
        "registration_date": "2018-09-03",
        "registration_place": "UBND phường Pleiku",
        "copies": "3",
    },
]


def free_port() -> int:
    ports = list(range(8100, 8200))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 8100-8199")


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 (our own console script)
        [str(MOTCUA), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


@contextmanager
def server(port: int) -> Iterator[tuple[str, str]]:
    """A fresh motcua on ``port``: (base URL, demo password)."""
    data_dir = Path(tempfile.mkdtemp(prefix="motcua-screenshots-"))
    base = f"http://{HOST}:{port}"
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        MOTCUA_DATA_DIR=str(data_dir),
        MOTCUA_PUBLIC_URL=base,
        MOTCUA_PAYMENT_GATEWAY_URL=base + "/sandbox-gateway/pay",
        MOTCUA_PAYMENT_QUERY_URL=base + "/sandbox-gateway/query",
        MOTCUA_SANDBOX_GATEWAY="1",
        MOTCUA_DEMO="1",
        MOTCUA_LOG_LEVEL="WARNING",
    )
    process: subprocess.Popen[bytes] | None = None
    try:
        run(["migrate", "--noinput", "-v", "0"], env)
        output = run(["setup", "--demo"], env)
        match = re.search(r"Mật khẩu chung \(chỉ hiện một lần\): (\S+)", output)
        if match is None:
            raise SystemExit("setup --demo printed no password")
        process = subprocess.Popen(  # noqa: S603 (our own console script)
            [str(MOTCUA), "runserver", f"{HOST}:{port}", "--noreload"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(port)
        yield base, match.group(1)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


def wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"motcua did not start on {HOST}:{port}")


# --- pages ---------------------------------------------------------------------------------------


def fill_eform(page: Page, citizen: dict[str, str], attachment: Path) -> None:
    page.select_option("#id_relationship", "self")
    page.select_option("#id_event_type", "birth")
    for name, value in citizen.items():
        page.fill(f"#id_{name}", value)
    page.set_input_files("#id_tep_identity_document", attachment)


def open_apply_form(page: Page, base: str) -> None:
    page.goto(base + "/")
    card = page.locator("article.proc-card").filter(has_text=PROCEDURE)
    card.get_by_role("link", name="Nộp trực tuyến").click()
    page.fill("#q", "pleiku")
    page.press("#q", "Enter")
    choice = page.locator("ul.center-list li").filter(has_text=CENTER_NAME_PART).first
    choice.get_by_role("link", name="Nộp tại đây").click()
    expect(page.locator("#field-center strong")).to_contain_text(CENTER_NAME_PART)


def submit(page: Page, base: str, citizen: dict[str, str], attachment: Path) -> str:
    """Apply as ``citizen``; the dossier page's URL."""
    open_apply_form(page, base)
    fill_eform(page, citizen, attachment)
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator(".dossier-code")).to_be_visible()
    return page.url


def shoot(page: Page, path: Path, height: int = 900) -> None:
    """The top of the page, 1280 wide and ``height`` tall (0: the whole page)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.mouse.move(0, 0)
    if height:
        page.screenshot(path=path, clip={"x": 0, "y": 0, "width": 1280, "height": height})
    else:
        page.screenshot(path=path, full_page=True)
    print(f"{path}: {path.stat().st_size // 1024} KB")  # noqa: T201


def log_in(browser: Browser, base: str, username: str, password: str) -> Page:
    page = browser.new_context(viewport=VIEWPORT, locale="vi-VN").new_page()
    page.goto(base + "/mot-cua/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text("Hồ sơ cần xử lý")
    return page


def attachment_pdf(folder: Path) -> Path:
    from weasyprint import HTML

    path = folder / "cccd.pdf"
    HTML(string="<h1>Căn cước công dân</h1><p>Bản chụp</p>").write_pdf(path)
    return path


def take(browser: Browser, base: str, password: str, out: Path, scratch: Path) -> None:
    attachment = attachment_pdf(scratch)
    citizen = browser.new_context(viewport=VIEWPORT, locale="vi-VN").new_page()

    # Portal: the procedures, the e-form with the fee estimate, the dossier page.
    citizen.goto(base + "/")
    shoot(citizen, out / "portal-home.png", 760)
    open_apply_form(citizen, base)
    fill_eform(citizen, CITIZENS[0], attachment)
    shoot(citizen, out / "portal-apply-form.png", 0)
    citizen.get_by_role("button", name="Nộp hồ sơ").click()
    expect(citizen.locator(".dossier-code")).to_be_visible()
    code = citizen.locator(".dossier-code").inner_text().strip()
    shoot(citizen, out / "portal-dossier.png")

    # Two more citizens file, so that the worklist is not a single row; An pays online.
    other = browser.new_context(viewport=VIEWPORT, locale="vi-VN").new_page()
    for person in CITIZENS[1:]:
        submit(other, base, person, attachment)
    citizen.get_by_role("button", name="Thanh toán trực tuyến").click()
    citizen.get_by_role("button", name="Thanh toán", exact=True).click()
    expect(citizen.locator("[data-payment-status]")).to_have_attribute(
        "data-payment-status", "paid"
    )

    # Back office: the receiving officer's worklist, then the desk once An's dossier is accepted.
    receiver = log_in(browser, base, "tn.phuongpleiku", password)
    shoot(receiver, out / "backoffice-worklist.png", 620)
    receiver.get_by_role("link", name=code, exact=True).click()
    receiver.locator("#action-accept").get_by_role("button").click()
    expect(receiver.locator(".messages .message.success")).to_be_visible()
    shoot(receiver, out / "backoffice-desk.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--port", type=int, default=0, help="default: a free port in 8100-8199")
    args = parser.parse_args()
    if not chromium_available():
        raise SystemExit(MISSING_CHROMIUM)
    if not VIETNAMESE_PAK.exists():
        print(  # noqa: T201
            "warning: Debian's chromium-l10n is not installed: date fields and file pickers "
            "will show in English (apt-get install chromium-l10n)",
            file=sys.stderr,
        )
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as scratch,
        server(args.port or free_port()) as (base, password),
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        try:
            take(browser, base, password, out, Path(scratch))
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
