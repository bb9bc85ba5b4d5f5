"""Drill scenarios: data files (YAML) read and checked into ``Scenario``.

A scenario says when the drill happens (date and window, in Vietnam time), which units take
part (selectors: ``former_gia_lai``, ``former_binh_dinh``, ``all`` or a list of ward codes),
which procedures arrive at what rate, how many officers work at what pace, the channel mix,
the faults to inject and the time compression factor. Every rule broken is reported at once
(``InvalidInputs``), each error naming the field by its path in the file
(``groups[0].procedures[1].per_hour``) and the rule.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import InvalidInput, InvalidInputs

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"

SELECTORS = ("former_gia_lai", "former_binh_dinh", "all")
# Procedures the virtual citizens and officers know how to carry through the API, by flow.
FLOWS = {"2.000635": "civil_status", "1.012784": "land", "1.013831": "land"}
ROLES = ("receivers", "specialists", "leaders")
STEPS = ("receive", "process", "approve", "return")
CHANNELS = ("online", "counter")
# The faults a drill injects. ``payment_notification_lost`` works against any target; the others
# act on the processes of the drill's own server (see ``server.DrillServer``).
FAULT_KINDS = ("payment_notification_lost", "worker_killed", "portal_down", "slow_peer")
# slow_peer: seconds each answer of the peer is held back (real seconds: a network's slowness
# is not compressed), by default and at most.
DEFAULT_DELAY_SECONDS = 3.0
MAX_DELAY_SECONDS = 60.0
MAX_FACTOR = 3600.0


@dataclass(frozen=True)
class ProcedureLoad:
    code: str
    per_hour: float  # arrivals per unit per hour of scenario time

    @property
    def flow(self) -> str:
        return FLOWS[self.code]


@dataclass(frozen=True)
class Group:
    """Units chosen by one selector, with their load and their staff."""

    selector: str  # one of SELECTORS, or "wards"
    wards: tuple[int, ...]
    procedures: tuple[ProcedureLoad, ...]
    staff: dict[str, int]  # officers working at the same time, per role
    pace_minutes: dict[str, float]  # minutes of scenario time an officer spends on each step


@dataclass(frozen=True)
class Fault:
    kind: str
    at: datetime
    minutes: float
    share: float  # payment_notification_lost: share of payments whose notification is lost
    delay_seconds: float = DEFAULT_DELAY_SECONDS  # slow_peer: real seconds added to each answer

    @property
    def until(self) -> datetime:
        return self.at + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    day: date
    start: datetime
    end: datetime
    work_until: datetime  # officers finish what is open until then (end of office hours)
    factor: float
    groups: tuple[Group, ...]
    channels: dict[str, float]
    online_payment: float  # share of online applicants who pay online (others at the counter)
    faults: tuple[Fault, ...] = ()
    seed: int = 1
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def window_minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60

    def real_seconds(self, scenario_minutes: float) -> float:
        return scenario_minutes * 60 / self.factor


def scenario_path(name_or_path: str) -> Path:
    """A shipped scenario by name (``pilot-77``) or a file path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    return SCENARIO_DIR / f"{name_or_path}.yaml"


def shipped_scenarios() -> list[str]:
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.yaml"))


def province_wards() -> frozenset[int]:
    """Codes of the province's communes and wards, from the same package ``org`` loads them
    from (no database needed)."""
    return _wards_of(settings.MOTCUA_PROVINCE_CODE)


