"""The drill runner: virtual citizens and officers driving a running motcua over HTTP.

Everything goes through the public HTTP API and pages, like any client: citizens submit
(``POST /api/dossiers``, with an ``Idempotency-Key`` and retries), pay online through the
payment pages and the gateway (the built-in sandbox) or at the counter; officers work their
worklists with bearer keys (accept, take for processing, submit for approval, approve, return).
All of it on the server's virtual clock, which the runner anchors at the scenario's start
(``PUT /api/drill/clock``); the runner's own waits are scenario minutes divided by the factor.

At the end the runner asks the server for every dossier it submitted (the public tracking
endpoint) and for the total it holds, and the evaluation compares the two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.core.errors import InvalidInput, MotcuaError
from motcua.drill import http
from motcua.drill.scenario import MAX_FACTOR, Fault, Group, Scenario

logger = logging.getLogger(__name__)


class DrillSetupError(MotcuaError):
    """The drill could not start (the target, its units, its keys): nothing was run and nothing
    written into the report folder. ``logs`` is where the drill server's logs were kept."""

    code = "drill_setup"
    logs: Path | None = None


HTTP_TIMEOUT = 60.0
# Idle connections are dropped by the client before the server (gunicorn --keep-alive 30) does.
KEEPALIVE_SECONDS = 10.0
SUBMIT_ATTEMPTS = 4
# An idle officer looks at the worklist again after this many scenario minutes at the latest
# (sooner when a colleague or a citizen's action wakes the unit up).
IDLE_POLL_MINUTES = 10.0
MAX_IDLE_REAL_SECONDS = 30.0
# Real-time safety stop after the scenario's working day ends.
GRACE_REAL_SECONDS = 30.0
# At the end, how long (real seconds) the outbox may take to deliver what it still holds, and
# how long without a message going out before the runner stops waiting (no worker running).
DRAIN_REAL_SECONDS = 1800.0
STALLED_REAL_SECONDS = 180.0

# The documents a land dossier brings to the counter (each a PDF), by procedure.
LAND_COMPONENTS = {
    "1.012784": ("form_21", "form_22", "certificate"),
    "1.013831": ("form_18", "contract", "certificate"),
}
CHANGE_REGISTRATION = "1.013831"
# The smallest file that the server recognises as a PDF by its content.
PDF_BASE64 = "JVBERi0xLjQKMSAwIG9iajw8Pj5lbmRvYmoKdHJhaWxlcjw8Pj4KJSVFT0YK"
NOTES = {
    "submit_for_approval": "Đã thẩm định, đủ điều kiện, đề nghị phê duyệt.",
    "send_to_tax": "Phiếu chuyển thông tin để xác định nghĩa vụ tài chính.",
    "record_obligations_met": "Người sử dụng đất đã nộp chứng từ nghĩa vụ tài chính.",
}

# The civil-status applicant of the pilot: a fresh name and ID number for every dossier.
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi")
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Đức", "Thanh", "Hữu", "Thu")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hạnh", "Khoa", "Lan", "Nam", "Phương", "Sơn")


@dataclass
class Unit:
    ward: int
    name: str
    center_id: int
    former_province: str
    group: Group
    tokens: dict[str, str]
    counter_queue: asyncio.Queue[Record] = field(default_factory=asyncio.Queue)
    wake: list[tuple[str, asyncio.Event]] = field(default_factory=list)

    def notify(self, *roles: str) -> None:
        """Wake the officers of these roles (all without roles): work is waiting for them."""
        for role, event in self.wake:
            if not roles or role in roles:
                event.set()


@dataclass
class Branch:
    """A Land Registration Office branch: its specialist and leader work land dossiers."""

    slug: str
    tokens: dict[str, str]
    group: Group
    wake: list[tuple[str, asyncio.Event]] = field(default_factory=list)

    def notify(self, *roles: str) -> None:
        """Wake the officers of these roles (all without roles): work is waiting for them."""
        for role, event in self.wake:
            if not roles or role in roles:
                event.set()


@dataclass
class Record:
    """One dossier as the runner saw it."""

    seq: int
    ward: int
    procedure: str
    channel: str  # online or counter
    pays: str  # online, counter or none
    arrival: datetime  # scenario time the citizen turned up
    ipn_lost: bool = False
    parcel_ward: int = 0  # land dossiers: the parcel's commune (decides the competent branch)
    branch: str = ""  # land dossiers: slug of the Land Registration Office branch deciding it
    dossier_id: int | None = None
    code: str = ""
    access_token: str = ""
    fee: int = 0
    submitted: bool = False  # acknowledged by the server (201/200)
    submit_attempts: int = 0
    paid_confirmed: bool = False  # the gateway's page said paid and motcua showed it paid
    pay_started_at: datetime | None = None
    pay_settled_at: datetime | None = None
    actions: dict[str, datetime] = field(default_factory=dict)  # acknowledged action → time
    errors: list[str] = field(default_factory=list)
    server: dict[str, Any] = field(default_factory=dict)  # what the server reports at the end

    @property
    def returned(self) -> bool:
        return "return_result" in self.actions

    @property
    def land(self) -> bool:
        return self.procedure in LAND_COMPONENTS


@dataclass
class Call:
    label: str
    status: int  # 0: no answer (connection failed, timeout)
    ms: float
    at: datetime  # scenario time
    code: str = ""
    message: str = ""
    dossier: str = ""


@dataclass
class FaultEvent:
    kind: str
    at: datetime
    until: datetime
    available: bool
    detail: str = ""
    began_at: datetime | None = None  # scenario time the fault had taken effect
    restored_at: datetime | None = None  # scenario time the fault was lifted (None: instant)


