"""Template filters of the officers' pages."""

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    """An amount in đồng as each language writes it: "16.000 đ" or "16,000 VND"."""
    value = int(amount or 0)
    if translation.get_language() == "en":
        return f"{value:,} VND"
    return f"{value:,} đ".replace(",", ".")