@functools.cache
def _wards_of(province_code: int) -> frozenset[int]:
    from vietnam_provinces import Ward as VnWard

    return frozenset(
        int(w.code) for w in VnWard.iter_all() if int(w.province_code) == province_code
    )


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text and are checked here, with the field's
    name (PyYAML would fail on 2025-13-01 with no field at all)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_scenario(name_or_path: str) -> Scenario:
    """Read and check a scenario file; ``InvalidInputs`` lists every rule broken."""
    path = scenario_path(name_or_path)
    if path.parent == SCENARIO_DIR and not path.exists():
        # A name, not a path: say which names there are.
        raise InvalidInputs(
            [
                InvalidInput(
                    _("Không có kịch bản “%(name)s”; các kịch bản có sẵn: %(shipped)s."),
                    field="scenario",
                    code="unknown_scenario",
                    name=name_or_path,
                    shipped=", ".join(shipped_scenarios()),
                )
            ]
        )
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (safe)
    except OSError as error:
        raise InvalidInputs(
            [
                InvalidInput(
                    _("Không đọc được tệp kịch bản “%(name)s”: %(error)s."),
                    field="file",
                    code="unreadable",
                    name=str(path),
                    error=type(error).__name__,
                )
            ]
        ) from error
    except yaml.YAMLError as error:
        raise InvalidInputs(
            [
                InvalidInput(
                    _("Tệp kịch bản “%(name)s” không phải YAML hợp lệ."),
                    field="file",
                    code="yaml",
                    name=str(path),
                )
            ]
        ) from error
    return parse_scenario(data, source=str(path), default_name=path.stem)


# --- checking ----------------------------------------------------------------------------------


class _Checker:
    """Collects every error with the field's path, so that one run reports them all."""

    def __init__(self) -> None:
        self.errors: list[InvalidInput] = []

    def fail(self, path: str, message: Any, code: str, **params: Any) -> None:
        self.errors.append(InvalidInput(message, field=path, code=code, **params))

    def required(self, data: dict[str, Any], key: str, path: str) -> Any:
        if key not in data or data[key] is None:
            self.fail(path, _("“%(name)s” là bắt buộc."), "required", name=path)
            return None
        return data[key]

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.type_error(path)
            return {}
        for key in value:
            if key not in allowed:
                self.fail(
                    f"{path}.{key}" if path else str(key),
                    _("“%(name)s” không có trong kịch bản; các mục được dùng: %(expected)s."),
                    "unknown_key",
                    name=key,
                    expected=", ".join(allowed),
                )
        return value

    def type_error(self, path: str) -> None:
        self.fail(path, _("“%(name)s” không đúng kiểu dữ liệu."), "type", name=path)

    def number(self, value: Any, path: str, low: float, high: float) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.type_error(path)
            return None
        if not low <= value <= high:
            self.fail(
                path,
                _("“%(name)s” phải từ %(low)s đến %(high)s."),
                "range",
                name=path,
                low=f"{low:g}",
                high=f"{high:g}",
            )
            return None
        return float(value)

    def choice(self, value: Any, path: str, options: tuple[str, ...]) -> str | None:
        if value not in options:
            self.fail(
                path,
                _("“%(name)s” phải là một trong: %(expected)s."),
                "choice",
                name=path,
                expected=", ".join(options),
            )
            return None
        return str(value)

    def clock_time(self, value: Any, path: str) -> time | None:
        if value is None:
            return None  # already reported as required
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            # YAML 1.1 reads an unquoted 14:00 as the base-60 number 840: read it back.
            return time(value // 60, value % 60)
        text = str(value).strip() if isinstance(value, str) else ""
        try:
            hours, minutes = (int(part) for part in text.split(":"))
            return time(hours, minutes)
        except ValueError:
            self.fail(
                path,
                _('“%(name)s” phải là giờ dạng HH:MM trong ngoặc kép, vd. "14:00".'),
                "time",
                name=path,
            )
            return None


_TOP = (
    "name",
    "title",
    "date",
    "window",
    "work_until",
    "compression",
    "groups",
    "channels",
    "online_payment",
    "faults",
    "seed",
)


def parse_scenario(data: Any, *, source: str = "", default_name: str = "") -> Scenario:
    """Check the scenario's data (as loaded from YAML) and build it."""
    check = _Checker()
    if not isinstance(data, dict) or not data:
        check.fail(
            "scenario",
            _(
                "Tệp kịch bản phải là một bảng các mục (%(expected)s), không trống, không phải "
                "danh sách."
            ),
            "top_level",
            expected=", ".join(_TOP),
        )
        raise InvalidInputs(check.errors)
    top = check.mapping(data, "", _TOP)
    if not top and check.errors:
        raise InvalidInputs(check.errors)
    day = _day(check, top)
    window = check.mapping(check.required(top, "window", "window"), "window", ("start", "end"))
    start_time = check.clock_time(check.required(window, "start", "window.start"), "window.start")
    end_time = check.clock_time(check.required(window, "end", "window.end"), "window.end")
    until_time = check.clock_time(top.get("work_until", "17:00"), "work_until")
    factor = check.number(
        check.required(top, "compression", "compression"), "compression", 1, MAX_FACTOR
    )
    groups = _groups(check, check.required(top, "groups", "groups"))
    channels = _channels(check, top.get("channels", {"online": 1.0}))
    online_payment = check.number(top.get("online_payment", 1.0), "online_payment", 0, 1)
    seed = top.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int):
        check.type_error("seed")

    start = end = until = None
    if day and start_time and end_time and until_time:
        start = datetime.combine(day, start_time, tzinfo=VN)
        end = datetime.combine(day, end_time, tzinfo=VN)
        until = datetime.combine(day, until_time, tzinfo=VN)
        if end <= start:
            check.fail("window.end", _("Giờ kết thúc phải sau giờ bắt đầu."), "window_order")
        elif until < end:
            check.fail(
                "work_until", _("Giờ làm việc phải kéo dài ít nhất đến hết khung giờ."), "until"
            )
    window_ok = start is not None and end is not None and end > start
    faults = _faults(check, top.get("faults", []), start if window_ok else None, end)
    if check.errors:
        raise InvalidInputs(check.errors)
    assert day and start and end and until and factor and online_payment is not None  # noqa: S101
    return Scenario(
        name=str(top.get("name") or default_name),
        title=str(top.get("title") or top.get("name") or default_name),
        day=day,
        start=start,
        end=end,
        work_until=until,
        factor=factor,
        groups=tuple(groups),
        channels=channels,
        online_payment=online_payment,
        faults=tuple(faults),
        seed=int(seed),
        source=source,
    )