class FaultControl(Protocol):
    """The processes of the drill's own server that faults act on (``server.DrillServer``)."""

    def kill_task_worker(self) -> tuple[int | None, int]: ...

    def kill_web_worker(self) -> int | None: ...

    def stop_portal(self) -> int | None: ...

    def start_portal(self) -> int: ...

    def set_peer_delay(self, seconds: float) -> None: ...

    def portal_statuses(self) -> dict[str, Any]: ...

    def cpu_seconds(self) -> dict[str, float]: ...


@dataclass
class DrillResult:
    report: dict[str, Any]
    out: Path
    html_path: Path

    def summary_line(self) -> str:
        totals = self.report["totals"]
        return _(
            "%(name)s: %(submitted)s nộp, %(returned)s đã trả, %(errors)s lỗi, mất %(lost)s"
        ) % {"name": self.report["scenario"]["name"], **totals}


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class VirtualTime:
    """Scenario time on the runner's side, anchored as the server's clock is."""

    def __init__(self, scenario_start: datetime, real_start: float, factor: float) -> None:
        self.scenario_start = scenario_start
        self.real_start = real_start  # time.monotonic() value
        self.factor = factor

    def now(self) -> datetime:
        return self.scenario_start + timedelta(
            seconds=(time.monotonic() - self.real_start) * self.factor
        )

    def real_at(self, moment: datetime) -> float:
        return self.real_start + (moment - self.scenario_start).total_seconds() / self.factor

    async def sleep_until(self, moment: datetime) -> None:
        delay = self.real_at(moment) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def work(self, minutes: float) -> None:
        if minutes > 0:
            await asyncio.sleep(minutes * 60 / self.factor)


