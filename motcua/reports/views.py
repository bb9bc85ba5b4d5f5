"""Dashboards, drill-downs and exports for leaders; the citizen's rating and complaint page.

Thin: each view reads the user's scope and the period from the request, asks the selectors
(which aggregate in the database) and renders; the citizen's forms call one service each.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from motcua.core import clock, errors_views
from motcua.core.errors import InvalidInput, MotcuaError, NotFound
from motcua.core.web import add_error_to_form, flash_error
from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State
from motcua.reports import charts, exports, selectors, services, tables
from motcua.reports.definitions import FIGURE_NAMES, INDICATORS, NOT_COMPUTED, STATISTICS
from motcua.reports.models import Complaint, ComplaintStatus, Rating

logger = logging.getLogger(__name__)
PAGE_SIZE = 50
CHART_ROWS = 20


def _scope(request: HttpRequest) -> selectors.Scope:
    try:
        return selectors.scope_of(request.user)
    except NotFound:
        raise Http404 from None


def _period(request: HttpRequest) -> selectors.Period:
    """The period asked for; a bad one is reported and this month is shown instead."""
    query = request.GET
    try:
        return selectors.parse_period(query.get("from"), query.get("to"), query.get("as_of"))
    except InvalidInput as error:
        flash_error(request, error)
        return selectors.parse_period(None, None, None)


def _grouping(request: HttpRequest, scope: selectors.Scope) -> str:
    grouping = request.GET.get("group") or "ward"
    if grouping not in selectors.GROUPINGS or (grouping == "province" and not scope.province):
        return "ward"
    return grouping


def _query(period: selectors.Period, **extra: Any) -> str:
    params = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    if period.is_past_view:
        params["as_of"] = period.as_of.date().isoformat()
    params.update({key: value for key, value in extra.items() if value is not None})
    return urlencode(params)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The province's (or the unit's) indicators for a period, grouped, ranked and charted."""
    scope = _scope(request)
    period = _period(request)
    grouping = _grouping(request, scope)
    dossiers = scope.filter(Dossier.objects.all())

    rows, total = selectors.table(dossiers, period, grouping, scope)
    chart_rows = [row for row in rows if row.on_time.percent is not None][:CHART_ROWS]
    chart = charts.percent_bars(
        _("Tỷ lệ đúng hạn (2.1)"), [(row.label, row.on_time.percent) for row in chart_rows], 100
    )
    flow = charts.stacked(
        [
            (_("Đúng hạn"), total.count("resolved_on_time"), "good"),
            (_("Trễ hạn"), total.count("resolved_late"), "weak"),
            (_("Đang giải quyết, chưa đến hạn"), total.count("pending_on_time"), "open"),
            (_("Đang giải quyết, quá hạn"), total.count("pending_overdue"), "late"),
            (_("Rút hồ sơ"), total.count("withdrawn"), "none"),
        ]
    )
    context = {
        "scope": scope,
        "period": period,
        "grouping": grouping,
        "groupings": [
            (key, label)
            for key, label in selectors.GROUPING_LABELS.items()
            if scope.province or key != "province"
        ],
        "rows": rows,
        "total": total,
        "indicators": INDICATORS,
        "statistics": STATISTICS,
        "not_computed": NOT_COMPUTED,
        "chart": chart,
        "flow": flow,
        "presets": [
            (
                label,
                urlencode({"from": first.isoformat(), "to": last.isoformat(), "group": grouping}),
            )
            for label, first, last in selectors.presets(clock.localtime(clock.now()).date())
        ],
        "query": _query(period, group=grouping),
    }
    period_query = context["period_query"] = _query(period)
    context["ranking_rows"] = tables.ranking(rows, period_query, grouping)
    context["statistic_rows"] = tables.statistics(rows, period_query, grouping)
    context["total_cells"] = tables.total_cells(total, period_query)
    return render(request, "reports/dashboard.html", context)


@login_required
def drill(request: HttpRequest) -> HttpResponse:
    """The dossiers behind one figure of one group."""
    scope = _scope(request)
    period = _period(request)
    figure = request.GET.get("figure", "")
    grouping = _grouping(request, scope)
    key = request.GET.get("key")
    dossiers = scope.filter(Dossier.objects.all())
    try:
        found = selectors.drill(
            dossiers.filter(selectors.group_filter(grouping, key)), period, figure
        )
    except InvalidInput:
        raise Http404 from None
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "period": period,
        "figure": figure,
        "figure_name": FIGURE_NAMES.get(figure, figure),
        "page": page,
        "states": dict(State.choices),
        "period_query": _query(period),
        "page_query": _query(period, figure=figure, group=grouping, key=key),
    }
    return render(request, "reports/drill.html", context)


