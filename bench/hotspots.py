"""Where the time of one submission and one full lifecycle goes (cProfile, in one process).

    .venv/bin/python bench/hotspots.py      (a throw-away SQLite database in a temporary folder)

For one warm submission through the API (``POST /api/dossiers``, demo set-up as in ``make
bench``: the national portal is a peer, so each submission also writes its status message to
the outbox) prints the SQL statements, then the CPU time per submission without a profiler,
then the functions with the most cumulative and the most own time over 50 submissions; then the
most cumulative time for 5 lifecycles (counter, cash, processing, approval, return).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = tempfile.mkdtemp(prefix="motcua-profile-")
os.environ.update(
    {
        "MOTCUA_DATA_DIR": DATA,
        "MOTCUA_LOG_LEVEL": "WARNING",
        "MOTCUA_ALLOWED_HOSTS": "testserver",
        "MOTCUA_RATE_LIMITS": "off",
        "MOTCUA_DEMO": "1",
    }
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
sys.path.insert(0, str(ROOT))

from motcua.drill.server import motcua_command  # noqa: E402

for step in (("migrate", "--noinput", "-v", "0"), ("setup", "--demo")):
    subprocess.run(motcua_command(*step), check=True, capture_output=True, env=os.environ)  # noqa: S603

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.run import form  # noqa: E402
from motcua.org.models import Agency, User  # noqa: E402
from motcua.org.services import issue_api_token  # noqa: E402


def top(profile: cProfile.Profile, title: str, order: str = "cumulative") -> None:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats(order)
    if order == "cumulative":
        stats.print_stats(r"motcua|weasyprint|django/db", 18)
    else:
        stats.print_stats(25)
    print(f"== {title} (by {order} time)")  # noqa: T201
    print(out.getvalue())  # noqa: T201


def main() -> None:
    client = Client()
    center = Agency.objects.get(slug="ttpvhcc-23575")
    keys = {
        role: issue_api_token(User.objects.get(username=f"{prefix}.phuongpleiku"), "profile")
        for role, prefix in (("receiver", "tn"), ("specialist", "cv"), ("leader", "ld"))
    }

    def submit(seq: int) -> None:
        body = {"procedure": "2.000635", "center": center.pk, "form": form(seq)}
        response = client.post("/api/dossiers", body, content_type="application/json")
        assert response.status_code == 201, response.content  # noqa: S101

    submit(0)  # the process reads the catalog and the center once
    with CaptureQueriesContext(connection) as queries:
        submit(1)
    print(f"== one warm submission: {len(queries.captured_queries)} statements")  # noqa: T201
    for query in queries.captured_queries:
        print(f"   {query['sql'][:150]}")  # noqa: T201
    started = time.process_time()
    for seq in range(2, 202):
        submit(seq)
    cpu = (time.process_time() - started) / 200 * 1000
    print(f"== CPU per submission, in process, no profiler: {cpu:.2f} ms\n")  # noqa: T201

    profile = cProfile.Profile()
    profile.enable()
    for seq in range(300, 350):
        submit(seq)
    profile.disable()
    top(profile, "50 submissions")
    top(profile, "50 submissions", order="tottime")

    def call(role: str, path: str, body: dict[str, str]) -> dict[str, object]:
        response = client.post(
            path, body, content_type="application/json",
            headers={"Authorization": f"Bearer {keys[role]}"},
        )  # fmt: skip
        assert response.status_code in (200, 201), response.content  # noqa: S101
        return dict(response.json())

    profile = cProfile.Profile()
    profile.enable()
    note = {"note": "Đã tra cứu, đề nghị cấp bản sao."}
    for seq in range(100, 105):
        dossier = call(
            "receiver", "/api/dossiers/counter", {"procedure": "2.000635", "form": form(seq)}
        )  # type: ignore[dict-item]
        for role, action, body in (
            ("receiver", "record_cash_payment", {}),
            ("specialist", "start_processing", {}),
            ("specialist", "submit_for_approval", note),
            ("leader", "approve", {}),
            ("receiver", "return_result", {}),
        ):
            call(role, f"/api/dossiers/{dossier['id']}/actions/{action}", body)
    profile.disable()
    top(profile, "5 lifecycles")


if __name__ == "__main__":
    try:
        main()
    finally:
        subprocess.run(["rm", "-rf", DATA], check=False)  # noqa: S603, S607
