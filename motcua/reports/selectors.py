"""Reads of the reports context: who sees what, periods, and the figures grouped by a
dimension, each counted by the database in one query."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from django.db.models import CharField, F, Q, QuerySet, Value
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import InvalidInput, NotFound
from motcua.deadlines.calendar import TZ
from motcua.dossiers.models import Dossier
from motcua.dossiers.permissions import is_province_admin, memberships_of
from motcua.org.models import Agency, AgencyKind, FormerProvince, Role, Ward
from motcua.reports import facts as kept
from motcua.reports import totals
from motcua.reports.facts import StoredFacts
from motcua.reports.indicators import FIGURE_SQL, FIGURES, Facts
from motcua.reports.models import DossierFacts

PROVINCIAL_KINDS = (AgencyKind.PROVINCE_PC, AgencyKind.PROVINCE_OFFICE, AgencyKind.PROVINCE_CENTER)


# --- who sees what ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a user's dashboards cover: the whole province, or the dossiers received or
    resolved by their units (a commune's units together)."""

    province: bool
    agency_ids: frozenset[int] = field(default_factory=frozenset)
    ward_ids: frozenset[int] = field(default_factory=frozenset)

    def filter(self, queryset: QuerySet[Dossier]) -> QuerySet[Dossier]:
        if self.province:
            return queryset
        return queryset.filter(
            Q(receiving_agency_id__in=self.agency_ids) | Q(competent_agency_id__in=self.agency_ids)
        )

    def facts(self) -> QuerySet[DossierFacts]:
        """The facts rows of ``filter``'s dossiers, by the units the rows keep (set at
        registration, never changed): read by their own indexes, not by the dossiers'."""
        rows = DossierFacts.objects.all()
        if self.province:
            return rows
        return rows.filter(
            Q(receiving_agency_id__in=self.agency_ids) | Q(competent_agency_id__in=self.agency_ids)
        )


def scope_of(user: Any) -> Scope:
    """Provincial administrators and leaders of provincial units see the province; other
    leaders see their units (for a commune unit: all the commune's units). Anyone else
    gets ``NotFound``."""
    if is_province_admin(user):
        return Scope(province=True)
    leads = [m.agency for m in memberships_of(user) if m.role == Role.LEADER]
    if not leads:
        raise NotFound(_("Không tìm thấy."), code="reports_not_found")
    if any(agency.kind in PROVINCIAL_KINDS for agency in leads):
        return Scope(province=True)
    ward_ids = frozenset(a.ward_id for a in leads if a.ward_id is not None)
    agency_ids = {a.pk for a in leads}
    if ward_ids:
        agency_ids |= set(Agency.objects.filter(ward_id__in=ward_ids).values_list("pk", flat=True))
    return Scope(province=False, agency_ids=frozenset(agency_ids), ward_ids=ward_ids)


def may_see_reports(user: Any) -> bool:
    """For the navigation link: provincial administrators and leaders."""
    return is_province_admin(user) or any(m.role == Role.LEADER for m in memberships_of(user))


# --- periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """[first day, last day] in Vietnam time, seen as of ``as_of`` (at most the period's end)."""

    first: date
    last: date
    as_of: datetime

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=TZ)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=TZ)

    @property
    def moment(self) -> datetime:
        """The last instant whose history counts."""
        return min(self.as_of, self.end - timedelta(microseconds=1))

    @property
    def is_past_view(self) -> bool:
        return self.as_of < self.end and self.as_of < clock.now() - timedelta(minutes=1)

    def facts(self) -> Facts:
        return Facts(start=self.start, moment=self.moment)


def parse_period(
    first: str | None, last: str | None, as_of: str | None, *, now: datetime | None = None
) -> Period:
    """The period of a request's query: ``from``/``to`` as ISO dates (default: this month so
    far) and ``as_of`` as an ISO date (the figures as they stood at the end of that day)."""
    now = now or clock.now()
    today = clock.localtime(now).date()
    first_day = _parse_date(first, "from") or today.replace(day=1)
    if last:
        last_day = _parse_date(last, "to")
        assert last_day is not None  # noqa: S101 (a non-empty value parses or raises)
    else:
        last_day = _month_end(first_day)
    if last_day < first_day:
        raise InvalidInput(
            _("“Đến ngày” phải từ “Từ ngày” trở đi."), field="to", code="period_order"
        )
    if (last_day - first_day).days > 3660:
        raise InvalidInput(_("Kỳ báo cáo dài quá 10 năm."), field="to", code="period_too_long")
    moment = now
    as_of_day = _parse_date(as_of, "as_of")
    if as_of_day is not None:
        if as_of_day < first_day:
            raise InvalidInput(
                _("“Tính đến ngày” không được trước ngày đầu kỳ."),
                field="as_of",
                code="as_of_before_period",
            )
        moment = min(now, datetime.combine(as_of_day + timedelta(days=1), time.min, tzinfo=TZ))
        moment -= timedelta(microseconds=1) if moment != now else timedelta(0)
    return Period(first=first_day, last=last_day, as_of=moment)


