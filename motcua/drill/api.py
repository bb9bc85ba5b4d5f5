"""API of a drill instance (``MOTCUA_DRILL=1`` only): its virtual clock, and its ledger.

The drill runner sets the clock once at the start of a run with a provincial administrator's
bearer key; every process of the instance then reads scenario time from ``core.clock``. At the
end it reads the ledger (outbox messages and dossiers since the scenario's start) to reconcile.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from motcua.core import clock
from motcua.core.errors import Forbidden
from motcua.dossiers.permissions import is_province_admin
from motcua.drill import services
from motcua.drill.ledger import drill_ledger, outbox_backlog
from motcua.drill.models import VirtualClock
from motcua.org.api import officer_auth, officer_of

router = Router(tags=["Diễn tập"])


class ClockIn(Schema):
    scenario_start: datetime = Field(..., description="thời điểm kịch bản bắt đầu, có múi giờ")
    factor: float = Field(..., description="hệ số nén thời gian, 1–3600")
    lead_seconds: float = Field(2.0, description="bắt đầu sau bao nhiêu giây thực")
    label: str = Field("", max_length=100)


class ClockOut(Schema):
    drill: bool = Field(description="máy chủ đang ở chế độ diễn tập")
    now: datetime = Field(description="giờ của hệ thống (giờ kịch bản khi diễn tập)")
    real_now: datetime
    scenario_start: datetime | None
    real_start: datetime | None
    factor: float


def _clock_out(row: VirtualClock | None) -> ClockOut:
    return ClockOut(
        drill=True,
        now=clock.now(),
        real_now=timezone.now(),
        scenario_start=row.scenario_start if row else None,
        real_start=row.real_start if row else None,
        factor=row.factor if row else 1.0,
    )


@router.get("/drill/clock", response=ClockOut, auth=officer_auth, url_name="drill-clock")
def get_clock(request: HttpRequest) -> ClockOut:
    """The instance's clock now; 404 ``not_drill_mode`` outside drill mode."""
    services.require_drill_mode()
    return _clock_out(VirtualClock.objects.filter(pk=1).first())


@router.put("/drill/clock", response=ClockOut, auth=officer_auth, url_name="drill-clock-set")
def set_clock(request: HttpRequest, payload: ClockIn) -> ClockOut:
    """Anchor the virtual clock (provincial administrator): ``scenario_start`` is reached
    ``lead_seconds`` from now and scenario time runs ``factor`` times faster."""
    row = services.set_virtual_clock(
        actor=officer_of(request),
        scenario_start=payload.scenario_start,
        factor=payload.factor,
        lead_seconds=payload.lead_seconds,
        label=payload.label,
    )
    return _clock_out(row)


@router.delete("/drill/clock", response=ClockOut, auth=officer_auth, url_name="drill-clock-clear")
def clear_clock(request: HttpRequest) -> ClockOut:
    """Back to real time."""
    services.clear_virtual_clock(actor=officer_of(request))
    return _clock_out(None)


@router.get("/drill/ledger", auth=officer_auth, url_name="drill-ledger")
def ledger(request: HttpRequest, since: datetime, backlog_only: bool = False) -> dict[str, Any]:
    """Outbox messages and dossiers since ``since`` (provincial administrator, drill mode);
    with ``backlog_only`` only the number of messages not delivered yet."""
    services.require_drill_mode()
    if not is_province_admin(officer_of(request)):
        raise Forbidden(code="wrong_role")
    if backlog_only:
        return {"undelivered": outbox_backlog(since=since)}
    return drill_ledger(since=since)