class Drill:
    def __init__(
        self,
        scenario: Scenario,
        base_url: str,
        tokens: dict[str, Any],
        *,
        control: FaultControl | None = None,
        progress: bool = True,
    ) -> None:
        self.scenario = scenario
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.control = control
        self.show_progress = progress
        self.started = False  # set once the target has the drill clock and the citizens run
        self.random = random.Random(scenario.seed)  # noqa: S311 (load shape, not secrets)
        self.units: list[Unit] = []
        self.branches: dict[str, Branch] = {}
        self.records: list[Record] = []
        # The records by their dossier code, as the server gave it (looked up for every item of
        # every worklist an officer reads).
        self._codes: dict[str, Record] = {}
        self.calls: list[Call] = []
        self.fault_events: list[FaultEvent] = []
        self._open_faults: list[tuple[Fault, FaultEvent]] = []
        self.ledger: dict[str, Any] = {}  # the server's outbox and dossiers at the end
        self.portal: dict[str, Any] | None = None  # what the portal's stand-in received
        self.drain_real_seconds = 0.0
        self.vt: VirtualTime | None = None
        self.arrivals_done = False
        self.stopping = False
        self.server_total_before = 0
        self.server_total_after = 0
        self.real_seconds = 0.0
        # CPU seconds over the run (from the clock's anchor to the last officer's stop): of each
        # part of the drill's own server (empty with --target) and of the virtual users.
        self.server_cpu: dict[str, float] = {}
        self.runner_cpu_seconds = 0.0
        self._last_bucket = -1

    # --- HTTP ---------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.vt.now() if self.vt is not None else self.scenario.start

    async def call(
        self,
        client: http.Client,
        label: str,
        method: str,
        url: str,
        *,
        token: str | None = None,
        dossier: str = "",
        **kwargs: Any,
    ) -> http.Response | None:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        at = self._now()
        try:
            try:
                response = await client.request(method, url, headers=headers, **kwargs)
            except http.Disconnected:
                if method != "GET":
                    raise
                # A read is safe to repeat once: the connection may have been closed under it.
                response = await client.request(method, url, headers=headers, **kwargs)
        except http.TransportError as error:
            ms = (time.perf_counter() - started) * 1000
            self.calls.append(
                Call(label, 0, ms, at, type(error).__name__, str(error)[:200], dossier)
            )
            return None
        ms = (time.perf_counter() - started) * 1000
        code = message = ""
        if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
            body = response.json()
            if isinstance(body, dict):
                code, message = str(body.get("code", "")), str(body.get("message", ""))[:300]
        elif response.status_code >= 400:
            code = f"http_{response.status_code}"
        self.calls.append(Call(label, response.status_code, ms, at, code, message, dossier))
        return response

    # --- set-up ---------------------------------------------------------------------------------

    async def discover_units(self, client: http.Client) -> None:
        """The service centers taking part, read from the public API."""
        centers: list[dict[str, Any]] = []
        page = 1
        while True:
            response = await client.get("/api/centers", params={"page": page})
            response.raise_for_status()
            body = response.json()
            centers.extend(body["items"])
            if len(centers) >= body["count"] or not body["items"]:
                break
            page += 1
        by_ward = {c["ward_code"]: c for c in centers if c["ward_code"] is not None}
        chosen: dict[int, Group] = {}
        for group in self.scenario.groups:
            for ward, center in sorted(by_ward.items()):
                if _selected(group, ward, center["former_province"]):
                    chosen.setdefault(ward, group)
            for ward in group.wards:
                if ward not in by_ward:
                    raise DrillSetupError(
                        gettext_lazy(
                            "Đơn vị %(ward)s không có trung tâm phục vụ trên máy chủ đích."
                        ),
                        field="units",
                        code="no_center",
                        ward=ward,
                    )
        for ward, group in sorted(chosen.items()):
            unit_tokens = self.tokens["units"].get(str(ward)) or {}
            if not all(unit_tokens.get(role) for role in ("receiver", "specialist", "leader")):
                raise DrillSetupError(
                    gettext_lazy(
                        "Tệp khóa (--tokens) không có khóa API cho cán bộ của đơn vị %(ward)s."
                    ),
                    field="--tokens",
                    code="no_keys",
                    ward=ward,
                )
            center = by_ward[ward]
            self.units.append(
                Unit(ward, center["ward_name"], center["id"], center["former_province"], group,
                     unit_tokens)
            )  # fmt: skip

    def plan_arrivals(self) -> None:
        """A Poisson stream of citizens per unit and procedure over the window (seeded)."""
        window = self.scenario.window_minutes
        seq = 0
        lost_faults = [f for f in self.scenario.faults if f.kind == "payment_notification_lost"]
        for unit in self.units:
            for load in unit.group.procedures:
                if load.per_hour <= 0:
                    continue
                minute = self.random.expovariate(load.per_hour / 60)
                while minute < window:
                    seq += 1
                    arrival = self.scenario.start + timedelta(minutes=minute)
                    channel = self._pick(self.scenario.channels)
                    pays = "counter"
                    if channel == "online" and self.random.random() < self.scenario.online_payment:
                        pays = "online"
                    if load.flow == "land":
                        # Land files are paper files: brought to the counter, fee in cash; the
                        # parcel lies in any unit of the drill, across the former boundary too.
                        channel = pays = "counter"
                    record = Record(seq, unit.ward, load.code, channel, pays, arrival)
                    if load.flow == "land":
                        record.parcel_ward = self.random.choice(self.units).ward
                    record.ipn_lost = pays == "online" and any(
                        f.at <= arrival < f.until and self.random.random() < f.share
                        for f in lost_faults
                    )
                    self.records.append(record)
                    minute += self.random.expovariate(load.per_hour / 60)
        self.records.sort(key=lambda r: r.arrival)

    def _pick(self, shares: dict[str, float]) -> str:
        draw, total = self.random.random(), 0.0
        for name, share in shares.items():
            total += share
            if draw < total:
                return name
        return next(name for name, share in shares.items() if share > 0)

    async def count_on_server(self, client: http.Client) -> int:
        response = await self.call(
            client, "GET /worklist (admin)", "GET", "/api/worklist", token=self.tokens["admin"],
            params={"tab": "all", "page_size": 1},
        )  # fmt: skip
        if response is None or response.status_code != 200:
            raise DrillSetupError(
                gettext_lazy(
                    "Máy chủ đích không trả bảng việc cho khóa quản trị (mã %(status)s); kiểm tra "
                    "tệp khóa (--tokens)."
                ),
                field="--tokens",
                code="admin_refused",
                status=response.status_code if response is not None else "—",
            )
        return int(response.json()["count"])

    async def set_clock(self, client: http.Client) -> None:
        lead = 2.0
        response = await client.put(
            "/api/drill/clock",
            headers={"Authorization": f"Bearer {self.tokens['admin']}"},
            json={
                "scenario_start": self.scenario.start.isoformat(),
                "factor": self.scenario.factor,
                "lead_seconds": lead,
                "label": self.scenario.name,
            },
        )
        if response.status_code != 200:
            raise DrillSetupError(
                gettext_lazy(
                    "Máy chủ đích từ chối đồng hồ diễn tập (mã %(status)s); máy chủ phải chạy với "
                    "MOTCUA_DRILL=1."
                ),
                field="--target",
                code="clock_refused",
                status=response.status_code,
            )
        body = response.json()
        offset = (
            datetime.fromisoformat(body["real_start"]) - datetime.fromisoformat(body["real_now"])
        ).total_seconds()
        self.vt = VirtualTime(self.scenario.start, time.monotonic() + offset, self.scenario.factor)

    # --- citizens -------------------------------------------------------------------------------

    async def citizen(self, client: http.Client, record: Record) -> None:
        assert self.vt is not None  # noqa: S101
        await self.vt.sleep_until(record.arrival)
        unit = self._unit(record.ward)
        if record.channel == "counter":
            await unit.counter_queue.put(record)
            unit.notify("receiver")
            return
        await self.submit_online(client, record, unit)
        unit.notify("receiver")
        if record.submitted and record.pays == "online" and record.fee > 0:
            await self.pay_online(record)
            if not record.paid_confirmed:
                # The online payment did not go through: the applicant pays at the counter.
                record.pays = "counter"
                record.errors.append("online payment fell back to the counter")
            unit.notify("receiver", "specialist")

    async def submit_online(self, client: http.Client, record: Record, unit: Unit) -> None:
        key = uuid.uuid4().hex
        payload = {"procedure": record.procedure, "center": unit.center_id, "form": _form(record)}
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            record.submit_attempts = attempt
            response = await self.call(
                client, "POST /dossiers", "POST", "/api/dossiers", json=payload,
                headers={"Idempotency-Key": key},
            )  # fmt: skip
            if response is not None and response.status_code in (200, 201):
                body = response.json()
                record.submitted = True
                record.dossier_id = body["id"]
                record.code = body["code"]
                self._codes[record.code] = record
                record.access_token = body["access_token"]
                record.fee = (body.get("invoice") or {}).get("amount", 0) or 0
                record.actions["submit"] = self._now()
                return
            if response is not None and response.status_code < 500:
                record.errors.append(f"submit {response.status_code}")
                return
            await asyncio.sleep(0.2 * attempt)  # the same key: a repeat writes nothing twice
        record.errors.append("submit gave up")

    async def pay_online(self, record: Record) -> None:
        """The applicant's browser: dossier page → pay → the gateway's page → pay → back."""
        record.pay_started_at = self._now()
        async with http.Client(self.base_url, timeout=HTTP_TIMEOUT) as browser:
            page = await self.call(
                browser, "GET portal dossier", "GET", f"/ho-so/{record.access_token}/",
                dossier=record.code,
            )  # fmt: skip
            csrf = browser.cookie("csrftoken")
            if page is None or page.status_code != 200 or not csrf:
                record.errors.append("portal page")
                return
            start = await self.call(
                browser, "POST pay start", "POST", f"/thanh-toan/{record.access_token}/bat-dau/",
                data={"csrfmiddlewaretoken": csrf}, dossier=record.code,
            )  # fmt: skip
            if start is None or start.status_code != 302:
                record.errors.append("pay start")
                return
            gateway_url = start.headers["location"]
            shown = await self.call(
                browser, "GET gateway page", "GET", gateway_url, dossier=record.code
            )
            if shown is None or shown.status_code != 200:
                record.errors.append("gateway page")
                return
            choice = {
                "choice": "pay",
                "csrfmiddlewaretoken": browser.cookie("csrftoken", csrf),
            }
            if record.ipn_lost:
                choice["skip_ipn"] = "1"  # the fault: the gateway's notification never arrives
            paid = await self.call(
                browser, "POST gateway pay", "POST", gateway_url, data=choice, dossier=record.code
            )
            if paid is None or paid.status_code != 302:
                record.errors.append("gateway pay")
                return
            back = await self.call(
                browser, "GET pay return", "GET", paid.headers["location"], dossier=record.code
            )
            if back is None or back.status_code != 200:
                record.errors.append("pay return")
                return
        record.paid_confirmed = await self._invoice_paid(record)
        record.pay_settled_at = self._now()

    async def _invoice_paid(self, record: Record) -> bool:
        async with http.Client(self.base_url, timeout=HTTP_TIMEOUT) as client:
            response = await self.call(
                client, "GET by-token", "GET", "/api/dossiers/by-token",
                headers={"X-Dossier-Token": record.access_token}, dossier=record.code,
            )  # fmt: skip
        if response is None or response.status_code != 200:
            return False
        invoice = response.json().get("invoice") or {}
        return invoice.get("status") == "paid"

    # --- officers -------------------------------------------------------------------------------

    async def officer(
        self, client: http.Client, unit: Unit | Branch, role: str, index: int, count: int
    ) -> None:
        wake = asyncio.Event()
        unit.wake.append((role, wake))
        token = unit.tokens[role]
        tabs = _TABS[role] if isinstance(unit, Unit) else _BRANCH_TABS[role]
        assert self.vt is not None  # noqa: S101
        while not self.stopping:
            worked = False
            if role == "receiver" and isinstance(unit, Unit):
                worked = await self._counter_visit(client, unit, token) or worked
            # The tab badges first, as an officer glances at them: only a tab with dossiers is
            # opened (one request when there is nothing to do, not one per tab).
            waiting = await self._tab_counts(client, token, [tab for tab, _a, _s in tabs])
            for tab, action, step in tabs:
                if self.stopping:
                    break
                if waiting is not None and not waiting.get(tab):
                    continue
                item = await self._next_item(client, unit, token, tab, index, count, action)
                if item is None:
                    continue
                await self.vt.work(unit.group.pace_minutes[step])
                await self._act_on(client, unit, token, item, action)
                unit.notify(*_NEXT_ROLES.get(action, ()))
                worked = True
                break
            if worked:
                continue
            wake.clear()
            timeout = min(IDLE_POLL_MINUTES * 60 / self.scenario.factor, MAX_IDLE_REAL_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)

    async def _tab_counts(
        self, client: http.Client, token: str, tabs: list[str]
    ) -> dict[str, int] | None:
        """How many dossiers each of ``tabs`` holds; None if the server did not say."""
        response = await self.call(
            client, "GET /worklist/counts", "GET", "/api/worklist/counts", token=token,
            params={"tabs": ",".join(tabs)},
        )  # fmt: skip
        if response is None or response.status_code != 200:
            return None
        counts: dict[str, int] = response.json()["counts"]
        return counts

    async def _next_item(
        self,
        client: http.Client,
        unit: Unit | Branch,
        token: str,
        tab: str,
        index: int,
        count: int,
        action: str,
    ) -> dict[str, Any] | None:
        response = await self.call(
            client, f"GET /worklist?tab={tab}", "GET", "/api/worklist", token=token,
            params={"tab": tab},
        )  # fmt: skip
        if response is None or response.status_code != 200:
            return None
        for item in response.json()["items"]:
            if item["id"] % count != index:
                continue
            if self._ready(self._record_of(item["code"]), action):
                return dict(item)
        return None

    @staticmethod
    def _ready(record: Record | None, action: str) -> bool:
        """Whether the officer takes this dossier up now, knowing what they know."""
        if record is None:
            return action in ("receive_file",)  # an incoming file is always taken in
        if action == "record_cash_payment":
            # Online payers: the officer waits for the gateway. A citizen at the counter pays
            # during the visit; a colleague does not take the fee of the one at the desk.
            return record.pays == "counter" and record.channel != "counter"
        if action in ("process_land", "obligations"):
            return "receive_file" in record.actions  # the paper file must be at the branch
        if action == "return_result" and record.land:
            return "receive_result" in record.actions  # the result must be back at the center
        return True

    async def _act_on(
        self,
        client: http.Client,
        unit: Unit | Branch,
        token: str,
        item: dict[str, Any],
        action: str,
    ) -> None:
        record = self._record_of(item["code"])
        if action in ("receive_file", "send_file"):
            await self._custody(client, token, item, action, record)
            return
        actions = {
            "process": ["start_processing", "submit_for_approval"],
            "obligations": ["record_obligations_met", "submit_for_approval"],
            "process_land": [
                "start_processing",
                "send_to_tax"
                if record is not None and record.procedure == CHANGE_REGISTRATION
                else "submit_for_approval",
            ],
        }.get(action, [action])
        for name in actions:
            body: dict[str, Any] = {}
            if name in NOTES:
                body = {"note": NOTES[name]}
            if name == "submit_for_approval" and action == "process":
                body = {"note": "Đã tra cứu cơ sở dữ liệu hộ tịch, đề nghị cấp bản sao."}
            response = await self.call(
                client, f"POST actions/{name}", "POST",
                f"/api/dossiers/{item['id']}/actions/{name}", token=token, json=body,
                dossier=item["code"],
            )  # fmt: skip
            if response is None or response.status_code != 200:
                if record is not None:
                    record.errors.append(f"{name} {response.status_code if response else 0}")
                return
            if record is not None:
                record.actions[name] = self._now()

    async def _custody(
        self,
        client: http.Client,
        token: str,
        item: dict[str, Any],
        action: str,
        record: Record | None,
    ) -> None:
        """Hand the paper file (or the result) on with a transfer slip, or take it in."""
        dossier = item["id"]
        if action == "send_file":
            response = await self.call(
                client, "POST /dossiers/transfers", "POST", f"/api/dossiers/{dossier}/transfers",
                token=token, json={"means": "courier"}, dossier=item["code"],
            )  # fmt: skip
            done = response is not None and response.status_code == 201
            step = "send_file" if record is None or "send_file" not in record.actions else (
                "send_result")  # fmt: skip
        else:
            desk = await self.call(
                client, "GET /dossiers/{id}", "GET", f"/api/dossiers/{dossier}", token=token,
                dossier=item["code"],
            )  # fmt: skip
            if desk is None or desk.status_code != 200:
                return
            waiting = [t for t in desk.json()["transfers"] if t["received_at"] is None]
            if not waiting:
                return
            response = await self.call(
                client, "POST /transfers/receive", "POST",
                f"/api/transfers/{waiting[-1]['id']}/receive", token=token, dossier=item["code"],
            )  # fmt: skip
            done = response is not None and response.status_code == 200
            step = "receive_result" if waiting[-1]["purpose"] == "result" else "receive_file"
        if record is None:
            return
        if not done:
            record.errors.append(f"{step} {response.status_code if response else 0}")
            return
        record.actions[step] = self._now()
        if step == "send_file" and record.branch in self.branches:
            self.branches[record.branch].notify()
        elif step == "send_result":
            self._unit(record.ward).notify()

    async def _counter_visit(self, client: http.Client, unit: Unit, token: str) -> bool:
        """A citizen at the counter: register the dossier (received at once), take the fee."""
        try:
            record = unit.counter_queue.get_nowait()
        except asyncio.QueueEmpty:
            return False
        assert self.vt is not None  # noqa: S101
        await self.vt.work(unit.group.pace_minutes["receive"])
        body: dict[str, Any] = {"procedure": record.procedure, "channel": 1}
        if record.land:
            body["form"] = _land_form(record)
            body["attachments"] = [
                {"name": f"{key}.pdf", "component": key, "content_base64": PDF_BASE64}
                for key in LAND_COMPONENTS[record.procedure]
            ]
        else:
            body["form"] = _form(record)
        response = await self.call(
            client, "POST /dossiers/counter", "POST", "/api/dossiers/counter", token=token,
            json=body,
        )  # fmt: skip
        if response is None or response.status_code != 201:
            record.errors.append(f"counter {response.status_code if response else 0}")
            return True
        desk = response.json()
        record.submitted = True
        record.dossier_id, record.code = desk["id"], desk["code"]
        self._codes[record.code] = record
        record.fee = (desk.get("invoice") or {}).get("amount", 0) or 0
        record.branch = desk["competent_agency"]["slug"] if record.land else ""
        record.actions["submit"] = self._now()
        if "record_cash_payment" in desk.get("allowed_actions", []):
            await self._act_on(client, unit, token, desk, "record_cash_payment")
        if record.land:
            await self._act_on(client, unit, token, desk, "send_file")
        unit.notify("specialist")
        return True

    def _unit(self, ward: int) -> Unit:
        return next(unit for unit in self.units if unit.ward == ward)

    def _record_of(self, code: str) -> Record | None:
        return self._codes.get(code)

    # --- faults ---------------------------------------------------------------------------------

    async def faults(self) -> None:
        """Each fault at its time, lifted at its end; faults may overlap."""
        await asyncio.gather(*(self._fault(fault) for fault in self.scenario.faults))

    async def _fault(self, fault: Fault) -> None:
        assert self.vt is not None  # noqa: S101
        await self.vt.sleep_until(fault.at)
        # Starting and stopping processes blocks: off the loop that drives the citizens.
        event = await asyncio.to_thread(self._inject, fault)
        self.fault_events.append(event)
        if event.available and fault.kind in ("portal_down", "slow_peer"):
            self._open_faults.append((fault, event))
            await self.vt.sleep_until(fault.until)
            await asyncio.to_thread(self._lift, fault, event)

    def _inject(self, fault: Fault) -> FaultEvent:
        event = FaultEvent(fault.kind, fault.at, fault.until, True)
        control = self.control
        if fault.kind == "payment_notification_lost":
            event.detail = _("tỉ lệ %(share)s") % {"share": f"{fault.share:g}"}
        elif control is None:
            # These act on the processes of the drill's own server; a --target has none here.
            event = replace(event, available=False)
        elif fault.kind == "worker_killed":
            killed, started = control.kill_task_worker()
            web = control.kill_web_worker()
            event = replace(event, until=fault.at)
            event.detail = _(
                "tiến trình nền (motcua worker) pid %(killed)s bị tắt, pid %(started)s chạy thay; "
                "tiến trình web pid %(web)s bị tắt"
            ) % {"killed": killed, "started": started, "web": web}
        elif fault.kind == "portal_down":
            pid = control.stop_portal()
            event.detail = _("Cổng DVCQG giả lập (pid %(pid)s) dừng, cổng mạng đóng") % {"pid": pid}
        elif fault.kind == "slow_peer":
            control.set_peer_delay(fault.delay_seconds)
            event.detail = _("mỗi trả lời của Cổng DVCQG chậm thêm %(seconds)s giây") % {
                "seconds": f"{fault.delay_seconds:g}"
            }
        event.began_at = self._now()
        logger.info("drill.fault kind=%s available=%s", fault.kind, event.available)
        return event

    def _lift(self, fault: Fault, event: FaultEvent) -> None:
        if (fault, event) not in self._open_faults:
            return
        self._open_faults.remove((fault, event))
        assert self.control is not None  # noqa: S101
        if fault.kind == "portal_down":
            self.control.start_portal()
        elif fault.kind == "slow_peer":
            self.control.set_peer_delay(0)
        event.restored_at = self._now()
        logger.info("drill.fault_lifted kind=%s", fault.kind)

    async def _end_faults(self, faults: asyncio.Task[None]) -> None:
        """Let the faults still running end at their time (within the day), then lift any left."""
        assert self.vt is not None  # noqa: S101
        ends = [f.until for f in self.scenario.faults if f.until <= self.scenario.work_until]
        if ends:
            wait = self.vt.real_at(max(ends)) - time.monotonic() + 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(faults), max(0.0, wait))
        faults.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await faults
        for fault, event in list(self._open_faults):
            await asyncio.to_thread(self._lift, fault, event)

    # --- the run --------------------------------------------------------------------------------

    async def run(self) -> None:
        # Waiting for a pooled connection is a queue, not a failure. Each unit's officers and the
        # citizens have pools of their own, so that one stuck unit cannot starve the others.
        def new_client(connections: int) -> http.Client:
            return http.Client(
                self.base_url,
                timeout=HTTP_TIMEOUT,
                connections=connections,
                keepalive_seconds=KEEPALIVE_SECONDS,
            )

        officers: list[asyncio.Task[None]] = []
        others: list[asyncio.Task[None]] = []  # the citizens, the faults, the progress line
        async with contextlib.AsyncExitStack() as stack:
            try:
                client = await stack.enter_async_context(new_client(64))
                await self.discover_units(client)
                self.plan_arrivals()
                self.server_total_before = await self.count_on_server(client)
                await self.set_clock(client)
                self.started = True
                cpu_before = self.control.cpu_seconds() if self.control is not None else {}
                runner_cpu_before = time.process_time()
                assert self.vt is not None  # noqa: S101
                started = time.monotonic()
                for unit in self.units:
                    own = await stack.enter_async_context(new_client(6))
                    for role, count in (
                        ("receiver", unit.group.staff["receivers"]),
                        ("specialist", unit.group.staff["specialists"]),
                        ("leader", unit.group.staff["leaders"]),
                    ):
                        officers += [
                            asyncio.create_task(self.officer(own, unit, role, index, count))
                            for index in range(count)
                        ]
                branch_client = await stack.enter_async_context(new_client(16))
                officers += self._branch_officers(branch_client)
                citizens = [asyncio.create_task(self.citizen(client, r)) for r in self.records]
                faults = asyncio.create_task(self.faults())
                progress = asyncio.create_task(self.progress())
                others += [*citizens, faults, progress]
                await asyncio.gather(*citizens)
                self.arrivals_done = True
                await self._until_done()
                self.stopping = True
                for unit in self.units:
                    unit.notify()
                for branch in self.branches.values():
                    branch.notify()
                await asyncio.gather(*officers)
                await self._end_faults(faults)
                progress.cancel()
                self.real_seconds = time.monotonic() - started
                self.runner_cpu_seconds = round(time.process_time() - runner_cpu_before, 2)
                if self.control is not None:
                    cpu_after = self.control.cpu_seconds()
                    self.server_cpu = {
                        role: round(seconds - cpu_before.get(role, 0.0), 2)
                        for role, seconds in cpu_after.items()
                    }
                self._render_progress(final=True)
            finally:
                # Stopped part-way (Ctrl-C, SIGTERM): the virtual users stop before their
                # clients close, instead of failing on a closed client afterwards.
                await _cancel_all([*officers, *others])

        # A client of its own: nothing the virtual users left behind can hold up the count.
        async with http.Client(self.base_url, timeout=HTTP_TIMEOUT) as client:
            await self.collect(client)
            await self.reconcile(client)

    def _branch_officers(self, client: http.Client) -> list[asyncio.Task[None]]:
        """One specialist and one leader at every branch, when the scenario has land dossiers."""
        land_groups = [
            g for g in self.scenario.groups if any(p.flow == "land" for p in g.procedures)
        ]
        if not land_groups:
            return []
        tasks = []
        for slug, keys in sorted(self.tokens.get("branches", {}).items()):
            if not (keys.get("specialist") and keys.get("leader")):
                continue
            branch = Branch(slug, keys, land_groups[0])
            self.branches[slug] = branch
            for role in ("specialist", "leader"):
                tasks.append(asyncio.create_task(self.officer(client, branch, role, 0, 1)))
        return tasks

    async def _until_done(self) -> None:
        assert self.vt is not None  # noqa: S101
        hard_stop = self.vt.real_at(self.scenario.work_until) + GRACE_REAL_SECONDS
        while time.monotonic() < hard_stop:
            counters_waiting = any(not unit.counter_queue.empty() for unit in self.units)
            open_records = [r for r in self.records if r.submitted and not r.returned]
            if not counters_waiting and not open_records:
                return
            if self.vt.now() >= self.scenario.work_until:
                return
            await asyncio.sleep(0.2)

    async def collect(self, client: http.Client) -> None:
        """What the server holds: each submitted dossier by its code, and the total."""
        gate = asyncio.Semaphore(16)

        async def fetch(record: Record) -> None:
            async with gate:
                response = await self.call(
                    client, "GET /dossiers/track", "GET", f"/api/dossiers/track/{record.code}",
                    dossier=record.code,
                )  # fmt: skip
            if response is not None and response.status_code == 200:
                record.server = response.json()

        await asyncio.gather(*(fetch(r) for r in self.records if r.code))
        self.server_total_after = await self.count_on_server(client)

    async def _ledger(self, client: http.Client, *, backlog_only: bool) -> dict[str, Any]:
        response = await client.get(
            "/api/drill/ledger",
            params={"since": self.scenario.start.isoformat(), "backlog_only": backlog_only},
            headers={"Authorization": f"Bearer {self.tokens['admin']}"},
            timeout=300,
        )
        if response.status_code != 200:
            raise RuntimeError(f"the drill ledger did not answer: {response.text[:300]}")
        body: dict[str, Any] = response.json()
        return body

    async def reconcile(self, client: http.Client) -> None:
        """Wait until the outbox has delivered what it holds (the worker retries with backoff),
        then read the server's ledger and, on the drill's own server, what the portal's
        stand-in received."""
        started = last_progress = time.monotonic()
        least = None
        while time.monotonic() - started < DRAIN_REAL_SECONDS:
            undelivered = int((await self._ledger(client, backlog_only=True))["undelivered"])
            if not undelivered:
                break
            if least is None or undelivered < least:
                least, last_progress = undelivered, time.monotonic()
            elif time.monotonic() - last_progress > STALLED_REAL_SECONDS:
                break  # nothing goes out (a target without a running worker): report it
            await asyncio.sleep(0.5)
        self.drain_real_seconds = time.monotonic() - started
        self.ledger = await self._ledger(client, backlog_only=False)
        if self.control is not None:
            self.portal = await asyncio.to_thread(self.control.portal_statuses)

    async def progress(self) -> None:
        while True:
            self._render_progress()
            await asyncio.sleep(0.5)

    def _render_progress(self, final: bool = False) -> None:
        if not self.show_progress or self.vt is None:
            return
        total = (self.scenario.work_until - self.scenario.start).total_seconds()
        done = (min(self.vt.now(), self.scenario.work_until) - self.scenario.start).total_seconds()
        share = max(0.0, min(1.0, done / total)) if total else 1.0
        if final:
            share = 1.0
        bar = "#" * int(share * 30)
        submitted = sum(1 for r in self.records if r.submitted)
        returned = sum(1 for r in self.records if r.returned)
        errors = sum(1 for c in self.calls if c.status == 0 or c.status >= 500)
        clock = self.vt.now().strftime("%H:%M")
        line = (
            f"\r[{bar:<30}] {clock} nộp {submitted}/{len(self.records)} trả {returned} lỗi {errors}"
        )
        if sys.stderr.isatty():
            sys.stderr.write(line + ("\n" if final else ""))
        else:
            # Not a terminal (a log, CI): one line per tenth of the way.
            bucket = int(share * 10)
            if bucket == self._last_bucket and not final:
                return
            self._last_bucket = bucket
            sys.stderr.write(line.lstrip("\r") + "\n")
        sys.stderr.flush()