def presets(today: date) -> list[tuple[str | Promise, date, date]]:
    """Usual reporting periods around ``today``: this month, last month, quarter, year."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    quarter_end_month = quarter_start.month + 2
    quarter_end = quarter_start.replace(
        month=quarter_end_month,
        day=calendar.monthrange(today.year, quarter_end_month)[1],
    )
    return [
        (_("Tháng này"), month_start, _month_end(month_start)),
        (_("Tháng trước"), last_month_end.replace(day=1), last_month_end),
        (_("Quý này"), quarter_start, quarter_end),
        (_("Năm nay"), today.replace(month=1, day=1), today.replace(month=12, day=31)),
    ]


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _parse_date(value: str | None, field_name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            _("“%(name)s” phải là ngày dạng YYYY-MM-DD."),
            field=field_name,
            code="date_format",
            name=field_name,
        ) from None


# --- grouping -----------------------------------------------------------------------------------

# Each dossier counts once in a grouping, whichever units it passed through: communes and
# former provinces by the unit of receipt (where the citizen was served; boundaryless and
# inter-agency dossiers are not counted twice), agencies by the competent (resolving) unit.
GROUPINGS: dict[str, str | None] = {
    "province": None,
    "former_province": "receiving_agency__ward__former_province",
    "ward": "receiving_agency__ward_id",
    "agency": "competent_agency_id",
    "procedure": "procedure__code",
}
GROUPING_LABELS: dict[str, str | Promise] = {
    "province": _("Toàn tỉnh"),
    "former_province": _("Theo tỉnh cũ"),
    "ward": _("Theo xã, phường (nơi tiếp nhận)"),
    "agency": _("Theo cơ quan giải quyết"),
    "procedure": _("Theo thủ tục"),
}


def prefilter(queryset: QuerySet[Dossier], period: Period) -> QuerySet[Dossier]:
    """Leave out, by columns set once in a dossier's life, the dossiers that cannot count in
    the period: received or refused after it, or ended before it began."""
    start, moment = period.start, period.moment
    received = Q(accepted_at__lte=moment) & ~Q(finished_at__lt=start) & ~Q(closed_at__lt=start)
    refused = Q(accepted_at__isnull=True, closed_at__gte=start, closed_at__lte=moment)
    return queryset.filter(received | refused)


def aggregate(
    queryset: QuerySet[Dossier],
    period: Period,
    grouping: str,
    *,
    history: bool = False,
    scope: Scope | None = None,
) -> dict[Any, dict[str, Any]]:
    """Every counted figure and the average processing time per group.

    The province (``queryset`` unfiltered) is read from the day totals of closed dossiers and
    the live remainder (``motcua.reports.totals.compose``, three queries); a unit's dossiers
    from the rows kept per dossier (``motcua.reports.facts``, one query); with ``history``
    from the history itself (the reference both are tested against, one query). With
    ``scope``, ``queryset`` is ``scope.filter`` of every dossier: a unit's rows are then found
    by the units they keep (``Scope.facts``)."""
    if grouping not in GROUPINGS:
        raise InvalidInput(_("Cách nhóm không hợp lệ."), field="group", code="choice")
    column = GROUPINGS[grouping]
    composed = None
    if history:
        facts: Facts = period.facts()
        candidates: QuerySet[Any] = prefilter(queryset, period)
    else:
        facts = StoredFacts(start=period.start, moment=period.moment)
        rows = kept.rows_of(queryset) if scope is None else scope.facts()
        if not queryset.query.where:
            composed = totals.compose(rows, period.start, period.moment, grouping)
        candidates = kept.prefilter(rows, period.start, period.moment)
    if composed is None:
        group = {"f_group": F(column) if column else Value(None, output_field=CharField())}
        if history or queryset.query.where:
            counted = totals.count_rows(candidates, facts, group)
        else:  # the province's rows: the same query but for the moments, compiled once

            def build(start: datetime, moment: datetime, _: datetime) -> Any:
                return kept.prefilter(rows, start, moment), StoredFacts(start, moment), group

            moments = (period.start, period.moment, period.moment)
            counted = totals.count_shaped((rows.db, "rows", grouping), build, moments)
        composed = {row.pop("f_group"): row for row in counted}
    figures = {key: _with_average(values) for key, values in composed.items()}
    if column is None:
        return {None: figures.get(None, {})}
    return figures


def _with_average(values: dict[str, Any]) -> dict[str, Any]:
    """The figures with the average processing time in place of its sum and count."""
    figures = {key: values[key] for key in FIGURE_SQL}
    count = values["time_n"]
    figures["avg_time"] = timedelta(microseconds=values["time_sum"]) / count if count else None
    figures["time_n"] = count
    return figures


# --- indicators from figures --------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @cached_property
    def percent(self) -> Decimal | None:
        if not self.denominator:
            return None
        value = Decimal(self.numerator * 100) / Decimal(self.denominator)
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Row:
    """One line of a dashboard table: a group and its figures (read once: the indicators are
    worked out on first use and kept, the ranking and the page read them several times)."""

    key: Any
    label: str
    figures: dict[str, Any]
    rank: int | None = None
    ward_code: int | None = None

    def count(self, key: str) -> int:
        return int(self.figures.get(key) or 0)

    @cached_property
    def on_time(self) -> Ratio:
        return Ratio(self.count("timed_on_time"), self.count("timed"))

    @cached_property
    def synced(self) -> Ratio:
        return Ratio(self.count("synced"), self.count("received"))

    @cached_property
    def online(self) -> Ratio:
        return Ratio(self.count("received_online"), self.count("received"))

    @cached_property
    def paid_online(self) -> Ratio:
        return Ratio(self.count("paid_online"), self.count("fee_bearing"))

    @cached_property
    def digitised(self) -> Ratio:
        return Ratio(self.count("digitised"), self.count("approved"))

    @cached_property
    def satisfaction(self) -> Decimal | None:
        """5.4: 100% − (% resolved late + % resolved with a complaint or "not satisfied")."""
        resolved = self.count("resolved")
        if not resolved:
            return None
        bad = Decimal(self.count("resolved_late") + self.count("complained")) * 100
        value = max(Decimal(0), Decimal(100) - bad / Decimal(resolved))
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @cached_property
    def avg_days(self) -> Decimal | None:
        spent = _as_timedelta(self.figures.get("avg_time"))
        if spent is None:
            return None
        days = Decimal(spent.total_seconds()) / Decimal(86400)
        return days.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def table(
    queryset: QuerySet[Dossier], period: Period, grouping: str, scope: Scope
) -> tuple[list[Row], Row]:
    """The rows of a grouping and their total, from one counting query: every dossier is in
    exactly one group, so the total is the sum of the groups. ``queryset`` is ``scope.filter``
    of every dossier."""
    figures = aggregate(queryset, period, grouping, scope=scope)
    return _rows(figures, grouping, scope), Row(None, str(_("Tổng cộng")), _sum(figures))


def _sum(figures: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {key: 0 for key in FIGURE_SQL}
    spent, resolved = timedelta(0), 0
    for values in figures.values():
        for key in FIGURE_SQL:
            total[key] += int(values.get(key) or 0)
        average = _as_timedelta(values.get("avg_time"))
        if average is not None:
            count = int(values.get("time_n") or 0)
            spent, resolved = spent + average * count, resolved + count
    total["avg_time"] = spent / resolved if resolved else None
    total["time_n"] = resolved
    return total


def _as_timedelta(value: Any) -> timedelta | None:
    """An average duration as the database answers it (SQLite: microseconds)."""
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(microseconds=float(value))


def rows_for(queryset: QuerySet[Dossier], period: Period, grouping: str, scope: Scope) -> list[Row]:
    """The table of a grouping, labelled; for communes every commune in scope is listed
    (ranked by on-time rate, then by dossiers received), also those without dossiers."""
    return _rows(aggregate(queryset, period, grouping), grouping, scope)


def _rows(figures: dict[Any, dict[str, Any]], grouping: str, scope: Scope) -> list[Row]:
    if grouping == "ward":
        return _ward_rows(figures, scope)
    labels = _labels(grouping, [key for key in figures if key is not None])
    rows = [
        Row(key, labels.get(key, str(_("Cấp tỉnh"))), values) for key, values in figures.items()
    ]
    return sorted(rows, key=lambda row: row.label)


def _ward_rows(figures: dict[Any, dict[str, Any]], scope: Scope) -> list[Row]:
    from django.conf import settings

    wards = Ward.objects.filter(province_id=settings.MOTCUA_PROVINCE_CODE).only("code", "name")
    if not scope.province:
        # A unit's own communes, and those where the dossiers it resolves were received.
        wards = wards.filter(code__in=scope.ward_ids | {key for key in figures if key})
    rows = [Row(w.code, w.name, figures.get(w.code, {}), ward_code=w.code) for w in wards]
    if None in figures and scope.province:
        rows.append(Row(None, str(_("Trung tâm cấp tỉnh")), figures[None]))

    def order(row: Row) -> tuple[Any, ...]:
        rate = row.on_time.percent
        return (rate is None, -(rate or 0), -row.count("received"), row.label)

    rows.sort(key=order)
    for index, row in enumerate(rows, start=1):
        row.rank = index if row.on_time.percent is not None else None
    return rows


def _labels(grouping: str, keys: Sequence[Any]) -> dict[Any, str]:
    if grouping == "former_province":
        return {key: str(FormerProvince(key).label) for key in keys if key}
    if grouping == "agency":
        return dict(Agency.objects.filter(pk__in=keys).values_list("pk", "name"))
    if grouping == "procedure":
        from motcua.catalog.models import Procedure

        names = Procedure.objects.filter(code__in=keys, is_current=True)
        return {code: f"{code} {name}" for code, name in names.values_list("code", "name_vi")}
    return {None: str(_("Toàn tỉnh"))}


def total_row(queryset: QuerySet[Dossier], period: Period) -> Row:
    figures = aggregate(queryset, period, "province")
    return Row(None, str(_("Tổng cộng")), figures[None])


# --- drill-down ---------------------------------------------------------------------------------


def group_filter(grouping: str, key: str | None) -> Q:
    """The dossiers of one group of a table, from the group's key as text."""
    column = GROUPINGS.get(grouping)
    if column is None or key is None:
        return Q()
    if key == "":
        blank = Q(**{f"{column}__isnull": True})
        return blank | Q(**{column: ""}) if grouping == "former_province" else blank
    if column.endswith("_id"):
        try:
            return Q(**{column: int(key)})
        except ValueError:
            raise InvalidInput(_("Nhóm không hợp lệ."), field="key", code="invalid") from None
    return Q(**{column: key})