@login_required
def dossier_measure(request: HttpRequest, pk: int) -> HttpResponse:
    """One dossier as the indicators saw it: received, appointment, supplements, end, and its
    history up to the moment."""
    scope = _scope(request)
    period = _period(request)
    dossiers = scope.filter(Dossier.objects.filter(pk=pk))
    dossier = selectors.drill(dossiers, period, None).first()
    if dossier is None:
        raise Http404
    events = dossier.events.filter(at__lte=period.moment).select_related("agency")
    late = selectors.is_late(dossier, period)
    spent = selectors.supplement_time_of(dossier)
    measured: datetime | None = getattr(dossier, "r_measured_at", None)
    context = {
        "dossier": dossier,
        "spent": spent,
        "adjusted": measured - spent if measured is not None else None,
        "period": period,
        "events": events,
        "late": late,
        "states": dict(State.choices),
        "period_query": _query(period),
    }
    return render(request, "reports/dossier.html", context)


@login_required
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The statistics and indicators of the dashboard's table, as XLSX or CSV."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    scope = _scope(request)
    query = request.GET
    try:
        # An export of another period than the one asked for would mislead: refuse instead.
        period = selectors.parse_period(query.get("from"), query.get("to"), query.get("as_of"))
    except InvalidInput as error:
        return errors_views.error_response(request, error, title=errors_views.title_for(error))
    grouping = _grouping(request, scope)
    dossiers = scope.filter(Dossier.objects.all())
    rows, total = selectors.table(dossiers, period, grouping, scope)
    table = exports.table(rows, total, grouping)
    name = f"bao-cao-{grouping}-{period.first:%Y%m%d}-{period.last:%Y%m%d}"
    logger.info("reports.exported user=%s grouping=%s format=%s", request.user.pk, grouping, fmt)
    if fmt == "xlsx":
        title = _("Báo cáo từ %(first)s đến %(last)s") % {
            "first": f"{period.first:%d/%m/%Y}",
            "last": f"{period.last:%d/%m/%Y}",
        }
        return exports.xlsx_response(table, f"{name}.xlsx", title, period)
    return exports.csv_response(table, f"{name}.csv")


# --- complaints (officers) ----------------------------------------------------------------------


class HandleForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Kết quả xử lý, trả lời người dân"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@login_required
def complaints(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    visible = scope.filter(Dossier.objects.all())
    found = (
        Complaint.objects.filter(dossier__in=visible)
        .select_related("dossier", "dossier__receiving_agency", "handler")
        .order_by("status", "-created_at")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "form": HandleForm(), "resolved": ComplaintStatus.RESOLVED}
    return render(request, "reports/complaints.html", context)


@login_required
@require_POST
def handle_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    form = HandleForm(request.POST)
    form.is_valid()
    resolve = request.POST.get("resolve") == "1"
    try:
        services.handle_complaint(
            pk, actor=request.user, answer=form.cleaned_data.get("answer", ""), resolve=resolve
        )
    except NotFound:
        raise Http404 from None
    except MotcuaError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("Đã cập nhật phản ánh."))
    return redirect("reports:complaints")


# --- the citizen's page -------------------------------------------------------------------------


class RatingForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=gettext_lazy("Bạn có hài lòng với việc giải quyết hồ sơ?"),
        choices=[("1", gettext_lazy("Hài lòng")), ("0", gettext_lazy("Không hài lòng"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Ý kiến (không bắt buộc)"),
        required=False,
        max_length=services.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ComplaintForm(forms.Form):
    content = forms.CharField(
        label=gettext_lazy("Nội dung phản ánh, kiến nghị"),
        max_length=services.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def feedback(request: HttpRequest, access_token: str) -> HttpResponse:
    """Rate the service once the result is out, or record a complaint; the dossier's private
    link identifies the applicant."""
    dossier = Dossier.objects.filter(access_token=access_token).select_related("procedure").first()
    if dossier is None:
        raise Http404
    rating_form, complaint_form = RatingForm(), ComplaintForm()
    if request.method == "POST":
        if request.POST.get("form") == "rating":
            rating_form = RatingForm(request.POST)
            if rating_form.is_valid() and _call(
                request,
                rating_form,
                lambda: services.rate_service(
                    access_token=access_token, **rating_form.cleaned_data
                ),
            ):
                messages.success(request, _("Cảm ơn bạn đã đánh giá."))
                return redirect("feedback:feedback", access_token=access_token)
        else:
            complaint_form = ComplaintForm(request.POST)
            if complaint_form.is_valid() and _call(
                request,
                complaint_form,
                lambda: services.file_complaint(
                    access_token=access_token, content=complaint_form.cleaned_data["content"]
                ),
            ):
                messages.success(request, _("Phản ánh của bạn đã được ghi nhận."))
                return redirect("feedback:feedback", access_token=access_token)
    context = {
        "dossier": dossier,
        "rating": Rating.objects.filter(dossier=dossier).first(),
        "rateable": dossier.state in services.RATEABLE,
        "complaints": list(dossier.complaints.order_by("created_at")),
        "rating_form": rating_form,
        "complaint_form": complaint_form,
        "dossier_url": reverse("portal:dossier", args=[access_token]),
    }
    return render(request, "reports/feedback.html", context)


def _call(request: HttpRequest, form: forms.Form, call: Any) -> bool:
    try:
        call()
    except MotcuaError as error:
        add_error_to_form(form, error)
        return False
    return True
