"""The dashboard's two long tables (a row per commune, 136 for the province) written as HTML
in one pass: every number formatted once, every drill-down link from a prefix escaped once per
figure. Through the template engine (a loop, filters and a tag per cell) they took most of the
page's time at a million dossiers."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from motcua.reports.definitions import STATISTICS
from motcua.reports.selectors import Row
from motcua.reports.templatetags.reports_tags import decimal_separator, drill_url

DASH = "—"


class Links:
    """The drill-down links of one grouping and period: ``drill_url`` of a figure and a key,
    escaped for an attribute, each figure's prefix built once."""

    def __init__(self, period_query: str, grouping: str) -> None:
        self.grouping = grouping
        self.prefixes: dict[str, str] = {}
        self.period_query = period_query

    def href(self, figure: str, key: Any) -> str:
        return self.prefix(figure) + self.key(key)

    def prefix(self, figure: str) -> str:
        prefix = self.prefixes.get(figure)
        if prefix is None:
            # The URL of the key None, less its empty key: the key's text is appended.
            url = drill_url(self.period_query, figure, self.grouping, None)
            prefix = self.prefixes[figure] = escape(url)
        return prefix

    def key(self, key: Any) -> str:
        """The key's part of a link (nothing for the province)."""
        if self.grouping == "province":
            return ""
        return quote_plus("" if key is None else str(key))


class Numbers:
    """Indicators as the ``pct`` and ``num`` filters write them, the active language's decimal
    separator read once (each read goes through the language's context-local)."""

    def __init__(self) -> None:
        self.separator = decimal_separator()

    def pct(self, value: Decimal | None) -> str:
        return DASH if value is None else f"{value:.1f}%".replace(".", self.separator)

    def num(self, value: Decimal | None) -> str:
        return DASH if value is None else f"{value:.2f}".replace(".", self.separator)


def _key(row: Row) -> str:
    return "" if row.key is None else escape(str(row.key))


def ranking(rows: Iterable[Row], period_query: str, grouping: str) -> SafeString:
    """The rows of the ranking table: rank (communes), unit and the seven indicators, the
    on-time rate linked to the late dossiers."""
    links = Links(period_query, grouping)
    pct, num = (numbers := Numbers()).pct, numbers.num
    late = escape(_("Hồ sơ trễ hạn"))
    ranked = grouping == "ward"
    lines = []
    for row in rows:
        rank = f"<td>{DASH if row.rank is None else row.rank}</td>" if ranked else ""
        lines.append(
            f'<tr data-key="{_key(row)}">{rank}<th scope="row">{escape(row.label)}</th>'
            f"<td>{pct(row.synced.percent)}</td>"
            f'<td><a href="{links.href("timed_late", row.key)}" title="{late}">'
            f"{pct(row.on_time.percent)}</a></td>"
            f"<td>{num(row.avg_days)}</td><td>{pct(row.online.percent)}</td>"
            f"<td>{pct(row.paid_online.percent)}</td><td>{pct(row.digitised.percent)}</td>"
            f"<td>{pct(row.satisfaction)}</td></tr>"
        )
    return mark_safe("\n".join(lines))  # noqa: S308 (every value above is escaped or a number)


def statistic_cells(row: Row, links: Links) -> str:
    """The statistics cells of one row, each count other than 0 linked to its dossiers."""
    cells = []
    key = links.key(row.key)
    for item in STATISTICS:
        count = row.count(item.key)
        if count:
            cells.append(f'<td><a href="{links.prefix(item.key)}{key}">{count}</a></td>')
        else:
            cells.append("<td>0</td>")
    return "".join(cells)


def statistics(rows: Iterable[Row], period_query: str, grouping: str) -> SafeString:
    """The rows of the statistics table (groups with dossiers only)."""
    links = Links(period_query, grouping)
    lines = [
        f'<tr data-key="{_key(row)}"><th scope="row">{escape(row.label)}</th>'
        f"{statistic_cells(row, links)}</tr>"
        for row in rows
        if row.figures
    ]
    return mark_safe("\n".join(lines))  # noqa: S308 (every value above is escaped or a number)


def total_cells(total: Row, period_query: str) -> SafeString:
    """The statistics cells of the total row, linked to the province's dossiers."""
    return mark_safe(statistic_cells(total, Links(period_query, "province")))  # noqa: S308
