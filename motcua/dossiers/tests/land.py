"""The land cast, added to the shared test world (``motcua/conftest.py``) by the land tests.

* Phạm Văn Dũng, who lives in Phường Pleiku, owns a plot in Phường Quy Nhơn (former Bình Định)
  that he asks to split (procedure 1.012784, ``land.split_form()``), and registers the transfer
  of a plot in Phường Pleiku (former Gia Lai) bought from Lê Thị Hạnh (1.013831,
  ``land.change_form()``).
* The branches of the Land Registration Office: Quy Nhơn (``land.quynhon.specialist``, Võ Thị
  Lan; ``land.quynhon.leader``, Đỗ Quang Huy) and Pleiku (``land.pleiku.*``).
* The tax office (``land.tax_officer``) and the provincial service center's receiver
  (``land.province_receiver``).

Expected due times are computed here, independently of the code under test: working days are
Monday to Friday (and the make-up Saturdays) that are not public holidays of the ``holidays``
package (VN); a period of N days ends at 17:00 on the N-th working day after the receipt day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.contrib.auth.hashers import make_password

from motcua.conftest import PASSWORD, PDF_BYTES, PLEIKU_WARD, QUYNHON_WARD, World
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, Transfer
from motcua.dossiers.uploads import Upload
from motcua.org.models import Agency, Role, User
from motcua.org.services import add_staff

VN = ZoneInfo("Asia/Ho_Chi_Minh")
VN_HOLIDAYS = holidays.country_holidays("VN", years=range(2025, 2029))
MAKEUP_SATURDAYS = frozenset(VN_HOLIDAYS.weekend_workdays)
OPENING, CLOSE = time(7, 30), time(17, 0)

SPLIT, CHANGE = "1.012784", "1.013831"
# Example fees of the data file (Đồng Nai Decision 2228/QĐ-UBND), per certificate.
SPLIT_SERVICE_PRICE, CERTIFICATE_CHARGE = 838_000, 100_000
DUNG_ID_NUMBER = "052085001234"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def is_working_day(day: date) -> bool:
    if day in MAKEUP_SATURDAYS:
        return True
    return day.weekday() < 5 and day not in VN_HOLIDAYS


def add_working_days(day: date, n: int) -> date:
    for _ in range(n):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return day


def working_days_due(received: datetime, days: int) -> datetime:
    """17:00 on the ``days``-th working day after a receipt made during office hours."""
    local = received.astimezone(VN)
    assert is_working_day(local.date()) and OPENING <= local.time() <= CLOSE  # noqa: S101
    return datetime.combine(add_working_days(local.date(), days), CLOSE, tzinfo=VN)


@dataclass
class Branch:
    agency: Agency
    specialist: User
    leader: User


@dataclass
class Land:
    world: World
    quynhon: Branch
    pleiku: Branch
    tax_office: Agency
    tax_officer: User
    province_center: Agency
    province_receiver: User

    def split_form(self, parcel_ward: int = QUYNHON_WARD, certificates: int = 2) -> dict[str, Any]:
        return {
            "requester_name": "Phạm Văn Dũng",
            "requester_id_number": DUNG_ID_NUMBER,
            "requester_birth_date": "1985-03-12",
            "requester_phone": "0914222333",
            "requester_address": "25 Lê Lợi, tổ 5, Phường Pleiku",
            "request_kind": "split",
            "parcel_ward": str(parcel_ward),
            "parcel_number": "125",
            "map_sheet": "18",
            "parcel_address": "Khu vực 3, Phường Quy Nhơn",
            "certificate_number": "DA 123456",
            "certificates": str(certificates),
        }

    def change_form(self, parcel_ward: int = PLEIKU_WARD) -> dict[str, Any]:
        return {
            "requester_name": "Phạm Văn Dũng",
            "requester_id_number": DUNG_ID_NUMBER,
            "requester_birth_date": "1985-03-12",
            "requester_phone": "0914222333",
            "requester_address": "25 Lê Lợi, tổ 5, Phường Pleiku",
            "change_kind": "transfer",
            "counterparty_name": "Lê Thị Hạnh",
            "parcel_ward": str(parcel_ward),
            "parcel_number": "310",
            "map_sheet": "42",
            "certificate_number": "CS 654321",
            "contract_ref": "1234/2026/CCGD",
            "certificates": "1",
        }

    @staticmethod
    def uploads(code: str) -> list[Upload]:
        keys = ("form_21", "form_22", "certificate") if code == SPLIT else (
            "form_18", "contract", "certificate")  # fmt: skip
        return [Upload(name=f"{key}.pdf", content=PDF_BYTES, component_key=key) for key in keys]

    def receive(
        self, code: str, *, receiver: User | None = None, form: dict[str, Any] | None = None
    ) -> Dossier:
        """Dũng brings the paper file to ``receiver``'s counter (Pleiku's by default) and pays
        the fee in cash: the dossier is received, the center holds the paper file."""
        receiver = receiver or self.world.pleiku.receiver
        if form is None:
            form = self.split_form() if code == SPLIT else self.change_form()
        dossier = services.register_at_counter(
            actor=receiver, procedure_code=code, form_data=form, uploads=self.uploads(code)
        )
        services.record_cash_payment(dossier.pk, actor=receiver)
        dossier.refresh_from_db()
        return dossier

    def branch_of(self, dossier: Dossier) -> Branch:
        return (
            self.quynhon if dossier.competent_agency_id == self.quynhon.agency.pk else self.pleiku
        )

    def forward(self, dossier: Dossier, *, sender: User | None = None) -> Transfer:
        """The center sends the paper file and the branch's specialist receives it."""
        sender = sender or self.world.pleiku.receiver
        transfer = services.send_file(dossier.pk, actor=sender, means="in_person")
        return services.receive_file(transfer.pk, actor=self.branch_of(dossier).specialist)


