"""API of the reports: the dashboard's figures for leaders, the applicant's rating and
complaints. Same scope, rules and errors as the pages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from motcua.core.errors import NotFound
from motcua.dossiers.api import dossier_token
from motcua.dossiers.models import Dossier
from motcua.org.api import officer_auth
from motcua.reports import selectors, services
from motcua.reports.indicators import FIGURES

router = Router(tags=["Báo cáo"])


class PeriodOut(Schema):
    first_day: date
    last_day: date
    moment: datetime


class IndicatorsOut(Schema):
    synced: Decimal | None
    on_time: Decimal | None
    avg_days: Decimal | None
    online: Decimal | None
    paid_online: Decimal | None
    digitised: Decimal | None
    satisfaction: Decimal | None


class RowOut(Schema):
    key: str | int | None
    label: str
    rank: int | None
    figures: dict[str, int]
    indicators: IndicatorsOut


class ReportOut(Schema):
    period: PeriodOut
    grouping: str
    rows: list[RowOut]
    total: RowOut


def _row(row: selectors.Row) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "rank": row.rank,
        "figures": {key: row.count(key) for key in FIGURES},
        "indicators": {
            "synced": row.synced.percent,
            "on_time": row.on_time.percent,
            "avg_days": row.avg_days,
            "online": row.online.percent,
            "paid_online": row.paid_online.percent,
            "digitised": row.digitised.percent,
            "satisfaction": row.satisfaction,
        },
    }


@router.get(
    "/reports/indicators",
    response=ReportOut,
    auth=officer_auth,
    url_name="report-indicators",
)
def indicators(
    request: HttpRequest,
    group: str = "ward",
    first: str | None = Query(None, alias="from"),
    last: str | None = Query(None, alias="to"),
    as_of: str | None = None,
) -> dict[str, Any]:
    """Decision 766 figures and periodic statistics of the caller's scope for a period
    (``from``/``to`` ISO dates, default this month; ``as_of`` an ISO date to recompute as they
    stood then), grouped by ``ward``, ``former_province``, ``agency``, ``procedure`` or
    ``province``."""
    user: Any = request.auth  # type: ignore[attr-defined]
    scope = selectors.scope_of(user)
    period = selectors.parse_period(first, last, as_of)
    if group == "province" and not scope.province:
        raise NotFound()
    dossiers = scope.filter(Dossier.objects.all())
    rows, total = selectors.table(dossiers, period, group, scope)
    return {
        "period": {"first_day": period.first, "last_day": period.last, "moment": period.moment},
        "grouping": group,
        "rows": [_row(row) for row in rows],
        "total": _row(total),
    }


class RatingIn(Schema):
    satisfied: bool
    comment: str = ""


class RatingOut(Schema):
    satisfied: bool
    comment: str
    created_at: datetime


class ComplaintIn(Schema):
    content: str


class ComplaintOut(Schema):
    id: int
    content: str
    status: str
    created_at: datetime


def _token(request: HttpRequest) -> str:
    token: str = request.auth  # type: ignore[attr-defined]  # set by DossierTokenAuth
    return token


@router.post(
    "/dossiers/by-token/rating",
    response={201: RatingOut},
    auth=dossier_token,
    url_name="dossier-rating",
)
def rate(request: HttpRequest, payload: RatingIn) -> Status:
    """Rate the service once the result is out (once per dossier)."""
    rating = services.rate_service(
        access_token=_token(request), satisfied=payload.satisfied, comment=payload.comment
    )
    return Status(201, rating)


@router.post(
    "/dossiers/by-token/complaints",
    response={201: ComplaintOut},
    auth=dossier_token,
    url_name="dossier-complaint",
)
def complain(request: HttpRequest, payload: ComplaintIn) -> Status:
    """Record a complaint about the handling of the dossier."""
    complaint = services.file_complaint(access_token=_token(request), content=payload.content)
    return Status(201, complaint)
