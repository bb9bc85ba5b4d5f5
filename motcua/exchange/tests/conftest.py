"""Peers and a short retry schedule for the exchange tests."""

from __future__ import annotations

from typing import Any

import pytest

from motcua.exchange.models import Peer, PeerKind


@pytest.fixture
def fast_backoff(settings: Any) -> Any:
    """Retries after 1, 2, 4 … seconds (at most 8), dead after 4 attempts."""
    settings.MOTCUA_OUTBOX_BACKOFF_SECONDS = 1
    settings.MOTCUA_OUTBOX_BACKOFF_CAP_SECONDS = 8
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 4
    return settings


@pytest.fixture
def peer(db: None) -> Peer:
    """Bình Định's motcua, a neighbouring installation."""
    return Peer.objects.create(
        code="tinh-binh-dinh",
        name="Hệ thống một cửa tỉnh bạn",
        kind=PeerKind.PROVINCE,
        base_url="http://127.0.0.1:9",
        secret="bi-mat-dung-chung",  # noqa: S106 (test secret)
        agency_codes=["000.00.00.H08"],
    )