def _day(check: _Checker, top: dict[str, Any]) -> date | None:
    value = check.required(top, "date", "date")
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        check.fail("date", _("“%(name)s” phải là ngày dạng YYYY-MM-DD."), "date", name="date")
        return None


def _groups(check: _Checker, value: Any) -> list[Group]:
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        check.fail("groups", _("Kịch bản cần ít nhất một nhóm đơn vị."), "empty")
        return []
    groups = []
    for index, item in enumerate(value):
        group = _group(check, item, f"groups[{index}]")
        if group is not None:
            groups.append(group)
    return groups


_GROUP = ("units", "procedures", "staff", "pace_minutes")


def _group(check: _Checker, item: Any, path: str) -> Group | None:
    data = check.mapping(item, path, _GROUP)
    if not data:
        return None
    selector, wards = _units(check, check.required(data, "units", f"{path}.units"), path)
    procedures = _procedures(check, check.required(data, "procedures", f"{path}.procedures"), path)
    staff_data = check.mapping(data.get("staff", {}), f"{path}.staff", ROLES)
    staff = {}
    for role in ROLES:
        number = check.number(staff_data.get(role, 1), f"{path}.staff.{role}", 1, 20)
        staff[role] = int(number or 1)
    pace_data = check.mapping(data.get("pace_minutes", {}), f"{path}.pace_minutes", STEPS)
    pace = {}
    for step in STEPS:
        minutes = check.number(pace_data.get(step, 2), f"{path}.pace_minutes.{step}", 0, 480)
        pace[step] = minutes if minutes is not None else 2.0
    if selector is None or not procedures:
        return None
    return Group(selector, wards, tuple(procedures), staff, pace)


