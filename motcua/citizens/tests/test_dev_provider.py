"""The demo's local provider (/oidc-dev/), driven over real HTTP against a running server:
the browser's path (sign-in, consent, callback) and the server's own calls (discovery, JWKS,
token) all go through sockets."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from motcua.citizens.tests.test_oidc_flow import BINH_FORM

pytestmark = pytest.mark.django_db(transaction=True)


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def test_sign_in_through_the_local_provider(world: Any, live_server: Any, settings: Any) -> None:
    settings.ROOT_URLCONF = "motcua.citizens.tests.dev_urls"
    settings.MOTCUA_OIDC_ISSUER = f"{live_server.url}/oidc-dev"
    settings.MOTCUA_OIDC_CLIENT_ID = "motcua-demo"
    settings.MOTCUA_OIDC_CLIENT_SECRET = "demo-only"
    settings.MOTCUA_RATE_LIMITS = "off"
    mine = world.submit().code
    other = world.submit(form=world.form(**BINH_FORM)).code

    with httpx.Client(base_url=live_server.url, timeout=30) as browser:
        start = browser.get("/cong-dan/dang-nhap/")
        assert start.status_code == 302
        assert start.headers["Location"].startswith(f"{live_server.url}/oidc-dev/authorize?")
        consent = browser.get(start.headers["Location"])
        assert consent.status_code == 200
        page = consent.text
        fields = {
            name: _hidden(page, name)
            for name in ("client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge")
        }
        fields |= {
            "csrfmiddlewaretoken": _hidden(page, "csrfmiddlewaretoken"),
            "code_challenge_method": "S256",
            "response_type": "code",
            "name": "Nguyễn Văn An",
            "id_number": "064090001234",
        }
        approved = browser.post("/oidc-dev/authorize", data=fields)
        assert approved.status_code == 302
        back = browser.get(approved.headers["Location"])
        assert back.status_code == 302, back.text[:500]
        listing = browser.get(urljoin(live_server.url, back.headers["Location"]))
        assert listing.status_code == 200
        assert mine in listing.text and other not in listing.text
