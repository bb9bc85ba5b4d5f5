"""The land flow over the API: custody of the paper file, the tax step with two appointments,
consultations and the one rescheduling, driven with bearer keys as a peer system or the drill
drives them.

The cast:

- Phạm Văn Dũng lives in Phường Pleiku. He splits his plot in Phường Quy Nhơn (ward 21583, former
  Bình Định; procedure 1.012784, 12 working days) and registers the transfer of a plot in Phường
  Pleiku (ward 23575, former Gia Lai; procedure 1.013831, 5 + 3 working days), both at the
  Pleiku counter;
- Trần Văn Bình (tn.phuongpleiku), receiving officer at the Pleiku service center;
- at the Land Registration Office branch of Quy Nhơn: Võ Thị Lan (specialist) and Đỗ Quang Huy
  (leader); at the Pleiku branch: Nguyễn Hữu Phước (specialist) and Trần Thị Ngọc (leader);
- Lý Văn Tài of the province's tax office; Hồ Thị Sen of the Department of Agriculture and
  Environment, which the Quy Nhơn branch consults;
- Võ Thị Thu (tn.phuongquynhon), receiving officer of Phường Quy Nhơn: she has no part in a
  dossier received at Pleiku.

The clock starts at 09:00 on Thursday 19 November 2026 (Vietnam time); Tuesday 24 November is
Vietnam Cultural Day, a public holiday. Expected due times are counted here, independently:
working days are Monday to Friday that are not public holidays of the ``holidays`` package (VN);
N days end at 17:00 on the N-th working day after the day the clock starts.
"""

from __future__ import annotations

import base64
import json
import re
import tempfile
from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import holidays
from django.test import Client, TestCase, override_settings

from motcua.catalog.loader import load_catalog
from motcua.catalog.models import Procedure
from motcua.dossiers.models import Dossier, DossierFile, FileKind
from motcua.org.models import Agency, ApiToken, Role, User
from motcua.org.services import add_staff, issue_api_token, load_units

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
THURSDAY_9AM = datetime(2026, 11, 19, 9, 0, tzinfo=HCM)
VN_HOLIDAYS = holidays.country_holidays("VN", years=range(2026, 2028))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SPLIT, CHANGE = "1.012784", "1.013831"
PLEIKU, QUY_NHON = 23575, 21583
DEPARTMENT = "so-nong-nghiep-moi-truong-gia-lai"

DUNG = {
    "requester_name": "Phạm Văn Dũng",
    "requester_id_number": "052085001234",
    "requester_birth_date": "1985-03-12",
    "requester_phone": "0914222333",
    "requester_address": "25 Lê Lợi, tổ 5, Phường Pleiku",
}
SPLIT_FORM = {
    **DUNG,
    "request_kind": "split",
    "parcel_ward": str(QUY_NHON),
    "parcel_number": "125",
    "map_sheet": "18",
    "parcel_address": "Khu vực 3, Phường Quy Nhơn",
    "certificate_number": "DA 123456",
    "certificates": "2",
}
CHANGE_FORM = {
    **DUNG,
    "change_kind": "transfer",
    "counterparty_name": "Lê Thị Hạnh",
    "parcel_ward": str(PLEIKU),
    "parcel_number": "310",
    "map_sheet": "42",
    "certificate_number": "CS 654321",
    "contract_ref": "1234/2026/CCGD",
    "certificates": "1",
}
COMPONENTS = {
    SPLIT: ("form_21", "form_22", "certificate"),
    CHANGE: ("form_18", "contract", "certificate"),
}


def working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in VN_HOLIDAYS


def due_after(start: datetime, days: int) -> str:
    """17:00 on the ``days``-th working day after the day of ``start``, as the API writes it."""
    day = start.astimezone(HCM).date()
    for _ in range(days):
        day += timedelta(days=1)
        while not working_day(day):
            day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=HCM).isoformat()


def iso(moment: datetime) -> str:
    return moment.astimezone(HCM).isoformat()


def agency_ref(slug: str) -> dict[str, Any]:
    agency = Agency.objects.get(slug=slug)
    return {"id": agency.pk, "slug": agency.slug, "code": agency.code, "name": agency.name}


