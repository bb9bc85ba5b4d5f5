"""Server side of the drill: setting the virtual clock of a drill instance."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core import audit, clock
from motcua.core.errors import Forbidden, InvalidInput, NotFound
from motcua.dossiers.permissions import is_province_admin
from motcua.drill.models import VirtualClock

logger = logging.getLogger(__name__)

MAX_FACTOR = 3600.0
# Every process re-reads the anchor within clock.ANCHOR_TTL_SECONDS; the scenario starts later.
MIN_LEAD_SECONDS = clock.ANCHOR_TTL_SECONDS + 0.5


def require_drill_mode() -> None:
    """Outside drill mode the clock endpoints do not exist (404)."""
    if not settings.MOTCUA_DRILL:
        raise NotFound(_("Máy chủ không chạy ở chế độ diễn tập."), code="not_drill_mode")


def set_virtual_clock(
    *, actor: Any, scenario_start: datetime, factor: float, lead_seconds: float, label: str = ""
) -> VirtualClock:
    """Anchor the drill instance's clock: ``scenario_start`` happens ``lead_seconds`` from now
    (real time) and scenario time then runs ``factor`` times faster. Only a provincial
    administrator, only in drill mode."""
    require_drill_mode()
    if not is_province_admin(actor):
        raise Forbidden(_("Chỉ quản trị cấp tỉnh được đặt đồng hồ diễn tập."), code="wrong_role")
    if timezone.is_naive(scenario_start):
        raise InvalidInput(
            _("“%(name)s” phải có múi giờ, vd. 2025-06-25T14:00:00+07:00."),
            field="scenario_start",
            code="timezone",
            name="scenario_start",
        )
    if not 1.0 <= factor <= MAX_FACTOR:
        raise InvalidInput(
            _("“%(name)s” phải từ %(low)s đến %(high)s."),
            field="factor",
            code="range",
            name="factor",
            low=1,
            high=int(MAX_FACTOR),
        )
    real_now = timezone.now()
    real_start = real_now + timedelta(seconds=max(lead_seconds, MIN_LEAD_SECONDS))
    with transaction.atomic():
        row, _created = VirtualClock.objects.update_or_create(
            pk=1,
            defaults={
                "scenario_start": scenario_start,
                "real_start": real_start,
                "factor": factor,
                "label": label[:100],
                "set_at": real_now,
            },
        )
        audit.record("drill.clock_set", row, actor=actor, data={"factor": factor})
    clock.forget_anchor()
    logger.info("drill.clock_set factor=%s", factor)
    return row


def clear_virtual_clock(*, actor: Any) -> None:
    """Back to real time on the drill instance."""
    require_drill_mode()
    if not is_province_admin(actor):
        raise Forbidden(_("Chỉ quản trị cấp tỉnh được đặt đồng hồ diễn tập."), code="wrong_role")
    with transaction.atomic():
        row = VirtualClock.objects.filter(pk=1).first()
        if row is not None:
            audit.record("drill.clock_cleared", row, actor=actor)
            row.delete()
    clock.forget_anchor()
    logger.info("drill.clock_cleared")
