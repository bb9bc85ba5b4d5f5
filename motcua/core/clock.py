"""The system's notion of "now", in one place so that drills can run on a virtual clock.

Outside drill mode ``now()`` is exactly ``timezone.now()``. In drill mode (``MOTCUA_DRILL=1``,
only ever on a throw-away drill instance) it is the drill's scenario time: the drill runner
sets an anchor (``drill.VirtualClock``: this scenario moment is that real moment, and the
scenario runs ``factor`` times faster), stored in the database so that every web process of
the instance reads the same clock. Each process re-reads the anchor at most once a second.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

# How long a process trusts the anchor it read: the runner waits longer than this between
# setting the clock and starting the scenario.
ANCHOR_TTL_SECONDS = 1.0


@dataclass(frozen=True)
class Anchor:
    """``scenario_start`` happens at ``real_start``; scenario time runs ``factor`` times faster."""

    scenario_start: datetime
    real_start: datetime
    factor: float

    def at(self, real: datetime) -> datetime:
        return self.scenario_start + (real - self.real_start) * self.factor


_cache: dict[str, tuple[float, Anchor | None]] = {}
_lock = threading.Lock()


def now() -> datetime:
    real = timezone.now()
    if not settings.MOTCUA_DRILL:
        return real
    anchor = current_anchor()
    return anchor.at(real) if anchor is not None else real


def localtime(moment: datetime) -> datetime:
    """``moment`` in Asia/Ho_Chi_Minh (the settings' TIME_ZONE)."""
    return timezone.localtime(moment)


def current_anchor() -> Anchor | None:
    """The drill's anchor as this process last read it (at most ``ANCHOR_TTL_SECONDS`` old)."""
    with _lock:
        cached = _cache.get("anchor")
        if cached is not None and time.monotonic() - cached[0] < ANCHOR_TTL_SECONDS:
            return cached[1]
    anchor = _read_anchor()
    with _lock:
        _cache["anchor"] = (time.monotonic(), anchor)
    return anchor


def forget_anchor() -> None:
    """Drop the cached anchor: the next ``now()`` reads it again (after the runner set it)."""
    with _lock:
        _cache.pop("anchor", None)


def _read_anchor() -> Anchor | None:
    # Looked up by name: the core must not import the drill app, which sits at the edge.
    from django.apps import apps

    model = apps.get_model("drill", "VirtualClock")
    row = model.objects.filter(pk=1).values("scenario_start", "real_start", "factor").first()
    if row is None:
        return None
    return Anchor(row["scenario_start"], row["real_start"], float(row["factor"]))
