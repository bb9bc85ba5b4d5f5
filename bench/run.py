"""``make bench``: motcua's throughput and latency on SQLite and PostgreSQL, beside ceilings.

For each database: a throw-away motcua (migrate, demo staff, API keys) served by gunicorn on a
free port of 127.0.0.1, then, at 8, 32 and 128 concurrent clients (asyncio + aiohttp, through
``motcua.drill.http``, the drill's client):

- submissions: ``POST /api/dossiers`` (validation, code, invoice, history, audit, outbox);
- lifecycles (8 and 32 clients): counter registration, cash payment, processing, approval with
  the result document, return — six calls, each by the officer whose step it is;
- the ceiling: a bare Django view doing one insert plus motcua's audit insert, served the same
  way (same gunicorn settings, middleware, database);
- pgbench with the equivalent transaction (PostgreSQL), SQLite WAL inserts from one process.

Each motcua figure is printed with its ratio to the ceiling; everything goes to
bench/results.json. Client and server share the machine's cores: the figures are the
machine's, client included. Beside requests per second, each row gives the load generator's
share of the cores (``client``) and the server's CPU milliseconds per unit of work (``cpu ms``,
from /proc), which other load on the machine hardly moves; each submission row also gives its
ratio to the ceiling in that currency. Each server gets 2 s of load before its first measure.

Knobs: ``BENCH_SECONDS`` (6), ``BENCH_WORKERS`` (2) × ``BENCH_THREADS`` (4) of
``BENCH_WORKER_CLASS`` (gthread), ``BENCH_CLIENTS`` (8,32,128), ``BENCH_LIFECYCLE_CLIENTS``
(8,32; empty for none), ``BENCH_DATABASES`` (sqlite,postgresql), ``BENCH_RESULTS`` (the file).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from motcua.drill import http  # noqa: E402
from motcua.drill.server import (  # noqa: E402
    free_port,
    motcua_command,
    process_tree_cpu_seconds,
)

SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
WARM_UP = 2.0  # seconds of load before the first measure of each server, for both alike
# The server as docs/production.md recommends for two cores (the ceiling runs the same).
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "gthread")
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
CONCURRENCY = tuple(int(c) for c in os.environ.get("BENCH_CLIENTS", "8,32,128").split(","))
LIFECYCLE_CONCURRENCY = tuple(
    int(c) for c in os.environ.get("BENCH_LIFECYCLE_CLIENTS", "8,32").split(",") if c
)
UNITS = 32  # the lifecycles spread over this many communes
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results.json"))


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def form(seq: int) -> dict[str, str]:
    rng = random.Random(seq)  # noqa: S311
    year = rng.randint(1960, 1999)
    return {
        "requester_name": "Nguyễn Văn An",
        "requester_id_number": f"0640{year % 100:02d}{seq % 1_000_000:06d}",
        "requester_birth_date": f"{year}-05-01",
        "requester_phone": "0905123456",
        "requester_address": "Tổ 1, Phường Pleiku",
        "subject_name": "Nguyễn Văn An",
        "relationship": "self",
        "event_type": "birth",
        "registration_ref": "12/2020",
        "registration_date": f"{year}-05-20",
        "registration_place": "UBND phường Hội Thương",
        "copies": "2",
    }


# --- instances and servers -----------------------------------------------------------------------


class Instance:
    """A throw-away motcua database (SQLite in its own folder, or the given PostgreSQL)."""

    def __init__(self, database_url: str | None) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
        self.env = dict(os.environ)
        self.env.update(
            {
                "MOTCUA_DATA_DIR": str(self.data_dir),
                "MOTCUA_LOG_LEVEL": "WARNING",
                "MOTCUA_DEMO": "1",
                # The budgets per client address would refuse a load from one address.
                "MOTCUA_RATE_LIMITS": "off",
                "PYTHONPATH": str(ROOT),
                "DJANGO_SETTINGS_MODULE": "motcua.settings",
            }
        )
        self.env.pop("DATABASE_URL", None)
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.tokens: dict[str, Any] = {}

    def prepare(self) -> None:
        run = {"env": self.env, "check": True, "capture_output": True, "cwd": ROOT}
        subprocess.run(motcua_command("migrate", "--noinput", "-v", "0"), **run)  # noqa: S603
        subprocess.run(motcua_command("setup", "--demo"), **run)  # noqa: S603
        tokens = self.data_dir / "tokens.json"
        subprocess.run(  # noqa: S603
            motcua_command("drill", "tokens", "--out", str(tokens)),
            **{**run, "env": {**self.env, "MOTCUA_DRILL": "1"}},
        )
        self.tokens = json.loads(tokens.read_text())
        subprocess.run([sys.executable, "-m", "bench.ceiling", "create-table"], **run)  # noqa: S603

    def remove(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)


SERVERS: dict[str, int] = {}  # url → gunicorn master's pid, for its CPU time


def server_cpu_seconds(url: str) -> float:
    """CPU time used so far by the server's processes (master and workers), from /proc: a
    figure that other load on a shared machine does not change, unlike requests per second."""
    master = SERVERS.get(url)
    return 0.0 if master is None else process_tree_cpu_seconds(master)


@contextlib.contextmanager
def serve(instance: Instance, app: str, settings: str, probe: str = "/api/centers") -> Any:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**instance.env, "DJANGO_SETTINGS_MODULE": settings, "MOTCUA_PUBLIC_URL": url}
    log = (instance.data_dir / f"{app.replace(':', '-')}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--threads", str(THREADS), "--worker-class", WORKER_CLASS,
         "--backlog", "2048", "--timeout", "120", "--no-control-socket", "--keep-alive", "30"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not start: see {log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}{probe}", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        SERVERS[url] = process.pid
        yield url
    finally:
        SERVERS.pop(url, None)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# --- load ------------------------------------------------------------------------------------


async def load(
    url: str,
    concurrency: int,
    seconds: float,
    task: Callable[[http.Client, int], Awaitable[str | None]],
) -> dict[str, Any]:
    """``concurrency`` clients repeat ``task`` for ``seconds``; each task is one unit of work
    and answers None when done, or what went wrong."""
    latencies: list[float] = []
    errors = 0
    examples: list[str] = []
    counter = iter(range(10**9))
    async with http.Client(url, timeout=120, connections=concurrency) as client:
        stop = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    failure = await task(client, next(counter))
                except http.TransportError as error:
                    failure = type(error).__name__
                if failure is None:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
                    if len(examples) < 3:
                        examples.append(failure[:300])

        began, cpu_began, server_began = (
            time.monotonic(),
            time.process_time(),
            server_cpu_seconds(url),
        )
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - began
        client_cpu = time.process_time() - cpu_began
        server_cpu = server_cpu_seconds(url) - server_began
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "done": len(latencies),
        "errors": errors,
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        # The load generator's own share of the machine's cores (it runs beside the server).
        "client_cpu_share": round(client_cpu / elapsed / (os.cpu_count() or 1), 2),
        # Server CPU per unit of work done, in ms: what the work costs, whatever else runs.
        "server_cpu_ms": round(server_cpu * 1000 / max(1, len(latencies)), 2),
        "error_examples": examples,
    }


async def centers(url: str) -> list[int]:
    async with http.Client(url) as client:
        ids: list[int] = []
        for page in (1, 2, 3):
            body = (await client.get("/api/centers", params={"page": page})).json()
            ids += [c["id"] for c in body["items"] if c["ward_code"] is not None]
        return ids


def submission_task(
    center_ids: list[int],
) -> Callable[[http.Client, int], Awaitable[str | None]]:
    async def submit(client: http.Client, seq: int) -> str | None:
        body = {
            "procedure": "2.000635",
            "center": center_ids[seq % len(center_ids)],
            "form": form(seq),
        }
        response = await client.post("/api/dossiers", json=body)
        return None if response.status_code == 201 else f"{response.status_code} {response.text}"

    return submit


def lifecycle_task(
    tokens: dict[str, Any],
) -> Callable[[http.Client, int], Awaitable[str | None]]:
    units = [keys for _, keys in sorted(tokens["units"].items())][:UNITS]
    note = {"note": "Đã tra cứu cơ sở dữ liệu hộ tịch, đề nghị cấp bản sao."}

    async def lifecycle(client: http.Client, seq: int) -> str | None:
        keys = units[seq % len(units)]

        def auth(role: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {keys[role]}"}

        registered = await client.post(
            "/api/dossiers/counter", headers=auth("receiver"),
            json={"procedure": "2.000635", "form": form(seq), "channel": 1},
        )  # fmt: skip
        if registered.status_code != 201:
            return f"counter {registered.status_code} {registered.text}"
        dossier = registered.json()["id"]
        for role, action, body in (
            ("receiver", "record_cash_payment", {}),
            ("specialist", "start_processing", {}),
            ("specialist", "submit_for_approval", note),
            ("leader", "approve", {}),
            ("receiver", "return_result", {}),
        ):
            response = await client.post(
                f"/api/dossiers/{dossier}/actions/{action}", headers=auth(role), json=body
            )
            if response.status_code != 200:
                return f"{action} {response.status_code} {response.text}"
        return None

    return lifecycle


async def ceiling_task(client: http.Client, seq: int) -> str | None:
    response = await client.post("/insert", content=f"dossier {seq}")
    return None if response.status_code == 201 else f"{response.status_code} {response.text}"


# --- ceilings outside HTTP ---------------------------------------------------------------------


PGBENCH_SCRIPT = """\
BEGIN;
INSERT INTO bench_ceiling (payload, created_at) VALUES ('pgbench', now());
UPDATE bench_head SET seq = seq + 1 WHERE id = 1 RETURNING seq;
INSERT INTO bench_audit (at, action, object_id, seq, data) VALUES (now(), 'bench', '52', 0, '{}');
END;
"""


def pgbench(database_url: str, clients: int, folder: Path) -> dict[str, Any]:
    """The same transaction in pgbench: an insert, the audit chain head's row lock (an
    UPDATE, as motcua's SELECT … FOR UPDATE then UPDATE of the head), the audit insert."""
    binary = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))[-1]
    script = folder / "ceiling.sql"
    script.write_text(PGBENCH_SCRIPT)
    result = subprocess.run(  # noqa: S603
        [str(binary), "-n", "-c", str(clients), "-j", "2", "-T", str(int(SECONDS)),
         "-f", str(script), "-r", database_url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    tps = next(
        float(line.split("=")[1].split()[0])
        for line in result.stdout.splitlines()
        if line.startswith("tps")
    )
    latency = next(
        float(line.split("=")[1].split()[0])
        for line in result.stdout.splitlines()
        if line.startswith("latency average")
    )
    return {"concurrency": clients, "per_second": round(tps, 1), "mean_ms": latency}


def sqlite_wal_inserts(folder: Path) -> dict[str, Any]:
    """One process, one connection, WAL and synchronous=NORMAL as motcua: a transaction of an
    insert, the head update and the audit insert, repeated for the measuring time."""
    database = sqlite3.connect(folder / "ceiling.sqlite3", isolation_level=None)
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("PRAGMA synchronous=NORMAL")
    database.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, payload TEXT, created_at TEXT)")
    database.execute("CREATE TABLE h (id INTEGER PRIMARY KEY, seq INTEGER)")
    database.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, at TEXT, seq INTEGER, data TEXT)")
    database.execute("INSERT INTO h VALUES (1, 0)")
    done, stop = 0, time.monotonic() + SECONDS
    started = time.monotonic()
    while time.monotonic() < stop:
        database.execute("BEGIN IMMEDIATE")
        database.execute("INSERT INTO c (payload, created_at) VALUES ('x', datetime('now'))")
        database.execute("UPDATE h SET seq = seq + 1 WHERE id = 1")
        database.execute("INSERT INTO a (at, seq, data) VALUES (datetime('now'), 0, '{}')")
        database.execute("COMMIT")
        done += 1
    elapsed = time.monotonic() - started
    database.close()
    return {"concurrency": 1, "per_second": round(done / elapsed, 1)}