class LandApiWorld(TestCase):
    """Units, the catalog and the cast, built once per class; the clock moves only when a test
    moves it. PDFs are stored as a minimal file: documents are not the subject here."""

    keys: dict[str, str]

    @classmethod
    def setUpClass(cls) -> None:
        cls.now = THURSDAY_9AM
        patcher = mock.patch("motcua.core.clock.now", lambda: cls.now)
        patcher.start()
        cls.addClassCleanup(patcher.stop)
        for name in (
            "render_receipt_slip",
            "render_transfer_slip",
            "render_result_notice",
            "render_apology_slip",
            "render_supplement_request_slip",
        ):
            stub = mock.patch(f"motcua.dossiers.pdf.{name}", lambda *a, **k: PDF)
            stub.start()
            cls.addClassCleanup(stub.stop)
        media = tempfile.TemporaryDirectory(prefix="motcua-api-land-")
        cls.addClassCleanup(media.cleanup)
        cls.enterClassContext(override_settings(MEDIA_ROOT=media.name, LANGUAGE_CODE="vi"))
        super().setUpClass()

    @classmethod
    def setUpTestData(cls) -> None:
        if not Agency.objects.filter(slug=f"ttpvhcc-{PLEIKU}").exists():
            load_units()
        if not Procedure.objects.filter(code=SPLIT).exists():
            load_catalog()

        def staff(username: str, full_name: str, slug: str, role: str) -> User:
            return add_staff(
                username=username,
                full_name=full_name,
                agency=Agency.objects.get(slug=slug),
                role=role,
                password_hash="!",  # bearer keys only
            )

        cls.receiver = staff("tn.phuongpleiku", "Trần Văn Bình", f"ttpvhcc-{PLEIKU}", Role.RECEIVER)
        cls.lan = staff(
            "cv.cn-vpdkdd-quy-nhon", "Võ Thị Lan", "cn-vpdkdd-quy-nhon", Role.SPECIALIST
        )
        cls.huy = staff("ld.cn-vpdkdd-quy-nhon", "Đỗ Quang Huy", "cn-vpdkdd-quy-nhon", Role.LEADER)
        cls.phuoc = staff(
            "cv.cn-vpdkdd-pleiku", "Nguyễn Hữu Phước", "cn-vpdkdd-pleiku", Role.SPECIALIST
        )
        cls.ngoc = staff("ld.cn-vpdkdd-pleiku", "Trần Thị Ngọc", "cn-vpdkdd-pleiku", Role.LEADER)
        cls.tai = staff("cv.thue-tinh-gia-lai", "Lý Văn Tài", "thue-tinh-gia-lai", Role.SPECIALIST)
        cls.sen = staff(f"cv.{DEPARTMENT}", "Hồ Thị Sen", DEPARTMENT, Role.SPECIALIST)
        cls.thu = staff("tn.phuongquynhon", "Võ Thị Thu", f"ttpvhcc-{QUY_NHON}", Role.RECEIVER)
        cls.keys = {
            user.username: issue_api_token(user, "kiem-thu")
            for user in (
                cls.receiver,
                cls.lan,
                cls.huy,
                cls.phuoc,
                cls.ngoc,
                cls.tai,
                cls.sen,
                cls.thu,
            )
        }
        ApiToken.objects.update(last_used_at=THURSDAY_9AM)

    def setUp(self) -> None:
        type(self).now = THURSDAY_9AM

    def advance(self, **delta: float) -> datetime:
        type(self).now = self.now + timedelta(**delta)
        ApiToken.objects.update(last_used_at=self.now)  # keep reads free of token writes
        return self.now

    # --- calling the API -----------------------------------------------------------------------

    def call(self, user: User, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[user.username]}"}
        if method == "get":
            return self.client.get(path, headers=headers)
        data = json.dumps(body if body is not None else {})
        return self.client.post(path, data, content_type="application/json", headers=headers)

    def ok(self, response: Any, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.content
        data: dict[str, Any] = response.json()
        return data

    def error(self, response: Any, status: int, code: str, field: str | None = None) -> None:
        assert response.status_code == status, response.content
        body = response.json()
        assert (body["code"], body.get("field")) == (code, field), body
        assert body["message"]

    def act(self, user: User, dossier_id: int, action: str, **body: Any) -> Any:
        return self.call(user, "post", f"/api/dossiers/{dossier_id}/actions/{action}", body)

    def desk(self, user: User, dossier_id: int) -> dict[str, Any]:
        return self.ok(self.call(user, "get", f"/api/dossiers/{dossier_id}"))

    def receive_at_counter(self, code: str, form: dict[str, str]) -> dict[str, Any]:
        """Bình registers Dũng's paper file at the counter and takes the fee in cash."""
        attachments = [
            {
                "name": f"{key}.pdf",
                "component": key,
                "content_base64": base64.b64encode(PDF).decode(),
            }
            for key in COMPONENTS[code]
        ]
        body = {"procedure": code, "form": form, "attachments": attachments, "channel": 1}
        registered = self.ok(self.call(self.receiver, "post", "/api/dossiers/counter", body), 201)
        return self.ok(self.act(self.receiver, registered["id"], "record_cash_payment"))

    def send(self, user: User, dossier_id: int, **body: Any) -> Any:
        return self.call(user, "post", f"/api/dossiers/{dossier_id}/transfers", body)

    def receive(self, user: User, transfer_id: int) -> Any:
        return self.call(user, "post", f"/api/transfers/{transfer_id}/receive")


class SplitAcrossTheProvinceTest(LandApiWorld):
    def test_a_quy_nhon_plot_received_at_pleiku_goes_to_its_branch_and_back(self) -> None:
        # Dũng files at Pleiku; the plot is in Quy Nhơn: the Quy Nhơn branch decides.
        dossier = self.receive_at_counter(SPLIT, SPLIT_FORM)
        dossier_id = dossier["id"]
        assert dossier["state"] == "accepted"
        assert dossier["center"] == agency_ref(f"ttpvhcc-{PLEIKU}")
        assert dossier["competent_agency"] == agency_ref("cn-vpdkdd-quy-nhon")
        assert dossier["holder"] == agency_ref(f"ttpvhcc-{PLEIKU}")
        due = due_after(THURSDAY_9AM, 12)
        assert due == "2026-12-08T17:00:00+07:00"  # 24 November is a holiday
        assert dossier["due_at"] == due
        assert dossier["first_appointment_at"] is None
        assert (dossier["transfers"], dossier["substeps"]) == ([], [])
        assert dossier["allowed_actions"] == []

        # Bình posts the paper file to the branch with a transfer slip.
        sent = self.ok(
            self.send(self.receiver, dossier_id, means="postal", items=["Đơn Mẫu số 21"]), 201
        )
        assert re.fullmatch(r"PC-H52\.23575\.01-2026-\d{5}", sent["slip_number"])
        assert {k: sent[k] for k in ("purpose", "means", "means_label", "items")} == {
            "purpose": "file",
            "means": "postal",
            "means_label": "Bưu chính công ích",
            "items": ["Đơn Mẫu số 21"],
        }
        assert sent["from_agency"] == agency_ref(f"ttpvhcc-{PLEIKU}")
        assert sent["to_agency"] == agency_ref("cn-vpdkdd-quy-nhon")
        assert (sent["sent_at"], sent["received_at"], sent["received_by"]) == (
            iso(THURSDAY_9AM),
            None,
            None,
        )
        assert sent["sent_by"]["username"] == "tn.phuongpleiku"
        assert self.desk(self.receiver, dossier_id)["holder"] is None
        slips = DossierFile.objects.filter(dossier_id=dossier_id, kind=FileKind.TRANSFER_SLIP)
        assert [f.original_name for f in slips] == [f"{sent['slip_number']}.pdf"]
        self.error(self.send(self.receiver, dossier_id, means="postal"), 403, "not_holder")

        # The next morning Lan receives it at the branch and takes it up.
        received_at = self.advance(days=1)
        got = self.ok(self.receive(self.lan, sent["id"]))
        assert (got["received_at"], got["received_by"]["username"]) == (
            iso(received_at),
            "cv.cn-vpdkdd-quy-nhon",
        )
        self.error(self.receive(self.lan, sent["id"]), 409, "already_received")
        self.ok(self.act(self.lan, dossier_id, "start_processing"))

        # Lan asks the Department whether the plot lies in a planned road; Sen answers in time.
        asked = self.ok(
            self.call(
                self.lan,
                "post",
                f"/api/dossiers/{dossier_id}/consultations",
                {
                    "agency": DEPARTMENT,
                    "question": "Thửa 125 có trong quy hoạch mở đường?",
                    "days": 2,
                },
            ),
            201,
        )
        assert asked["kind"] == "consultation"
        assert asked["agency"] == agency_ref(DEPARTMENT)
        assert asked["due_at"] == due_after(received_at, 2)  # Monday 23 November
        assert (asked["answer"], asked["answered_at"], asked["late"]) == ("", None, False)
        assert self.desk(self.sen, dossier_id)["code"] == dossier["code"]
        answered_at = self.advance(days=1)
        answer = self.ok(
            self.call(
                self.sen,
                "post",
                f"/api/consultations/{asked['id']}/answer",
                {"answer": "Không nằm trong quy hoạch."},
            )
        )
        assert (answer["answer"], answer["answered_at"], answer["late"]) == (
            "Không nằm trong quy hoạch.",
            iso(answered_at),
            False,
        )
        assert answer["answered_by"]["username"] == f"cv.{DEPARTMENT}"

        # Measuring takes longer: Huy apologises once and moves the appointment.
        moved = self.ok(
            self.act(
                self.huy, dossier_id, "reschedule", new_date="2026-12-11", reason="Đo đạc lại."
            )
        )
        assert moved["original_due_at"] == due
        assert moved["due_at"] == "2026-12-11T17:00:00+07:00"
        assert moved["rescheduled_at"] == iso(answered_at)
        apology = [f for f in moved["files"] if f["kind"] == "apology"]
        assert [f["name"] for f in apology] == [f"{dossier['code']}-xin-loi-hen-lai.pdf"]
        self.error(
            self.act(self.huy, dossier_id, "reschedule", new_date="2026-12-15", reason="Nữa."),
            409,
            "already_rescheduled",
        )

        # Lan proposes, Huy approves: the result must travel back before it is handed over.
        self.ok(self.act(self.lan, dossier_id, "submit_for_approval", note="Đủ điều kiện."))
        self.ok(self.act(self.huy, dossier_id, "approve"))
        self.error(self.act(self.receiver, dossier_id, "return_result"), 409, "result_not_here")
        back = self.ok(self.send(self.huy, dossier_id, means="courier"), 201)
        assert (back["purpose"], back["to_agency"]["slug"]) == ("result", f"ttpvhcc-{PLEIKU}")
        self.error(self.receive(self.thu, back["id"]), 404, "dossier_not_found")
        self.ok(self.receive(self.receiver, back["id"]))
        returned = self.ok(self.act(self.receiver, dossier_id, "return_result"))

        assert returned["state"] == "returned"
        assert returned["holder"] == agency_ref(f"ttpvhcc-{PLEIKU}")
        assert [(t["purpose"], t["received_by"]["username"]) for t in returned["transfers"]] == [
            ("file", "cv.cn-vpdkdd-quy-nhon"),
            ("result", "tn.phuongpleiku"),
        ]
        assert [(s["kind"], s["agency"]["slug"]) for s in returned["substeps"]] == [
            ("consultation", DEPARTMENT)
        ]

        # Dũng's own page says where the result is returned and shows the apology.
        page = Client().get(f"/ho-so/{Dossier.objects.get(pk=dossier_id).access_token}/")
        html = page.content.decode()
        assert (
            '<dt>Nơi trả kết quả</dt><dd class="return-place">'
            "Trung tâm Phục vụ hành chính công Phường Pleiku</dd>" in html
        )
        assert "Xin lỗi và hẹn lại ngày trả kết quả" in html
        assert f"<s>{datetime.fromisoformat(due):%H:%M %d/%m/%Y}</s>" in html
        assert "Tải Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)" in html
        assert "Kết quả được chuyển về nơi tiếp nhận" in html
        assert "Đo đạc lại." in html  # the apology's reason is addressed to him


class ChangeRegistrationTest(LandApiWorld):
    def test_the_tax_step_splits_the_time_into_two_appointments(self) -> None:
        dossier = self.receive_at_counter(CHANGE, CHANGE_FORM)
        dossier_id = dossier["id"]
        first = due_after(THURSDAY_9AM, 5)
        assert first == "2026-11-27T17:00:00+07:00"
        assert (dossier["due_at"], dossier["first_appointment_at"]) == (first, first)
        assert dossier["competent_agency"] == agency_ref("cn-vpdkdd-pleiku")
        transfer = self.ok(self.send(self.receiver, dossier_id, means="in_person"), 201)
        self.ok(self.receive(self.phuoc, transfer["id"]))
        processing = self.ok(self.act(self.phuoc, dossier_id, "start_processing"))
        assert "send_to_tax" in processing["allowed_actions"]

        # Phước sends the tax-information slip on Monday: the first appointment is kept.
        self.advance(days=4)
        self.error(
            self.act(self.phuoc, dossier_id, "send_to_tax", note=" "), 422, "required", "note"
        )
        self.error(
            self.act(self.ngoc, dossier_id, "send_to_tax", note="Phiếu 19."), 403, "wrong_role"
        )
        waiting = self.ok(
            self.act(self.phuoc, dossier_id, "send_to_tax", note="Phiếu chuyển thông tin số 19/PC.")
        )
        assert (waiting["state"], waiting["national_status"]) == ("awaiting_obligations", 6)
        assert waiting["first_appointment_at"] == first  # the promise stays
        assert waiting["allowed_actions"] == ["record_obligations_met"]
        [tax] = waiting["substeps"]
        assert {k: tax[k] for k in ("kind", "question", "due_at", "answered_at", "late")} == {
            "kind": "tax",
            "question": "Phiếu chuyển thông tin số 19/PC.",
            "due_at": None,
            "answered_at": None,
            "late": False,
        }
        assert tax["agency"] == agency_ref("thue-tinh-gia-lai")
        # The tax office sees the dossier it must assess; an outsider does not.
        assert self.desk(self.tai, dossier_id)["state"] == "awaiting_obligations"
        self.error(
            self.call(self.thu, "get", f"/api/dossiers/{dossier_id}"), 404, "dossier_not_found"
        )

        # Dũng pays; ten days later the proof arrives: the second appointment counts from now.
        proof_at = self.advance(days=10)
        self.error(
            self.act(self.tai, dossier_id, "record_obligations_met", note="Đã nộp."),
            403,
            "wrong_role",
        )
        met = self.ok(
            self.act(self.phuoc, dossier_id, "record_obligations_met", note="Chứng từ số 0012345.")
        )
        second = due_after(proof_at, 3)
        assert (met["state"], met["due_at"]) == ("processing", second)
        assert met["first_appointment_at"] == first
        assert (met["substeps"][0]["answered_at"], met["substeps"][0]["answer"]) == (
            iso(proof_at),
            "Chứng từ số 0012345.",
        )

        # The citizen's page shows both appointments.
        token = Dossier.objects.get(pk=dossier_id).access_token
        html = Client().get(f"/ho-so/{token}/").content.decode()
        first_shown = datetime.fromisoformat(first).strftime("%H:%M %d/%m/%Y")
        second_shown = datetime.fromisoformat(second).strftime("%H:%M %d/%m/%Y")
        assert f'<dd class="appointment-1">{first_shown}' in html
        assert (
            f'<dd class="appointment-2"><span class="appointment">{second_shown}</span></dd>'
            in html
        )
        assert "Đã nhận chứng từ hoàn thành nghĩa vụ tài chính" in html

    def test_a_split_has_no_tax_step_and_reschedule_needs_its_date(self) -> None:
        dossier_id = self.receive_at_counter(SPLIT, SPLIT_FORM)["id"]
        transfer = self.ok(self.send(self.receiver, dossier_id, means="in_person"), 201)
        self.ok(self.receive(self.lan, transfer["id"]))
        self.ok(self.act(self.lan, dossier_id, "start_processing"))

        self.error(
            self.act(self.lan, dossier_id, "send_to_tax", note="Phiếu 19."), 409, "no_tax_step"
        )
        self.error(
            self.act(self.huy, dossier_id, "reschedule", reason="Chậm."),
            422,
            "required",
            "new_date",
        )
        self.error(
            self.act(self.huy, dossier_id, "reschedule", new_date="2026-12-01", reason="Chậm."),
            422,
            "new_date",
            "new_date",
        )
        self.error(
            self.act(self.huy, dossier_id, "reschedule", new_date="tháng sau", reason="Chậm."),
            422,
            "invalid",
        )
        self.error(
            self.act(self.lan, dossier_id, "reschedule", new_date="2026-12-11", reason="Chậm."),
            403,
            "wrong_role",
        )
        assert Dossier.objects.get(pk=dossier_id).rescheduled_at is None


class CustodyAndConsultationInputTest(LandApiWorld):
    def test_bad_transfers(self) -> None:
        dossier_id = self.receive_at_counter(SPLIT, SPLIT_FORM)["id"]

        response = self.send(self.receiver, dossier_id, means="bo-cau")
        assert response.status_code == 422
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("means", "choice")]
        self.error(self.send(self.thu, dossier_id, means="postal"), 404, "dossier_not_found")
        self.error(self.send(self.lan, dossier_id, means="postal"), 403, "not_holder")
        self.error(self.receive(self.lan, 999999), 404, "dossier_not_found")
        sent = self.ok(self.send(self.receiver, dossier_id, means="postal"), 201)
        self.error(self.receive(self.receiver, sent["id"]), 404, "dossier_not_found")
        self.error(self.receive(self.thu, sent["id"]), 404, "dossier_not_found")
        assert Dossier.objects.get(pk=dossier_id).holder is None

    def test_bad_consultations(self) -> None:
        dossier_id = self.receive_at_counter(SPLIT, SPLIT_FORM)["id"]
        sent = self.ok(self.send(self.receiver, dossier_id, means="postal"), 201)
        self.ok(self.receive(self.lan, sent["id"]))
        self.ok(self.act(self.lan, dossier_id, "start_processing"))
        path = f"/api/dossiers/{dossier_id}/consultations"

        def ask(user: User, **body: Any) -> Any:
            return self.call(
                user, "post", path, {"agency": DEPARTMENT, "question": "?", "days": 3, **body}
            )

        self.error(ask(self.lan, agency="khong-co"), 422, "unknown_agency", "agency")
        self.error(ask(self.lan, agency=f"ttpvhcc-{PLEIKU}"), 422, "unknown_agency", "agency")
        self.error(ask(self.lan, agency="cn-vpdkdd-quy-nhon"), 422, "agency", "agency")
        self.error(ask(self.lan, days=0), 422, "days", "days")
        self.error(ask(self.lan, question="  "), 422, "required", "question")
        self.error(ask(self.huy), 403, "wrong_role")
        self.error(ask(self.thu), 404, "dossier_not_found")
        asked = self.ok(ask(self.lan), 201)
        answer = f"/api/consultations/{asked['id']}/answer"
        self.error(
            self.call(self.lan, "post", answer, {"answer": "Tự trả lời."}), 404, "substep_not_found"
        )
        self.error(self.call(self.sen, "post", answer, {"answer": ""}), 422, "required", "answer")
        self.advance(days=7)  # Thursday 26th: past the three working days (24th a holiday)
        late = self.ok(self.call(self.sen, "post", answer, {"answer": "Đồng ý."}))
        assert late["late"] is True
        self.error(
            self.call(self.sen, "post", answer, {"answer": "Lần nữa."}), 409, "already_answered"
        )


