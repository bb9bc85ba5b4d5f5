"""The shared test world: real units, the shipped catalog and a named cast of actors.

Every test that needs the database sees all 34 provinces, 3,321 communes, the agencies of
Gia Lai and procedure 2.000635: they are loaded once per test database (session) and each
test runs inside a transaction that is rolled back. The ``world`` fixture adds the cast:

* a citizen, Nguyễn Văn An (``world.form()`` is his valid e-form for 2.000635, 2 copies);
* at Phường Pleiku (ward 23575, former Gia Lai): ``world.pleiku.receiver`` at the ward's
  service center, ``world.pleiku.specialist`` and ``world.pleiku.leader`` at its People's
  Committee;
* the same trio at Phường Quy Nhơn (ward 21583, former Bình Định): ``world.quynhon.*``;
* ``world.outsider``: a receiving officer of another commune (Xã Biển Hồ, 23590);
* ``world.admin``: a provincial administrator (sees every dossier).

Fixtures (names are stable; other apps' tests use them):

* ``world``: the above, plus helpers ``world.form(**changes)``, ``world.submit(...)``,
  ``world.pdf(...)`` and ``world.dossier_in(state, ...)``;
* ``set_now``: ``set_now(moment)`` makes ``motcua.core.clock.now`` return ``moment``;
* ``stub_pdfs``: receipt slips and results are stored as a minimal PDF, without rendering;
* ``media_root`` (autouse): MEDIA_ROOT is a fresh temporary folder for every test;
* ``fast_password_hashing`` (autouse): MD5 password hashing, so creating staff is instant;
* ``reference_copies_forgotten`` (autouse): no cached procedure or center from an earlier test;
* ``vietnamese`` (autouse): every test starts in Vietnamese, whatever language an earlier
  request of the same worker left active in the thread.

On SQLite the test database is a file in WAL mode (not the in-memory default), so that tests
can share it between threads and processes. Transactional tests (``django_db(transaction=
True)``) empty the database when they end; ``world`` reloads units and catalog when missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password

from motcua.catalog.loader import load_catalog
from motcua.catalog.models import Procedure
from motcua.org.models import Agency, Province, Role, User, Ward
from motcua.org.services import add_staff, load_units

PROCEDURE_CODE = "2.000635"
PASSWORD = "mat-khau-thu-nghiem"  # noqa: S105 (test fixture, not a secret)

# Nguyễn Văn An, born 1990 and registered at birth in former Gia Lai (province code 064),
# asks for two copies of his own birth extract: fee 2 × 8,000 = 16,000 VND.
CITIZEN_FORM: dict[str, str] = {
    "requester_name": "Nguyễn Văn An",
    "requester_id_number": "064090001234",
    "requester_birth_date": "1990-05-01",
    "requester_phone": "0905123456",
    "requester_address": "Tổ 1, Phường Pleiku",
    "subject_name": "Nguyễn Văn An",
    "relationship": "self",
    "event_type": "birth",
    "registration_ref": "12/2020",
    "registration_date": "2020-01-02",
    "registration_place": "UBND phường Hội Thương",
    "copies": "2",
}

# The smallest file that ``filetype`` recognises as a PDF by its content.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

PLEIKU_WARD = 23575
QUYNHON_WARD = 21583
OUTSIDER_WARD = 23590


@dataclass
class Commune:
    """A commune of the cast: its ward, service center, People's Committee and officers."""

    ward: Ward
    center: Agency
    committee: Agency
    receiver: User
    specialist: User
    leader: User