# --- the run ---------------------------------------------------------------------------------


def bench_database(name: str, database_url: str | None) -> dict[str, Any]:
    print(f"== {name}: preparing a throw-away motcua", flush=True)  # noqa: T201
    instance = Instance(database_url)
    try:
        instance.prepare()
        figures: dict[str, Any] = {"submissions": [], "lifecycles": [], "ceiling": []}
        with serve(instance, "motcua.wsgi:application", "motcua.settings") as url:
            ids = asyncio.run(centers(url))
            # Every worker process reads the catalog and the centers once: not measured.
            asyncio.run(load(url, CONCURRENCY[0], WARM_UP, submission_task(ids)))
            for clients in CONCURRENCY:
                row = asyncio.run(load(url, clients, SECONDS, submission_task(ids)))
                figures["submissions"].append(row)
                print(f"   submissions ×{clients}: {row}", flush=True)  # noqa: T201
            for clients in LIFECYCLE_CONCURRENCY:
                row = asyncio.run(load(url, clients, SECONDS, lifecycle_task(instance.tokens)))
                figures["lifecycles"].append(row)
                print(f"   lifecycles ×{clients}: {row}", flush=True)  # noqa: T201
        with serve(
            instance, "bench.ceiling:application", "bench.ceiling_settings", probe="/ping"
        ) as url:
            asyncio.run(load(url, CONCURRENCY[0], WARM_UP, ceiling_task))  # the same warm-up
            for clients in CONCURRENCY:
                row = asyncio.run(load(url, clients, SECONDS, ceiling_task))
                figures["ceiling"].append(row)
                print(f"   bare Django ×{clients}: {row}", flush=True)  # noqa: T201
        if database_url:
            figures["pgbench"] = [pgbench(database_url, c, instance.data_dir) for c in CONCURRENCY]
        else:
            figures["sqlite_wal"] = [sqlite_wal_inserts(instance.data_dir)]
        for row, ceiling in zip(figures["submissions"], figures["ceiling"], strict=True):
            row["ratio_to_bare_django"] = (
                round(row["per_second"] / ceiling["per_second"], 2)
                if ceiling["per_second"]
                else None
            )
            # The same ratio from server CPU per request: unmoved by other load on the machine.
            row["cpu_ratio_to_bare_django"] = (
                round(ceiling["server_cpu_ms"] / row["server_cpu_ms"], 2)
                if row["server_cpu_ms"]
                else None
            )
        return figures
    finally:
        instance.remove()


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{'database':<11}{'measure':<26}{'clients':>8}{'per s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'errors':>8}{'ratio':>8}{'client':>8}{'cpu ms':>8}{'cpu ratio':>10}"
    ]
    for database, figures in results["databases"].items():
        for kind in ("submissions", "lifecycles", "ceiling"):
            label = {"ceiling": "bare Django (ceiling)"}.get(kind, f"motcua {kind}")
            for row in figures[kind]:
                ratio = row.get("ratio_to_bare_django")
                lines.append(
                    f"{database:<11}{label:<26}{row['concurrency']:>8}{row['per_second']:>9}"
                    f"{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}{row['errors']:>8}"
                    f"{'' if ratio is None else ratio:>8}{row['client_cpu_share']:>8}"
                    f"{row['server_cpu_ms']:>8}{row.get('cpu_ratio_to_bare_django') or '':>10}"
                )
        for row in figures.get("pgbench", []):
            lines.append(
                f"{database:<11}{'pgbench (same tx)':<26}{row['concurrency']:>8}"
                f"{row['per_second']:>9}{row['mean_ms']:>9}"
            )
        for row in figures.get("sqlite_wal", []):
            lines.append(
                f"{database:<11}{'SQLite WAL inserts':<26}{row['concurrency']:>8}"
                f"{row['per_second']:>9}"
            )
    return "\n".join(lines)


