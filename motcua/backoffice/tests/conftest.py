"""The back office's additions to the shared test world (``motcua/conftest.py``).

The cast is the shared one: the citizen Nguyễn Văn An; at Phường Pleiku the receiving officer
(tn.phuongpleiku), the specialist (cv.phuongpleiku) and the leader (ld.phuongpleiku); the
outsider, a receiving officer of Xã Biển Hồ (tn.xabienho). The back office adds a second
specialist of the Pleiku committee, Đỗ Minh Quân (cv2.phuongpleiku), for assignments.

The clock stands still at 09:00 on Wednesday 2 December 2026 (Vietnam time) unless a test moves
it: a same-day civil-status copy received then is due at 17:00 the same day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from motcua.conftest import PASSWORD, PLEIKU_WARD, QUYNHON_WARD, World
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, Transfer
from motcua.dossiers.uploads import Upload
from motcua.org.models import Agency, Role, User
from motcua.org.services import add_staff

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
WEDNESDAY_9AM = datetime(2026, 12, 2, 9, 0, tzinfo=HCM)
__all__ = ["CHANGE", "HCM", "PASSWORD", "SPLIT", "WEDNESDAY_9AM", "FakeClock", "LandDesk", "Office"]


class FakeClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@dataclass
class Office:
    """The shared world seen from the Pleiku one-stop desk."""

    world: World
    clock: FakeClock
    second_specialist: User

    @property
    def receiver(self) -> User:
        return self.world.pleiku.receiver

    @property
    def specialist(self) -> User:
        return self.world.pleiku.specialist

    @property
    def leader(self) -> User:
        return self.world.pleiku.leader

    @property
    def outsider(self) -> User:
        return self.world.outsider

    def dossier_in(self, state: str) -> Dossier:
        dossier: Dossier = self.world.dossier_in(state)
        return dossier

    def submit(self, **form: Any) -> Dossier:
        dossier: Dossier = self.world.submit(form=self.world.form(**form))
        return dossier

    def client_for(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture(autouse=True)
def _not_a_demo(settings: Any) -> None:
    settings.MOTCUA_DEMO = False


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock(WEDNESDAY_9AM)
    monkeypatch.setattr("motcua.core.clock.now", clock.now)
    return clock


@pytest.fixture
def office(world: World, fake_clock: FakeClock) -> Office:
    second = add_staff(
        username="cv2.phuongpleiku",
        full_name="Đỗ Minh Quân",
        agency=world.pleiku.committee,
        role=Role.SPECIALIST,
        password_hash=make_password(PASSWORD),
    )
    return Office(world=world, clock=fake_clock, second_specialist=second)


# --- the land flow ------------------------------------------------------------------------------
#
# Phạm Văn Dũng of Phường Pleiku splits his plot in Phường Quy Nhơn (1.012784, 12 working days)
# and registers the transfer of a plot in Phường Pleiku (1.013831, 5 + 3 working days with the
# tax step between). He files at the Pleiku counter; the paper file goes to the Land Registration
# Office branch covering the plot: Quy Nhơn's (Võ Thị Lan, specialist; Đỗ Quang Huy, leader) or
# Pleiku's (Nguyễn Hữu Phước, specialist; Trần Thị Ngọc, leader). Lý Văn Tài answers for the
# province's tax office; Hồ Thị Sen for the Department of Agriculture and Environment, which the
# branch consults.

SPLIT, CHANGE = "1.012784", "1.013831"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Branch:
    agency: Agency
    specialist: User
    leader: User


@dataclass
class LandDesk:
    office: Office
    quynhon: Branch
    pleiku: Branch
    tax_office: Agency
    tax_officer: User
    department: Agency
    department_officer: User

    @property
    def receiver(self) -> User:
        return self.office.receiver

    def split_form(self, parcel_ward: int = QUYNHON_WARD) -> dict[str, str]:
        return {
            "requester_name": "Phạm Văn Dũng",
            "requester_id_number": "052085001234",
            "requester_birth_date": "1985-03-12",
            "requester_phone": "0914222333",
            "requester_address": "25 Lê Lợi, tổ 5, Phường Pleiku",
            "request_kind": "split",
            "parcel_ward": str(parcel_ward),
            "parcel_number": "125",
            "map_sheet": "18",
            "parcel_address": "Khu vực 3, Phường Quy Nhơn",
            "certificate_number": "DA 123456",
            "certificates": "2",
        }

    def change_form(self) -> dict[str, str]:
        return {
            "requester_name": "Phạm Văn Dũng",
            "requester_id_number": "052085001234",
            "requester_birth_date": "1985-03-12",
            "requester_phone": "0914222333",
            "requester_address": "25 Lê Lợi, tổ 5, Phường Pleiku",
            "change_kind": "transfer",
            "counterparty_name": "Lê Thị Hạnh",
            "parcel_ward": str(PLEIKU_WARD),
            "parcel_number": "310",
            "map_sheet": "42",
            "certificate_number": "CS 654321",
            "contract_ref": "1234/2026/CCGD",
            "certificates": "1",
        }

    def received(self, code: str = SPLIT) -> Dossier:
        """Dũng brings the paper file to the Pleiku counter and pays in cash: received, the
        center holds the paper file."""
        keys = ("form_21", "form_22", "certificate") if code == SPLIT else (
            "form_18", "contract", "certificate")  # fmt: skip
        uploads = [Upload(name=f"{key}.pdf", content=PDF_BYTES, component_key=key) for key in keys]
        form = self.split_form() if code == SPLIT else self.change_form()
        dossier = services.register_at_counter(
            actor=self.receiver, procedure_code=code, form_data=form, uploads=uploads
        )
        services.record_cash_payment(dossier.pk, actor=self.receiver)
        return Dossier.objects.get(pk=dossier.pk)

    def branch_of(self, dossier: Dossier) -> Branch:
        return (
            self.quynhon if dossier.competent_agency_id == self.quynhon.agency.pk else self.pleiku
        )

    def in_transit(self, code: str = SPLIT) -> tuple[Dossier, Transfer]:
        dossier = self.received(code)
        transfer = services.send_file(dossier.pk, actor=self.receiver, means="postal")
        return Dossier.objects.get(pk=dossier.pk), transfer

    def at_branch(self, code: str = SPLIT) -> Dossier:
        dossier, transfer = self.in_transit(code)
        services.receive_file(transfer.pk, actor=self.branch_of(dossier).specialist)
        return Dossier.objects.get(pk=dossier.pk)

    def processing(self, code: str = SPLIT) -> Dossier:
        dossier = self.at_branch(code)
        return services.start_processing(dossier.pk, actor=self.branch_of(dossier).specialist)

    def approved(self, code: str = SPLIT) -> Dossier:
        dossier = self.processing(code)
        branch = self.branch_of(dossier)
        if code == CHANGE:
            services.send_to_tax(dossier.pk, actor=branch.specialist, note="Phiếu số 19/PC.")
            services.record_obligations_met(dossier.pk, actor=branch.specialist, note="Đã nộp.")
        services.submit_for_approval(dossier.pk, actor=branch.specialist, note="Đủ điều kiện.")
        return services.approve(dossier.pk, actor=branch.leader)

    def awaiting_obligations(self) -> Dossier:
        dossier = self.processing(CHANGE)
        return services.send_to_tax(
            dossier.pk, actor=self.pleiku.specialist, note="Phiếu chuyển thông tin số 19/PC."
        )


def _stub_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents that are not the subject of the desk tests are stored as a minimal PDF."""
    for name in (
        "render_receipt_slip",
        "render_result_notice",
        "render_transfer_slip",
        "render_supplement_request_slip",
        "render_apology_slip",
        "render_refusal_slip",
    ):
        monkeypatch.setattr(f"motcua.dossiers.pdf.{name}", lambda *a, **k: PDF_BYTES)


