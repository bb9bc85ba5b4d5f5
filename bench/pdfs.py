"""What one dossier PDF costs: rendering (WeasyPrint) and each PAdES signature (pyHanko).

    .venv/bin/python bench/pdfs.py [REPEAT]     (default 20; a throw-away PKI in a temp folder)

Renders the receipt slip (Mẫu 01, A5) and a civil-status copy (A4) from the test cast, signs
the copy with a seal and with a leader then a seal, and prints milliseconds per document: the
first one in the process (fonts, style sheets and signers still to load) and the mean of the
next REPEAT, in CPU time of this process and in wall-clock time. No database is used.

On the 2-core machine (2026-12-05, others at work, REPEAT 20), mean CPU per document before ->
after the fixed-width tables and the PNG QR codes: receipt slip 76-87 -> 53-62 ms, civil-status
copy 60-76 -> 46-55 ms; after keeping the stamp font's subset: seal 29-34 -> 16-17 ms, leader +
seal 50-56 -> 34-35 ms. The first copy measured may include a full garbage collection (~0.1 s).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = tempfile.mkdtemp(prefix="motcua-pdfs-")
os.environ.update({"MOTCUA_DATA_DIR": DATA, "MOTCUA_LOG_LEVEL": "WARNING"})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from motcua.dossiers import pdf  # noqa: E402
from motcua.dossiers.tests.test_pdf import HOA_SLIP, KHANG_BIRTH_COPY  # noqa: E402
from motcua.org.models import Agency, User  # noqa: E402
from motcua.pki import signing, store  # noqa: E402


def measure(name: str, work: Callable[[], object], repeat: int) -> dict[str, object]:
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    first_cpu, first_wall = time.process_time() - cpu, time.perf_counter() - wall
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        work()
    return {
        "measure": name,
        "first_cpu_ms": round(first_cpu * 1000, 1),
        "first_wall_ms": round(first_wall * 1000, 1),
        "cpu_ms": round((time.process_time() - cpu) / repeat * 1000, 1),
        "wall_ms": round((time.perf_counter() - wall) / repeat * 1000, 1),
    }


def main(repeat: int) -> None:
    store.ensure_ca()
    committee = Agency(name=KHANG_BIRTH_COPY.issuing_agency, code="H52.23575", slug="ubnd-23575")
    leader = User(pk=1, username="ld.phuongpleiku", full_name=KHANG_BIRTH_COPY.signer_name)
    seal = signing.SigningParty(store.ensure_agency_certificate(committee)[0], committee.name)
    person = signing.SigningParty(
        store.ensure_person_certificate(leader, committee)[0], "Phó Chủ tịch"
    )
    unsigned = pdf.render_civil_status_copy(KHANG_BIRTH_COPY)
    rows = [
        measure("render receipt slip", lambda: pdf.render_receipt_slip(HOA_SLIP), repeat),
        measure(
            "render civil-status copy",
            lambda: pdf.render_civil_status_copy(KHANG_BIRTH_COPY),
            repeat,
        ),
        measure(
            "sign: seal",
            lambda: signing.ServerKeySigner(None, seal).sign(unsigned, reason="Phiếu"),
            repeat,
        ),
        measure(
            "sign: leader + seal",
            lambda: signing.ServerKeySigner(person, seal).sign(unsigned, reason="Bản sao"),
            repeat,
        ),
    ]
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    try:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
    finally:
        shutil.rmtree(DATA, ignore_errors=True)
