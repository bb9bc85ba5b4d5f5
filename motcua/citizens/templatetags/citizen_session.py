from __future__ import annotations

from typing import Any

from django import template

from motcua.citizens.models import Citizen
from motcua.citizens.session import current_citizen

register = template.Library()


@register.simple_tag(takes_context=True)
def signed_in_citizen(context: dict[str, Any]) -> Citizen | None:
    """The citizen signed in on this request, for the portal header."""
    request = context.get("request")
    return current_citizen(request) if request is not None else None