@dataclass
class World:
    province: Province
    procedure: Procedure
    pleiku: Commune
    quynhon: Commune
    outsider: User
    outsider_center: Agency
    admin: User

    def form(self, **changes: Any) -> dict[str, Any]:
        """A fresh copy of the citizen's valid e-form; ``changes`` replace fields, and a value
        of None removes the field."""
        data: dict[str, Any] = dict(CITIZEN_FORM)
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    def pdf(self, name: str = "cccd.pdf", component_key: str = "identity_document") -> Any:
        from motcua.dossiers.uploads import Upload

        return Upload(name=name, content=PDF_BYTES, component_key=component_key)

    def submit(
        self,
        commune: Commune | None = None,
        form: dict[str, Any] | None = None,
        uploads: Any = (),
        idempotency_key: str | None = None,
    ) -> Any:
        """The citizen files online at ``commune``'s center (Pleiku by default)."""
        from motcua.dossiers import services

        commune = commune or self.pleiku
        return services.submit_online(
            procedure_code=PROCEDURE_CODE,
            center_id=commune.center.pk,
            form_data=form if form is not None else self.form(),
            uploads=uploads,
            idempotency_key=idempotency_key,
        )

    def dossier_in(self, state: str, commune: Commune | None = None) -> Any:
        """A dossier of the citizen driven through the services to ``state``: one of
        submitted, awaiting_payment (accepted while unpaid), accepted, processing,
        awaiting_approval, approved, returned. From accepted on, the fee is paid in cash at
        the counter before acceptance."""
        from motcua.dossiers import services

        commune = commune or self.pleiku
        receiver, specialist, leader = commune.receiver, commune.specialist, commune.leader
        note = "Đã đối chiếu sổ đăng ký hộ tịch, đề nghị cấp bản sao."
        steps: list[tuple[str, Callable[[int], Any]]] = [
            ("accepted", lambda pk: services.accept(pk, actor=receiver)),
            ("processing", lambda pk: services.start_processing(pk, actor=specialist)),
            ("awaiting_approval", lambda pk: services.submit_for_approval(
                pk, actor=specialist, note=note)),
            ("approved", lambda pk: services.approve(pk, actor=leader)),
            ("returned", lambda pk: services.return_result(pk, actor=receiver)),
        ]  # fmt: skip
        if state not in {"submitted", "awaiting_payment", *(name for name, _ in steps)}:
            raise ValueError(f"unknown state {state!r}")
        dossier = self.submit(commune)
        if state == "awaiting_payment":
            return services.accept(dossier.pk, actor=receiver)
        if state != "submitted":
            services.record_cash_payment(dossier.pk, actor=receiver)
        for name, step in steps:
            if state == "submitted":
                break
            dossier = step(dossier.pk)
            if name == state:
                break
        dossier.refresh_from_db()
        return dossier


def _ensure_loaded() -> None:
    if not Agency.objects.filter(slug=f"ttpvhcc-{PLEIKU_WARD}").exists():
        load_units()
    if not Procedure.objects.filter(code=PROCEDURE_CODE, is_current=True).exists():
        load_catalog()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLite tests use a database file (WAL), not memory: threads and processes then share one
    database through separate connections, as web and worker processes do in production."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = tmp_path_factory.mktemp("db")
        database.setdefault("TEST", {})["NAME"] = str(folder / "motcua-test.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Load units and catalog once into the test database (about a second)."""
    with django_db_blocker.unblock():
        _ensure_loaded()


@pytest.fixture(autouse=True)
def second_factor_optional(settings: Any) -> None:
    """The cast has no authenticator app: the TOTP second factor is demanded only by the tests
    of sign-in itself (``motcua/accounts/tests``), which set ``MOTCUA_TOTP_REQUIRED``."""
    settings.MOTCUA_TOTP_REQUIRED = ""


@pytest.fixture(autouse=True)
def rate_limits_off(settings: Any) -> None:
    """Tests send many requests from 127.0.0.1: the public rate limits are off, except in the
    tests of the limits themselves (``motcua/accounts/tests/test_ratelimit.py``), which turn
    them on. Servers started as processes inherit ``MOTCUA_RATE_LIMITS=off`` (set below)."""
    settings.MOTCUA_RATE_LIMITS = "off"


os.environ.setdefault("MOTCUA_RATE_LIMITS", "off")


@pytest.fixture(autouse=True)
def reference_copies_forgotten() -> None:
    """Each test starts without the per-process copies of procedures and centers
    (``motcua.core.refcache``), so that its query counts do not depend on the tests before."""
    from motcua.core import refcache

    refcache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def vietnamese() -> Iterator[None]:
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def set_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """``set_now(moment)``: the services' clock (``motcua.core.clock.now``) reads ``moment``."""

    def _set(moment: datetime) -> None:
        if moment.utcoffset() is None:
            raise ValueError("set_now needs an aware datetime")
        monkeypatch.setattr("motcua.core.clock.now", lambda: moment)

    return _set


@pytest.fixture
def own_pki(settings: Any, tmp_path: Path, media_root: Path) -> Path:
    """A certificate authority of the test's own: receipt slips and results are signed."""
    from motcua.pki import store

    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    store.ensure_ca()
    return Path(settings.MOTCUA_PKI_DIR)


@pytest.fixture
def slip_renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bytes]]:
    """Every receipt slip rendered: how many transactions deep (savepoints in the test's) and
    the bytes."""
    from django.db import connection

    from motcua.dossiers import pdf

    made: list[tuple[int, bytes]] = []
    real = pdf.render_receipt_slip

    def recording(data: Any, *, signer: Any = None) -> bytes:
        content = real(data, signer=signer)
        made.append((len(connection.savepoint_ids), content))
        return content

    monkeypatch.setattr(pdf, "render_receipt_slip", recording)
    return made