def _previous() -> dict[str, Any]:
    """What the file holds from earlier runs: a run of some databases (``BENCH_DATABASES``) or
    without the scale step replaces only what it measured."""
    try:
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return previous if isinstance(previous, dict) else {}


def _write(results: dict[str, Any]) -> None:
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def main() -> int:
    results = _previous()
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "gunicorn": f"{WORKERS} workers × {THREADS} threads ({WORKER_CLASS})",
        "seconds_per_measure": SECONDS,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
    }
    databases = results.setdefault("databases", {})
    if "sqlite" in DATABASES:
        databases["sqlite"] = bench_database("sqlite", None)
        _write(results)
    if "postgresql" in DATABASES:
        databases["postgresql"] = bench_postgresql()
    # Written now and again at the end: the long scale step cannot lose the figures above.
    _write(results)
    print(table(results), flush=True)  # noqa: T201
    if "postgresql" in DATABASES:
        from bench import scale  # the worklist and the dashboard with a million dossiers

        measured = scale.on_throwaway_postgresql()
        if measured is not None:
            results["scale"] = measured
            _write(results)
            print(scale.table(measured))  # noqa: T201
    print(f"→ {RESULTS}")  # noqa: T201
    return 0


def bench_postgresql() -> dict[str, Any]:
    """A throw-away PostgreSQL server for the run (scripts/pg-throwaway.sh)."""
    started = subprocess.run(  # noqa: S603
        [str(ROOT / "scripts" / "pg-throwaway.sh"), "start"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    url = started.stdout.strip()
    port = url.rsplit(":", 1)[1].split("/")[0]
    try:
        subprocess.run(  # noqa: S603
            [sorted(Path("/usr/lib/postgresql").glob("*/bin/createdb"))[-1].as_posix(),
             "-h", "127.0.0.1", "-p", port, "-U", "postgres", "motcua"],
            check=True, capture_output=True,
        )  # fmt: skip
        return bench_database("postgresql", url)
    finally:
        subprocess.run([str(ROOT / "scripts" / "pg-throwaway.sh"), "stop", port], check=False)  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
