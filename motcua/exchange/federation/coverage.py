"""Which peer installation serves a ward of another province."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from motcua.core.errors import InvalidInput
from motcua.exchange.models import Peer, PeerKind
from motcua.org.models import Ward


def level1_codes(peer: Peer) -> set[str]:
    """The level-1 groups (``H66``) of a peer's agency identifiers (``000.00.00.H66``)."""
    groups: set[str] = set()
    for code in peer.agency_codes or []:
        groups.update(part for part in str(code).split(".") if part[:1] == "H" and len(part) == 3)
    return groups


def peer_for_province(province_code: int) -> Peer | None:
    """The active province peer whose agency identifiers carry the province's level-1 group
    (``H`` and the two-digit province code, Decision 20/2020/QĐ-TTg), first by code."""
    wanted = f"H{province_code:02d}"
    for peer in Peer.objects.filter(kind=PeerKind.PROVINCE, active=True).order_by("code"):
        if wanted in level1_codes(peer):
            return peer
    return None


def require_peer_for(ward: Ward, field: str) -> Peer:
    """The peer serving ``ward`` (of another province), or an error naming the ward."""
    peer = peer_for_province(ward.province_id)
    if peer is None:
        raise InvalidInput(
            _(
                "Thửa đất ở %(ward)s, %(province)s: chưa có hệ thống liên thông nào của tỉnh "
                "này để chuyển hồ sơ."
            ),
            field=field,
            code="no_federation_peer",
            ward=ward.name,
            province=ward.province.name,
        )
    return peer
