"""Filters of the drill's report: figures and days as the report's language writes them."""

from __future__ import annotations

from datetime import date

from django import template

from motcua.drill.evaluation import number as format_number
from motcua.drill.evaluation import report_date

register = template.Library()


@register.filter(name="number")
def number(value: float | None) -> str:
    """1.018 and 6,7 in Vietnamese, 1,018 and 6.7 in English; "—" for no value."""
    return format_number(value)


@register.filter(name="report_date")
def report_date_filter(value: str | date) -> str:
    """An ISO day (or the start of an ISO moment) as the report writes days: 25/06/2025."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return report_date(day)
