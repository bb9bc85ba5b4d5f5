from typing import Any

from django import template

register = template.Library()


@register.filter
def lookup(mapping: dict[Any, Any], key: Any) -> Any:
    """``mapping|lookup:key``: the value for a key computed in the template."""
    return mapping.get(key, "")