_TABS: dict[str, list[tuple[str, str, str]]] = {
    # (worklist tab, action, pace step)
    "receiver": [
        ("incoming", "receive_file", "return"),
        ("to_return", "return_result", "return"),
        ("awaiting_payment", "record_cash_payment", "receive"),
        ("new", "accept", "receive"),
    ],
    "specialist": [("to_process", "process", "process")],
    "leader": [("awaiting_approval", "approve", "approve")],
}


# Whose work an action makes (the officer who acted looks again anyway); none listed: all.
_NEXT_ROLES: dict[str, tuple[str, ...]] = {
    "accept": ("specialist",),
    "record_cash_payment": ("specialist",),
    "process": ("leader",),
    "approve": ("receiver", "specialist"),
    "return_result": ("receiver",),
}

_BRANCH_TABS: dict[str, list[tuple[str, str, str]]] = {
    "specialist": [
        ("incoming", "receive_file", "process"),
        ("to_send_back", "send_file", "return"),
        ("awaiting_obligations", "obligations", "process"),
        ("to_process", "process_land", "process"),
    ],
    "leader": [("awaiting_approval", "approve", "approve")],
}


def _selected(group: Group, ward: int, former_province: str) -> bool:
    if group.selector == "wards":
        return ward in group.wards
    if group.selector == "all":
        return True
    return group.selector == f"former_{former_province}"