def _units(check: _Checker, value: Any, path: str) -> tuple[str | None, tuple[int, ...]]:
    if value is None:
        return None, ()
    if isinstance(value, list):
        wards = []
        for index, ward in enumerate(value):
            if isinstance(ward, bool) or not isinstance(ward, int) or ward <= 0:
                check.fail(
                    f"{path}.units[{index}]",
                    _("“%(name)s” phải là mã xã, phường (số), vd. 23575."),
                    "ward_code",
                    name=f"{path}.units[{index}]",
                )
            elif ward not in province_wards():
                check.fail(
                    f"{path}.units[{index}]",
                    _(
                        "“%(name)s”: %(ward)s không phải mã một xã, phường của tỉnh (mã tỉnh "
                        "%(province)s, %(count)s đơn vị)."
                    ),
                    "unknown_ward",
                    name=f"{path}.units[{index}]",
                    ward=ward,
                    province=settings.MOTCUA_PROVINCE_CODE,
                    count=len(province_wards()),
                )
            else:
                wards.append(ward)
        if not value:
            check.fail(f"{path}.units", _("Danh sách đơn vị trống."), "empty")
        return "wards", tuple(wards)
    return check.choice(value, f"{path}.units", SELECTORS), ()


def _procedures(check: _Checker, value: Any, path: str) -> list[ProcedureLoad]:
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        check.fail(f"{path}.procedures", _("Nhóm cần ít nhất một thủ tục."), "empty")
        return []
    loads = []
    for index, item in enumerate(value):
        item_path = f"{path}.procedures[{index}]"
        data = check.mapping(item, item_path, ("code", "per_hour"))
        if not data:
            continue
        code = check.choice(
            str(check.required(data, "code", f"{item_path}.code")),
            f"{item_path}.code",
            tuple(FLOWS),
        )
        rate = check.number(
            check.required(data, "per_hour", f"{item_path}.per_hour"),
            f"{item_path}.per_hour",
            0,
            600,
        )
        if code is not None and rate is not None:
            loads.append(ProcedureLoad(code, rate))
    return loads


def _channels(check: _Checker, value: Any) -> dict[str, float]:
    data = check.mapping(value, "channels", CHANNELS)
    shares = {}
    for name in CHANNELS:
        share = check.number(data.get(name, 0), f"channels.{name}", 0, 1)
        shares[name] = share or 0.0
    if data and abs(sum(shares.values()) - 1) > 1e-6:
        check.fail("channels", _("Tỉ lệ các kênh phải cộng lại bằng 1."), "sum")
    return shares


_FAULT = ("kind", "at", "minutes", "share", "delay_seconds")


def _faults(
    check: _Checker, value: Any, start: datetime | None, end: datetime | None
) -> list[Fault]:
    if value in (None, []):
        return []
    if not isinstance(value, list):
        check.type_error("faults")
        return []
    faults = []
    for index, item in enumerate(value):
        path = f"faults[{index}]"
        data = check.mapping(item, path, _FAULT)
        if not data:
            continue
        kind = check.choice(
            check.required(data, "kind", f"{path}.kind"), f"{path}.kind", FAULT_KINDS
        )
        at = check.clock_time(check.required(data, "at", f"{path}.at"), f"{path}.at")
        minutes = check.number(data.get("minutes", 5), f"{path}.minutes", 0, 480)
        share = check.number(data.get("share", 1.0), f"{path}.share", 0, 1)
        delay = check.number(
            data.get("delay_seconds", DEFAULT_DELAY_SECONDS),
            f"{path}.delay_seconds",
            0,
            MAX_DELAY_SECONDS,
        )
        if "delay_seconds" in data and kind is not None and kind != "slow_peer":
            check.fail(
                f"{path}.delay_seconds",
                _("“%(name)s” chỉ dùng cho sự cố “%(kind)s”."),
                "not_for_kind",
                name=f"{path}.delay_seconds",
                kind="slow_peer",
            )
            continue
        if (
            kind is None
            or at is None
            or minutes is None
            or share is None
            or delay is None
            or start is None
        ):
            continue
        moment = datetime.combine(start.date(), at, tzinfo=VN)
        if end is not None and not start <= moment < end:
            check.fail(f"{path}.at", _("Sự cố phải bắt đầu trong khung giờ diễn tập."), "outside")
            continue
        faults.append(Fault(kind, moment, minutes, share, delay))
    return faults
