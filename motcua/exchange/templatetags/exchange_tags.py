from typing import Any

from django import template

from motcua.exchange.models import OutboxState

register = template.Library()

OUTBOX_BADGES = {
    OutboxState.PENDING: "soon",
    OutboxState.SENDING: "soon",
    OutboxState.DELIVERED: "ok",
    OutboxState.FAILED: "late",
    OutboxState.DEAD: "late",
}


@register.filter
def lookup(mapping: dict[Any, Any], key: Any) -> Any:
    """``mapping|lookup:key``: the value for a key computed in the template."""
    return mapping.get(key, "")


@register.inclusion_tag("exchange/_dossier_messages.html", takes_context=True)
def dossier_messages(context: dict[str, Any], dossier_id: int) -> dict[str, Any]:
    """The dossier desk's card: what was sent to peers about this dossier (one query)."""
    from motcua.exchange.permissions import is_exchange_operator
    from motcua.exchange.selectors import list_dossier_messages

    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "dossier_id": dossier_id,
        "messages": list_dossier_messages(dossier_id),
        "operator": is_exchange_operator(user),
        "outbox_badges": OUTBOX_BADGES,
    }


@register.simple_tag
def exchange_operator(user: Any) -> bool:
    """``{% exchange_operator user as operator %}``: may this user open /mot-cua/lien-thong/?"""
    from motcua.exchange.permissions import is_exchange_operator

    return is_exchange_operator(user)