def _form(record: Record) -> dict[str, str]:
    """A valid e-form of 2.000635 for a made-up applicant asking for their own birth extract."""
    seed = random.Random(record.seq)  # noqa: S311
    name = f"{seed.choice(FAMILY)} {seed.choice(MIDDLE)} {seed.choice(GIVEN)}"
    year = seed.randint(1960, 2004)
    # Personal ID: province of birth registration (064 Gia Lai), sex/century digit, year, serial.
    century = "0" if year < 2000 else "2"
    id_number = f"064{century}{year % 100:02d}{record.seq % 1_000_000:06d}"
    return {
        "requester_name": name,
        "requester_id_number": id_number,
        "requester_birth_date": f"{year}-0{seed.randint(1, 9)}-1{seed.randint(0, 9)}",
        "requester_phone": f"09{seed.randint(10_000_000, 99_999_999)}",
        "requester_address": f"Tổ {seed.randint(1, 30)}, xã, phường {record.ward}",
        "subject_name": name,
        "relationship": "self",
        "event_type": "birth",
        "registration_ref": f"{seed.randint(1, 300)}/{year}",
        "registration_date": f"{year}-0{seed.randint(1, 9)}-2{seed.randint(0, 8)}",
        "registration_place": "UBND phường Hội Thương",
        "copies": str(seed.randint(1, 3)),
    }


