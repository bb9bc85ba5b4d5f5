"""Where the time of one submission and one full lifecycle goes (cProfile, in one process).

    .venv/bin/python bench/hotspots.py      (a throw-away SQLite database in a temporary folder)

Prints the functions with the most cumulative time for 50 submissions through the API
(``POST /api/dossiers``) and for 5 lifecycles (counter, cash, processing, approval, return).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = tempfile.mkdtemp(prefix="motcua-profile-")
os.environ.update(
    {
        "MOTCUA_DATA_DIR": DATA,
        "MOTCUA_LOG_LEVEL": "WARNING",
        "MOTCUA_ALLOWED_HOSTS": "testserver",
        "MOTCUA_RATE_LIMITS": "off",
    }
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
sys.path.insert(0, str(ROOT))

from motcua.drill.server import motcua_command  # noqa: E402

for step in (("migrate", "--noinput", "-v", "0"), ("setup", "--demo")):
    subprocess.run(motcua_command(*step), check=True, capture_output=True, env=os.environ)  # noqa: S603

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from bench.run import form  # noqa: E402
from motcua.org.models import Agency, User  # noqa: E402
from motcua.org.services import issue_api_token  # noqa: E402


def top(profile: cProfile.Profile, title: str) -> None:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(
        r"motcua|weasyprint|django/db", 18
    )
    print(f"== {title}")  # noqa: T201
    print(out.getvalue())  # noqa: T201


def main() -> None:
    client = Client()
    center = Agency.objects.get(slug="ttpvhcc-23575")
    keys = {
        role: issue_api_token(User.objects.get(username=f"{prefix}.phuongpleiku"), "profile")
        for role, prefix in (("receiver", "tn"), ("specialist", "cv"), ("leader", "ld"))
    }
    profile = cProfile.Profile()
    profile.enable()
    for seq in range(50):
        body = {"procedure": "2.000635", "center": center.pk, "form": form(seq)}
        assert (  # noqa: S101
            client.post("/api/dossiers", body, content_type="application/json").status_code == 201
        )  # noqa: S101
    profile.disable()
    top(profile, "50 submissions")

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