class OpenApiLandTest(LandApiWorld):
    def test_the_document_lists_the_land_endpoints(self) -> None:
        document = json.loads(self.client.get("/api/openapi.json").content)

        assert set(document["paths"]) >= {
            "/api/dossiers/{dossier_id}/transfers",
            "/api/transfers/{transfer_id}/receive",
            "/api/dossiers/{dossier_id}/consultations",
            "/api/consultations/{substep_id}/answer",
        }
        action = document["paths"]["/api/dossiers/{dossier_id}/actions/{action}"]["post"]
        assert "send_to_tax" in action["description"]
        assert "reschedule" in action["description"]
        schemas = document["components"]["schemas"]
        assert {"holder", "first_appointment_at", "original_due_at", "rescheduled_at"} <= set(
            schemas["OfficerDossierOut"]["properties"]
        )
        assert "new_date" in schemas["ActionIn"]["properties"]


class DeskQueriesTest(LandApiWorld):
    def test_the_desk_costs_nine_queries_whatever_the_transfers_and_sub_steps(self) -> None:
        dossier_id = self.receive_at_counter(SPLIT, SPLIT_FORM)["id"]
        path = f"/api/dossiers/{dossier_id}"

        # The key, the units, the dossier with its procedure, agencies, holder, assignee and
        # invoice; the invoice lines, files, supplement requests, events, transfers, sub-steps.
        with self.assertNumQueries(9):
            self.ok(self.call(self.receiver, "get", path))
        sent = self.ok(self.send(self.receiver, dossier_id, means="postal"), 201)
        self.ok(self.receive(self.lan, sent["id"]))
        self.ok(self.act(self.lan, dossier_id, "start_processing"))
        for question in ("Quy hoạch?", "Tranh chấp?"):
            body = {"agency": DEPARTMENT, "question": question, "days": 3}
            self.ok(self.call(self.lan, "post", f"{path}/consultations", body), 201)
        with self.assertNumQueries(9):
            desk = self.ok(self.call(self.receiver, "get", path))
        assert (len(desk["transfers"]), len(desk["substeps"])) == (1, 2)