def _land_form(record: Record) -> dict[str, str]:
    """A valid e-form of a land procedure; the parcel lies in ``record.parcel_ward``."""
    seed = random.Random(record.seq)  # noqa: S311
    name = f"{seed.choice(FAMILY)} {seed.choice(MIDDLE)} {seed.choice(GIVEN)}"
    year = seed.randint(1960, 1999)
    common = {
        "requester_name": name,
        "requester_id_number": f"0520{year % 100:02d}{record.seq % 1_000_000:06d}",
        "requester_birth_date": f"{year}-03-12",
        "requester_phone": f"09{seed.randint(10_000_000, 99_999_999)}",
        "requester_address": f"Tổ {seed.randint(1, 30)}, xã, phường {record.ward}",
        "parcel_ward": str(record.parcel_ward),
        "parcel_number": str(seed.randint(1, 900)),
        "map_sheet": str(seed.randint(1, 60)),
        "certificate_number": f"DA {seed.randint(100_000, 999_999)}",
        "certificates": "1",
    }
    if record.procedure == CHANGE_REGISTRATION:
        return common | {
            "change_kind": "transfer",
            "counterparty_name": "Lê Thị Hạnh",
            "contract_ref": f"{seed.randint(1, 9999)}/2025/CCGD",
        }
    return common | {
        "request_kind": "split",
        "parcel_address": f"Thửa đất tại {record.parcel_ward}",
    }


