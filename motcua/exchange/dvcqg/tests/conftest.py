"""The national portal as a registered peer, and signed requests from it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from motcua.conftest import PDF_BYTES, World
from motcua.exchange.models import Peer, PeerKind
from motcua.exchange.transport import signed_headers

SECRET = "bi-mat-cua-cong-dvcqg"  # noqa: S105 (test secret)


@pytest.fixture
def portal(db: None) -> Peer:
    return Peer.objects.create(
        code="dvcqg",
        name="Cổng Dịch vụ công quốc gia",
        kind=PeerKind.PORTAL,
        base_url="http://127.0.0.1:9",
        secret=SECRET,
    )


def filing(world: World, **changes: Any) -> dict[str, Any]:
    """Nguyễn Văn An's filing on the national portal for two copies of his birth extract at
    Phường Pleiku's center (by its electronic identifier), with his ID card attached."""
    form = world.form()
    body: dict[str, Any] = {
        "MaHoSoQG": "QG-000123",
        "MaTTHC": world.procedure.code,
        "MaDonViTiepNhan": world.pleiku.center.code,
        "ChuHoSo": {
            "HoTen": form.pop("requester_name"),
            "SoDinhDanh": form.pop("requester_id_number"),
            "NgaySinh": form.pop("requester_birth_date"),
            "SoDienThoai": form.pop("requester_phone"),
            "DiaChi": form.pop("requester_address"),
        },
        "DuLieuBieuMau": form,
        "TaiLieuNop": [
            {
                "TenTepDinhKem": "cccd.pdf",
                "MaThanhPhanHoSo": "identity_document",
                "NoiDungBase64": base64.b64encode(PDF_BYTES).decode(),
            }
        ],
        "DanhSachLePhi": [],
        "DuocThanhToanTrucTuyen": 0,
    }
    body.update(changes)
    return body


Post = Callable[..., Any]


@pytest.fixture
def post_filing(client: Client) -> Post:
    """``post_filing(body, message_id, secret=…, sender=…)`` as the portal would send it."""

    def post(
        body: dict[str, Any],
        message_id: str,
        *,
        secret: str = SECRET,
        sender: str = "dvcqg",
        language: str = "vi",
    ) -> Any:
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = signed_headers(
            sender_code=sender, secret=secret, message_id=message_id, raw_body=raw
        )
        content_type = headers.pop("Content-Type")
        headers["Accept-Language"] = language
        return client.post(
            "/api/dvcqg/dossiers",
            data=raw,
            content_type=content_type,
            headers=headers,
        )

    return post
