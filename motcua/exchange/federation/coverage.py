"""Which peer installation serves a ward of another province."""

from __future__ import annotations

from motcua.exchange.models import Peer, PeerKind


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