_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def run_drill(
    scenario: Scenario,
    *,
    target: str | None = None,
    tokens: dict[str, Any] | None = None,
    out: Path,
    factor: float | None = None,
    workers: int = 2,
    progress: bool = True,
) -> DrillResult:
    """Run ``scenario`` against ``target`` (or a motcua of its own) and write the report."""
    from motcua.drill.evaluation import evaluate
    from motcua.drill.report import write_report
    from motcua.drill.server import DrillServer

    if factor is not None:
        if not 0 < factor <= MAX_FACTOR:
            raise InvalidInput(
                gettext_lazy("“%(name)s” phải lớn hơn 0 và không quá %(high)s."),
                field="--factor",
                code="range",
                name="--factor",
                high=f"{MAX_FACTOR:g}",
            )
        scenario = replace(scenario, factor=factor)
    folder = out / _SAFE.sub("-", f"{scenario.name}")
    given_target = target
    server = None
    drill = None
    try:
        if target is None:
            slow_peer = any(fault.kind == "slow_peer" for fault in scenario.faults)
            server = DrillServer(workers=workers, slow_peer=slow_peer)
            server.start()
            target, tokens = server.url, server.tokens
        assert tokens is not None  # noqa: S101
        drill = Drill(scenario, target, tokens, control=server, progress=progress)
        asyncio.run(drill.run())
    except BaseException as error:
        # A failed run leaves the report folder (and an earlier good report's logs) alone.
        logs = _keep_failed_logs(server)
        if (drill is not None and drill.started) or not isinstance(error, Exception):
            raise
        raise _setup_error(error, given_target, logs) from error
    if server is not None:
        server.stop(logs_to=folder / "logs")
    report = evaluate(drill)
    html_path = write_report(report, folder)
    return DrillResult(report, folder, html_path)


def _keep_failed_logs(server: Any) -> Path | None:
    """Stop the drill's own server after a failure; its logs go to a folder of their own."""
    if server is None:
        return None
    logs = Path(tempfile.mkdtemp(prefix="motcua-drill-failed-"))
    server.stop(logs_to=logs)
    logger.warning("drill.failed logs=%s", logs)
    return logs


def _setup_error(error: Exception, target: str | None, logs: Path | None) -> DrillSetupError:
    """A failure before the drill started, as an error that says what and where."""
    if isinstance(error, DrillSetupError):
        found = error
    elif isinstance(error, http.TransportError) and target is not None:
        found = DrillSetupError(
            gettext_lazy("Không kết nối được tới máy chủ đích %(url)s (--target): %(error)s."),
            field="--target",
            code="unreachable",
            url=target,
            error=type(error).__name__,
        )
    elif isinstance(error, MotcuaError):
        found = DrillSetupError(
            error.message_template, field=error.field, code=error.code, **error.params
        )
    else:
        found = DrillSetupError(
            gettext_lazy("Không bắt đầu được cuộc diễn tập: %(error)s."),
            code="not_started",
            error=f"{type(error).__name__}: {error}",
        )
    found.logs = logs
    return found
