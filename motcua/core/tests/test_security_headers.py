"""Web security headers: Content-Security-Policy, Permissions-Policy, HSTS and secure cookies
when the public address is https, and the check that warns when it is not."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import Client

from motcua.conftest import PASSWORD, World
from motcua.core.security import PERMISSIONS_POLICY

ROOT = Path(__file__).resolve().parents[3]
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.mark.parametrize(
    "path",
    ["/", "/mot-cua/dang-nhap/", "/api/procedures", "/khong-co-trang-nay/", "/api/khong-co"],
)
def test_every_answer_carries_the_policies(world: World, path: str) -> None:
    response = Client().get(path)

    assert response["Content-Security-Policy"] == POLICY
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "camera=()" in PERMISSIONS_POLICY and "geolocation=()" in PERMISSIONS_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_forms_may_go_to_an_outside_payment_gateway(world: World, settings: Any) -> None:
    settings.MOTCUA_PAYMENT_GATEWAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"

    policy = Client().get("/")["Content-Security-Policy"]

    assert "form-action 'self' https://sandbox.vnpayment.vn;" not in policy
    assert policy.endswith("form-action 'self' https://sandbox.vnpayment.vn")


def test_no_template_carries_inline_script() -> None:
    """The policy allows scripts from this site only: an inline script or an ``on…=``
    attribute in a template would silently stop working."""
    offenders = []
    templates = sorted((ROOT / "motcua").glob("*/templates/**/*.html"))
    templates += sorted((ROOT / "motcua" / "templates").glob("**/*.html"))
    for template in templates:
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{template.relative_to(ROOT)}: {tag}")
        for handler in re.findall(r"<[^>]*\son[a-z]+\s*=", text):
            offenders.append(f"{template.relative_to(ROOT)}: {handler}")

    assert len(templates) > 30
    assert offenders == []


def _settings_under(public_url: str) -> dict[str, Any]:
    code = (
        "import json; from motcua import settings as s; print(json.dumps({k: getattr(s, k, None)"
        " for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS',"
        " 'SECURE_PROXY_SSL_HEADER')}))"
    )
    env = {**os.environ, "MOTCUA_PUBLIC_URL": public_url, "MOTCUA_TRUST_X_FORWARDED_PROTO": "1"}
    out = subprocess.run(  # noqa: S603 (our own interpreter on a fixed snippet)
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, check=True, text=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_an_https_address_turns_on_secure_cookies_and_hsts() -> None:
    assert _settings_under("https://dichvucong.gialai.gov.vn") == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    assert _settings_under("http://127.0.0.1:8000") == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_over_tls_the_session_cookie_is_secure_and_hsts_is_sent(
    world: World, settings: Any
) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()

    response = client.post(
        "/mot-cua/dang-nhap/",
        {"username": "tn.phuongpleiku", "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )

    assert response.status_code == 302
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True
    plain = client.get("/", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain


def test_the_check_warns_of_a_plain_http_address(settings: Any) -> None:
    settings.MOTCUA_DEMO = settings.DEBUG = False
    settings.MOTCUA_PUBLIC_URL = "http://dichvucong.gialai.gov.vn"

    assert "motcua.W010" in [m.id for m in run_checks()]

    settings.MOTCUA_PUBLIC_URL = "https://dichvucong.gialai.gov.vn"
    assert "motcua.W010" not in [m.id for m in run_checks()]

    settings.MOTCUA_PUBLIC_URL = "http://127.0.0.1:8000"
    settings.MOTCUA_DEMO = True
    assert "motcua.W010" not in [m.id for m in run_checks()]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_work_in_chromium_under_the_policy(
    world: World, live_server: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The 404 page's language switch (script from a file) appears, the authenticator QR code
    (a data: image) is drawn, and Chromium reports no policy violation on the way."""
    from motcua.e2e import MISSING_CHROMIUM, chromium_available, launch_chromium

    if not chromium_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(MISSING_CHROMIUM, pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MOTCUA_TOTP_REQUIRED = "leader,admin"
    settings.MOTCUA_DEMO = False
    from playwright.sync_api import expect, sync_playwright

    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.on(
                "console",
                lambda m: violations.append(m.text) if "Content Security Policy" in m.text else 0,
            )
            page.goto(live_server.url + "/khong-co-trang-nay/")
            expect(page.locator("form.lang-switch")).to_be_visible()
            page.goto(live_server.url + "/mot-cua/dang-nhap/")
            page.fill("#id_username", "ld.phuongpleiku")
            page.fill("#id_password", PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(live_server.url + "/mot-cua/xac-thuc-hai-buoc/")
            width = page.locator("img.totp-qr").evaluate("img => img.naturalWidth")
            page.goto(live_server.url + "/api/docs")
            expect(page.locator(".swagger-ui .info")).to_be_visible()
        finally:
            browser.close()

    assert width > 100
    assert violations == []
