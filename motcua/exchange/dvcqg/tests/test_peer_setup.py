"""``motcua setup`` registers the national portal: the development secret in demo mode only."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from motcua.exchange.dvcqg.services import DEMO_SECRET, ensure_peer
from motcua.exchange.models import Peer, PeerKind

pytestmark = pytest.mark.django_db


def test_production_without_a_secret_registers_nothing(settings: Any) -> None:
    settings.MOTCUA_DVCQG_SECRET = ""

    assert ensure_peer(demo=False) is None
    assert not Peer.objects.filter(code="dvcqg").exists()


def test_demo_mode_uses_the_development_secret_and_the_configured_address(settings: Any) -> None:
    settings.MOTCUA_DVCQG_SECRET = ""
    settings.MOTCUA_DVCQG_URL = "http://127.0.0.1:18090/"

    peer = ensure_peer(demo=True)

    assert peer is not None
    assert (peer.code, peer.kind, peer.secret) == ("dvcqg", PeerKind.PORTAL, DEMO_SECRET)
    assert peer.base_url == "http://127.0.0.1:18090"


def test_the_operator_secret_wins_and_a_paused_portal_stays_paused(settings: Any) -> None:
    settings.MOTCUA_DVCQG_SECRET = "bi-mat-that-su-cua-tinh-52"  # noqa: S105 (test secret)
    settings.MOTCUA_DVCQG_URL = "https://dvcqg.example.vn/lgsp"
    peer = ensure_peer(demo=True)
    assert peer is not None and peer.secret == settings.MOTCUA_DVCQG_SECRET
    Peer.objects.filter(pk=peer.pk).update(active=False)

    out = StringIO()
    call_command("setup", stdout=out)

    assert "Cổng DVCQG: https://dvcqg.example.vn/lgsp" in out.getvalue()
    assert Peer.objects.get(code="dvcqg").active is False


def test_without_a_configured_secret_a_peer_added_by_the_operator_is_kept(settings: Any) -> None:
    settings.MOTCUA_DVCQG_SECRET = ""
    added = Peer.objects.create(
        code="dvcqg",
        name="Cổng DVCQG",
        kind=PeerKind.PORTAL,
        base_url="https://lgsp.gialai.gov.vn/dvcqg",
        secret="khoa-do-van-hanh-vien-dat",  # noqa: S106 (test secret)
    )

    assert ensure_peer(demo=True) == added
    assert Peer.objects.get(code="dvcqg").secret == "khoa-do-van-hanh-vien-dat"  # noqa: S105
