"""Who may watch and steer the interconnection: the province's administrators (operators)."""

from __future__ import annotations

from typing import Any

from motcua.dossiers.permissions import is_province_admin


def is_exchange_operator(user: Any) -> bool:
    """Peers, outbox, inbox and periodic jobs are province-wide: administrators only."""
    return is_province_admin(user)