def drill(queryset: QuerySet[Dossier], period: Period, figure: str | None) -> QuerySet[Dossier]:
    """The dossiers behind one counted figure (all of ``queryset`` for None), with the facts
    that decided it."""
    facts = period.facts()
    if figure is not None:
        if figure not in FIGURES:
            raise InvalidInput(_("Chỉ tiêu không hợp lệ."), field="figure", code="choice")
        queryset = prefilter(queryset, period).filter(FIGURES[figure](facts))
    return (
        queryset.select_related("procedure", "receiving_agency", "competent_agency")
        .annotate(
            r_received_at=facts.received_at(),
            r_due_at=facts.due_at(),
            r_ended_at=facts.ended_at(),
            r_state=facts.state(),
            r_supplements=facts.supplement_count(),
            r_supplement_time=facts.supplement_time(),
            r_measured_at=facts.measured_at(),
        )
        .order_by("-accepted_at", "-pk")
    )


def is_late(dossier: Dossier, period: Period) -> bool | None:
    """The on-time rule applied to one dossier annotated by ``drill`` (None: not received at
    the moment)."""
    received, due = getattr(dossier, "r_received_at", None), getattr(dossier, "r_due_at", None)
    if received is None or due is None:
        return None
    spent = supplement_time_of(dossier)
    overrun: timedelta = dossier.r_measured_at - due  # type: ignore[attr-defined]
    return bool(dossier.r_supplements > 1 or overrun > spent)  # type: ignore[attr-defined]


def supplement_time_of(dossier: Dossier) -> timedelta:
    """The supplement time annotated by ``drill`` (SQLite answers in microseconds)."""
    spent = getattr(dossier, "r_supplement_time", None)
    if isinstance(spent, timedelta):
        return spent
    return timedelta(microseconds=int(spent or 0))
