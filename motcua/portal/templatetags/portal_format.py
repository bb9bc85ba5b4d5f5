"""Formats of the citizen pages: amounts of money, state badges."""

from __future__ import annotations

from django import template
from django.utils import translation

from motcua.dossiers.states import State

register = template.Library()

_STATE_BADGE: dict[str, str] = {
    State.SUPPLEMENT_REQUESTED: "soon",
    State.AWAITING_PAYMENT: "soon",
    State.REFUSED: "late",
    State.STOPPED: "late",
    State.WITHDRAWN: "late",
    State.APPROVED: "ok",
    State.RETURNED: "ok",
}


@register.filter
def vnd(amount: int | None) -> str:
    """ "16.000 đ" in Vietnamese, "16,000 VND" in English."""
    if amount is None:
        return "—"
    if translation.get_language() == "en":
        return f"{int(amount):,} VND"
    return f"{int(amount):,} đ".replace(",", ".")


@register.filter
def state_badge(state: str) -> str:
    """The badge class of a dossier state: ``ok``, ``soon`` (the citizen must act) or ``late``."""
    return _STATE_BADGE.get(state, "")