@pytest.fixture
def stub_pdfs(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Skip PDF rendering (about 0.2 s a document): receipt slips and results are stored as
    a minimal PDF. For tests about something else than the documents themselves."""
    monkeypatch.setattr("motcua.dossiers.pdf.render_receipt_slip", lambda *a, **k: PDF_BYTES)
    monkeypatch.setattr("motcua.dossiers.pdf.render_civil_status_copy", lambda *a, **k: PDF_BYTES)
    return PDF_BYTES


def _commune(ward_code: int, slug: str, password_hash: str) -> Commune:
    ward = Ward.objects.get(code=ward_code)
    center = Agency.objects.get(slug=f"ttpvhcc-{ward_code}")
    committee = Agency.objects.get(slug=f"ubnd-{ward_code}")
    staff = {}
    for prefix, role, agency, title in (
        ("tn", Role.RECEIVER, center, "Cán bộ tiếp nhận"),
        ("cv", Role.SPECIALIST, committee, "Chuyên viên"),
        ("ld", Role.LEADER, committee, "Lãnh đạo"),
    ):
        staff[role] = add_staff(
            username=f"{prefix}.{slug}",
            full_name=f"{title} {ward.name}",
            agency=agency,
            role=role,
            password_hash=password_hash,
        )
    return Commune(
        ward=ward,
        center=center,
        committee=committee,
        receiver=staff[Role.RECEIVER],
        specialist=staff[Role.SPECIALIST],
        leader=staff[Role.LEADER],
    )


@pytest.fixture
def world(db: None, fast_password_hashing: None) -> Iterator[World]:
    _ensure_loaded()
    password_hash = make_password(PASSWORD)
    outsider_center = Agency.objects.get(slug=f"ttpvhcc-{OUTSIDER_WARD}")
    admin_office = Agency.objects.get(slug="vp-ubnd-tinh-gia-lai")
    yield World(
        province=Province.objects.get(code=52),
        procedure=Procedure.objects.get(code=PROCEDURE_CODE, is_current=True),
        pleiku=_commune(PLEIKU_WARD, "phuongpleiku", password_hash),
        quynhon=_commune(QUYNHON_WARD, "phuongquynhon", password_hash),
        outsider=add_staff(
            username="tn.xabienho",
            full_name="Cán bộ tiếp nhận Xã Biển Hồ",
            agency=outsider_center,
            role=Role.RECEIVER,
            password_hash=password_hash,
        ),
        outsider_center=outsider_center,
        admin=add_staff(
            username="admin",
            full_name="Quản trị hệ thống",
            agency=admin_office,
            role=Role.ADMIN,
            password_hash=password_hash,
        ),
    )
