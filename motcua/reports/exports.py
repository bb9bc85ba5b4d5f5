"""The dashboard's table as a spreadsheet (XLSX, openpyxl) or CSV, with Vietnamese headers.

Aggregates only: no dossier, no applicant, no citizen ID leaves in an export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from motcua.core import clock
from motcua.reports.definitions import STATISTICS
from motcua.reports.selectors import Period, Row

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Table:
    headers: list[str]
    lines: list[list[Any]]


def _columns() -> list[tuple[str, Callable[[Row], Any]]]:
    """Headers in the language of the request (Vietnamese by default) and their values."""
    columns: list[tuple[str, Callable[[Row], Any]]] = [
        (_("Hạng"), lambda row: row.rank),
        (_("Đơn vị"), lambda row: row.label),
    ]
    for statistic in STATISTICS:
        columns.append((str(statistic.name), _counter(statistic.key)))
    columns += [
        (_("Đã giải quyết"), lambda row: row.count("resolved")),
        (_("Tỷ lệ đúng hạn (%)"), lambda row: row.on_time.percent),
        (_("Thời gian giải quyết trung bình (ngày)"), lambda row: row.avg_days),
        (_("Tỷ lệ đồng bộ DVCQG (%)"), lambda row: row.synced.percent),
        (_("Tỷ lệ nộp trực tuyến (%)"), lambda row: row.online.percent),
        (_("Tỷ lệ thanh toán trực tuyến (%)"), lambda row: row.paid_online.percent),
        (_("Tỷ lệ số hóa (%)"), lambda row: row.digitised.percent),
        (_("Mức độ hài lòng (%)"), lambda row: row.satisfaction),
    ]
    return columns


def _counter(key: str) -> Callable[[Row], Any]:
    return lambda row: row.count(key)


def table(rows: list[Row], total: Row, grouping: str) -> Table:
    columns = _columns()
    if grouping != "ward":
        columns = columns[1:]
    lines = [[value(row) for _, value in columns] for row in [*rows, total]]
    return Table([header for header, _ in columns], lines)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def xlsx_response(data: Table, filename: str, title: str, period: Period) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 (a new workbook has one sheet)
    sheet.title = _("Báo cáo")
    sheet.append([title])
    moment = clock.localtime(period.moment)
    sheet.append([_("Số liệu tính đến %(moment)s") % {"moment": f"{moment:%H:%M %d/%m/%Y}"}])
    sheet.append(data.headers)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for line in data.lines:
        sheet.append([_plain(value) for value in line])
    sheet.freeze_panes = "A4"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(data: Table, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(data.headers)
    for line in data.lines:
        writer.writerow(["" if value is None else value for value in line])
    # A byte-order mark, so that spreadsheet programs read the Vietnamese headers as UTF-8.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