def _branch(slug: str, password_hash: str) -> Branch:
    agency = Agency.objects.get(slug=slug)
    specialist = add_staff(
        username=f"cv.{slug}",
        full_name=f"Chuyên viên {agency.name}",
        agency=agency,
        role=Role.SPECIALIST,
        password_hash=password_hash,
    )
    leader = add_staff(
        username=f"ld.{slug}",
        full_name=f"Lãnh đạo {agency.name}",
        agency=agency,
        role=Role.LEADER,
        password_hash=password_hash,
    )
    return Branch(agency, specialist, leader)


@pytest.fixture
def land(world: World) -> Iterator[Land]:
    password_hash = make_password(PASSWORD)
    tax_office = Agency.objects.get(slug="thue-tinh-gia-lai")
    province_center = Agency.objects.get(slug="ttpvhcc-tinh-gia-lai")
    yield Land(
        world=world,
        quynhon=_branch("cn-vpdkdd-quy-nhon", password_hash),
        pleiku=_branch("cn-vpdkdd-pleiku", password_hash),
        tax_office=tax_office,
        tax_officer=add_staff(
            username="cv.thue-tinh-gia-lai",
            full_name="Chuyên viên Thuế tỉnh Gia Lai",
            agency=tax_office,
            role=Role.SPECIALIST,
            password_hash=password_hash,
        ),
        province_center=province_center,
        province_receiver=add_staff(
            username="tn.ttpvhcc-tinh-gia-lai",
            full_name="Cán bộ tiếp nhận Trung tâm tỉnh",
            agency=province_center,
            role=Role.RECEIVER,
            password_hash=password_hash,
        ),
    )


@pytest.fixture
def land_stub_pdfs(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Every land document is stored as a minimal PDF, without rendering (about 0.2 s each)."""
    for name in (
        "render_receipt_slip",
        "render_transfer_slip",
        "render_result_notice",
        "render_supplement_request_slip",
        "render_apology_slip",
    ):
        monkeypatch.setattr(f"motcua.dossiers.pdf.{name}", lambda *a, **k: PDF_BYTES)
    return PDF_BYTES
