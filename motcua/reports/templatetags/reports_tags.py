"""Numbers and drill-down links on the report pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.formats import get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

# A dashboard prints about 1,300 numbers and links (135 communes × the figures); Django's
# number_format and reverse() per cell took several hundred milliseconds of the page.


@lru_cache(maxsize=16)
def _decimal_separator(language: str | None) -> str:
    return str(get_format("DECIMAL_SEPARATOR", language))


def decimal_separator() -> str:
    """The active language's decimal separator."""
    return _decimal_separator(get_language())


def _fixed(value: Decimal, places: int) -> str:
    """``value`` (already rounded) with ``places`` decimals and the language's separator, as
    number_format writes it (no thousands grouping in this project)."""
    return f"{value:.{places}f}".replace(".", decimal_separator())


@lru_cache(maxsize=16)
def _drill_path(script_prefix: str) -> str:
    return reverse("reports:drill")


@register.filter
def pct(value: Decimal | None) -> str:
    """55.6 → "55,6%" (in the active language's format); no denominator → "—"."""
    if value is None:
        return "—"
    return f"{_fixed(value, 1)}%"


@register.filter
def num(value: Decimal | None) -> str:
    return "—" if value is None else _fixed(value, 2)


@register.filter
def duration(value: timedelta | None) -> str:
    """timedelta(days=1, minutes=5) → "24 giờ 05 phút" (in the active language)."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    return _("%(hours)s giờ %(minutes)02d phút") % {"hours": minutes // 60, "minutes": minutes % 60}


@register.filter
def figure(row: Any, key: str) -> int:
    return int(row.count(key))


@register.simple_tag
def drill_url(period_query: str, figure: str, group: str, key: Any) -> str:
    """The drill-down of ``figure`` for one group (the key None: the group of dossiers without
    a value, e.g. those received at the provincial center)."""
    params = f"figure={quote_plus(figure)}&group={quote_plus(group)}"
    if group != "province":
        params += "&key=" + quote_plus("" if key is None else str(key))
    return f"{_drill_path(get_script_prefix())}?{period_query}&{params}"


@register.simple_tag
def dossier_url(period_query: str, pk: int) -> str:
    return f"{reverse('reports:dossier', args=[pk])}?{period_query}"


@register.simple_tag
def may_see_reports(user: Any) -> bool:
    """For the back office's navigation: leaders and provincial administrators."""
    from motcua.reports.selectors import may_see_reports as allowed

    return allowed(user)
