"""Numbers and drill-down links on the report pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def pct(value: Decimal | None) -> str:
    """55.6 → "55,6%" (in the active language's format); no denominator → "—"."""
    if value is None:
        return "—"
    return f"{number_format(value, 1)}%"


@register.filter
def num(value: Decimal | None) -> str:
    return "—" if value is None else number_format(value, 2)


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
    params = {"figure": figure, "group": group}
    if group != "province":
        params["key"] = "" if key is None else str(key)
    return f"{reverse('reports:drill')}?{period_query}&{urlencode(params)}"


@register.simple_tag
def dossier_url(period_query: str, pk: int) -> str:
    return f"{reverse('reports:dossier', args=[pk])}?{period_query}"


@register.simple_tag
def may_see_reports(user: Any) -> bool:
    """For the back office's navigation: leaders and provincial administrators."""
    from motcua.reports.selectors import may_see_reports as allowed

    return allowed(user)