class WorklistLandTest(LandApiWorld):
    def tab(self, user: User, name: str) -> list[int]:
        response = self.call(user, "get", f"/api/worklist?tab={name}")
        return [item["id"] for item in self.ok(response)["items"]]

    def test_each_unit_finds_what_waits_for_it(self) -> None:
        split = self.receive_at_counter(SPLIT, SPLIT_FORM)["id"]
        change = self.receive_at_counter(CHANGE, CHANGE_FORM)["id"]
        to_quy_nhon = self.ok(self.send(self.receiver, split, means="postal"), 201)
        to_pleiku = self.ok(self.send(self.receiver, change, means="in_person"), 201)

        assert self.tab(self.lan, "incoming") == [split]
        assert self.tab(self.phuoc, "incoming") == [change]
        self.ok(self.receive(self.lan, to_quy_nhon["id"]))
        self.ok(self.receive(self.phuoc, to_pleiku["id"]))
        assert self.tab(self.lan, "incoming") == []

        self.ok(self.act(self.lan, split, "start_processing"))
        body = {"agency": DEPARTMENT, "question": "Quy hoạch?", "days": 3}
        self.ok(self.call(self.lan, "post", f"/api/dossiers/{split}/consultations", body), 201)
        self.ok(self.act(self.phuoc, change, "start_processing"))
        self.ok(self.act(self.phuoc, change, "send_to_tax", note="Phiếu 19."))
        assert self.tab(self.sen, "asked") == [split]
        assert self.tab(self.tai, "asked") == [change]
        assert self.tab(self.phuoc, "awaiting_obligations") == [change]

        # Three weeks on, the split is late; the change registration waits for its taxes,
        # whose time is not counted.
        self.advance(days=21)
        assert self.tab(self.receiver, "overdue") == [split]
        assert self.tab(self.ngoc, "overdue") == []

        self.ok(self.act(self.lan, split, "submit_for_approval", note="Đủ điều kiện."))
        self.ok(self.act(self.huy, split, "approve"))
        assert self.tab(self.huy, "to_send_back") == [split]
        self.ok(self.send(self.huy, split, means="courier"), 201)
        assert self.tab(self.huy, "to_send_back") == []
        assert self.tab(self.receiver, "incoming") == [split]
        assert self.tab(self.thu, "incoming") == []

    def test_due_soon_and_the_worklist_cost(self) -> None:
        split = self.receive_at_counter(SPLIT, SPLIT_FORM)["id"]  # due 17:00 on 8 December
        self.advance(days=18, hours=9)  # Monday 7 December, 18:00: 23 hours before

        assert self.tab(self.receiver, "due_soon") == [split]
        with self.settings(MOTCUA_DUE_SOON_HOURS=12):
            assert self.tab(self.receiver, "due_soon") == []
        # The key and its officer, the officer's units, the count, the page.
        with self.assertNumQueries(4):
            self.call(self.receiver, "get", "/api/worklist?tab=incoming")