@pytest.fixture
def land(office: Office, monkeypatch: pytest.MonkeyPatch) -> LandDesk:
    _stub_documents(monkeypatch)
    password_hash = make_password(PASSWORD)

    def staff(username: str, full_name: str, slug: str, role: str) -> User:
        agency = Agency.objects.get(slug=slug)
        return add_staff(
            username=username,
            full_name=full_name,
            agency=agency,
            role=role,
            password_hash=password_hash,
        )

    def branch(slug: str, specialist: str, leader: str) -> Branch:
        return Branch(
            agency=Agency.objects.get(slug=slug),
            specialist=staff(f"cv.{slug}", specialist, slug, Role.SPECIALIST),
            leader=staff(f"ld.{slug}", leader, slug, Role.LEADER),
        )

    department = "so-nong-nghiep-moi-truong-gia-lai"
    return LandDesk(
        office=office,
        quynhon=branch("cn-vpdkdd-quy-nhon", "Võ Thị Lan", "Đỗ Quang Huy"),
        pleiku=branch("cn-vpdkdd-pleiku", "Nguyễn Hữu Phước", "Trần Thị Ngọc"),
        tax_office=Agency.objects.get(slug="thue-tinh-gia-lai"),
        tax_officer=staff(
            "cv.thue-tinh-gia-lai", "Lý Văn Tài", "thue-tinh-gia-lai", Role.SPECIALIST
        ),
        department=Agency.objects.get(slug=department),
        department_officer=staff(f"cv.{department}", "Hồ Thị Sen", department, Role.SPECIALIST),
    )
