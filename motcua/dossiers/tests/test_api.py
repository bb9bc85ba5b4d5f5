"""The dossier API, driven over HTTP as the national-portal connector, the drill and the
officers' clients drive it.

The cast, at Phường Pleiku (ward 23575) unless said otherwise:

- Nguyễn Văn An, a citizen, asks online for two copies of his birth extract (16,000 VND);
- Trần Văn Bình (tn.phuongpleiku), receiving officer at the ward's service center;
- Phạm Thị Lan (cv.phuongpleiku), specialist of the ward People's Committee;
- Lê Thị Mai (ld.phuongpleiku), vice-chair of the committee, who approves;
- Võ Thị Thu (tn.phuongquynhon), receiving officer of Phường Quy Nhơn: the outsider.

Each officer calls the API with their own bearer key. The clock stands at 09:00 on Wednesday
2 December 2026 (Vietnam time): a same-day civil-status copy received then is due at 17:00.
"""

from __future__ import annotations

import base64
import json
import tempfile
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from motcua.catalog.loader import load_catalog
from motcua.catalog.models import Procedure
from motcua.core import clock
from motcua.core.models import AuditEntry
from motcua.dossiers.models import Dossier, DossierEvent, DossierFile
from motcua.org.models import Agency, ApiToken, Role, User
from motcua.org.services import add_staff, issue_api_token, load_units
from motcua.payments.models import Invoice

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
WEDNESDAY_9AM = datetime(2026, 12, 2, 9, 0, tzinfo=HCM)
PLEIKU, QUY_NHON = 23575, 21583
CENTER_CODE = "H52.23575.01"

AN_FORM = {
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
TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


class ApiWorld(TestCase):
    """Units, the catalog and the cast, built once per class; the clock stands still."""

    receiver: User
    specialist: User
    leader: User
    outsider: User
    keys: dict[str, str]

    @classmethod
    def setUpClass(cls) -> None:
        cls.now = WEDNESDAY_9AM
        patcher = mock.patch("motcua.core.clock.now", lambda: cls.now)
        patcher.start()
        cls.addClassCleanup(patcher.stop)
        media = tempfile.TemporaryDirectory(prefix="motcua-api-")
        cls.addClassCleanup(media.cleanup)
        cls.enterClassContext(override_settings(MEDIA_ROOT=media.name, LANGUAGE_CODE="vi"))
        super().setUpClass()

    @classmethod
    def setUpTestData(cls) -> None:
        # The suite's conftest loads both once per test database; a run without it loads here.
        if not Agency.objects.filter(slug=f"ttpvhcc-{PLEIKU}").exists():
            load_units()
        if not Procedure.objects.filter(code="2.000635").exists():
            load_catalog()
        center = Agency.objects.get(slug=f"ttpvhcc-{PLEIKU}")
        committee = Agency.objects.get(slug=f"ubnd-{PLEIKU}")
        other_center = Agency.objects.get(slug=f"ttpvhcc-{QUY_NHON}")

        def staff(username: str, full_name: str, agency: Agency, role: str) -> User:
            return add_staff(
                username=username,
                full_name=full_name,
                agency=agency,
                role=role,
                password_hash="!",  # bearer keys only: nobody signs in with a password here
            )

        cls.center = center
        cls.receiver = staff("tn.phuongpleiku", "Trần Văn Bình", center, Role.RECEIVER)
        cls.specialist = staff("cv.phuongpleiku", "Phạm Thị Lan", committee, Role.SPECIALIST)
        cls.leader = staff("ld.phuongpleiku", "Lê Thị Mai", committee, Role.LEADER)
        cls.outsider = staff("tn.phuongquynhon", "Võ Thị Thu", other_center, Role.RECEIVER)
        cls.keys = {
            user.username: issue_api_token(user, "kiem-thu")
            for user in (cls.receiver, cls.specialist, cls.leader, cls.outsider)
        }
        # Keys used a moment ago: calls in the tests do not write last_used_at again.
        ApiToken.objects.update(last_used_at=WEDNESDAY_9AM)

    def setUp(self) -> None:
        type(self).now = WEDNESDAY_9AM

    # --- calling the API -----------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        as_user: User | None = None,
        headers: dict[str, str] | None = None,
        client: Client | None = None,
    ) -> Any:
        extra = dict(headers or {})
        if as_user is not None:
            extra["Authorization"] = f"Bearer {self.keys[as_user.username]}"
        client = client or self.client
        if method == "get":
            return client.get(path, body, headers=extra)
        data = body if isinstance(body, str | bytes) else json.dumps(body or {})
        return client.post(path, data, content_type="application/json", headers=extra)

    def submit(self, **form: Any) -> dict[str, Any]:
        body = {"procedure": "2.000635", "center": "ttpvhcc-23575", "form": {**AN_FORM, **form}}
        response = self.call("post", "/api/dossiers", body)
        assert response.status_code == 201, response.content
        data: dict[str, Any] = response.json()
        return data

    def act(self, user: User, dossier_id: int, action: str, **body: Any) -> Any:
        return self.call("post", f"/api/dossiers/{dossier_id}/actions/{action}", body, as_user=user)

    def accepted(self) -> dict[str, Any]:
        """Filed online, received, fee paid in cash: waiting for a specialist."""
        submitted = self.submit()
        self.act(self.receiver, submitted["id"], "accept")
        self.act(self.receiver, submitted["id"], "record_cash_payment")
        return submitted

    def assert_error(
        self, response: Any, status: int, code: str, field: str | None = None
    ) -> dict[str, Any]:
        assert response.status_code == status, response.content
        body: dict[str, Any] = response.json()
        assert body["code"] == code, body
        assert body.get("field") == field, body
        assert body["message"]
        return body


class LifecycleTest(ApiWorld):
    def test_an_online_dossier_goes_from_submission_to_returned_result(self) -> None:
        # An submits online at the Pleiku center.
        response = self.call(
            "post",
            "/api/dossiers",
            {"procedure": "2.000635", "center": "ttpvhcc-23575", "form": AN_FORM},
            headers={"Idempotency-Key": "an-2026-12-02-001"},
        )
        assert response.status_code == 201
        submitted = response.json()
        dossier_id, code = submitted["id"], submitted["code"]
        assert code == f"{CENTER_CODE}-261202-0001"
        assert submitted["state"] == "submitted"
        assert submitted["national_status"] == 1
        assert len(submitted["access_token"]) >= 32
        assert submitted["invoice"] == {
            "amount": 16000,
            "status": "unpaid",
            "paid_at": None,
            "receipt_number": None,
            "lines": [
                {
                    "key": "phi_khai_thac_ho_tich",
                    "name": "Phí khai thác, sử dụng thông tin trong cơ sở dữ liệu hộ tịch",
                    "unit_amount": 8000,
                    "quantity": 2,
                    "amount": 16000,
                    "is_example": False,
                }
            ],
        }

        # Bình finds it among the new dossiers and receives it: the fee holds it.
        new = self.call("get", "/api/worklist", {"tab": "new"}, as_user=self.receiver).json()
        assert new["count"] == 1
        assert [item["code"] for item in new["items"]] == [code]
        desk = self.call("get", f"/api/dossiers/{dossier_id}", as_user=self.receiver).json()
        assert desk["allowed_actions"] == [
            "accept",
            "refuse",
            "request_supplement",
            "record_cash_payment",
        ]
        held = self.act(self.receiver, dossier_id, "accept").json()
        assert (held["state"], held["national_status"]) == ("awaiting_payment", 6)

        # An pays 16,000 VND in cash at the counter: reception completes, the clock starts.
        received = self.act(self.receiver, dossier_id, "record_cash_payment").json()
        assert received["state"] == "accepted"
        assert received["invoice"]["status"] == "paid"
        assert received["invoice"]["receipt_number"].startswith("BL-")
        assert received["received_at"] == "2026-12-02T09:00:00+07:00"
        assert received["due_at"] == "2026-12-02T17:00:00+07:00"
        assert [f["kind"] for f in received["files"]] == ["receipt_slip"]

        # Lan takes it, checks the register and proposes; Mai approves.
        queue = self.call("get", "/api/worklist", {"tab": "to_process"}, as_user=self.specialist)
        assert [item["id"] for item in queue.json()["items"]] == [dossier_id]
        taken = self.act(self.specialist, dossier_id, "start_processing").json()
        assert taken["assignee"]["username"] == "cv.phuongpleiku"
        proposed = self.act(
            self.specialist, dossier_id, "submit_for_approval", note="Đã đối chiếu sổ, khớp."
        ).json()
        assert proposed["state"] == "awaiting_approval"
        assert self.call("get", f"/api/dossiers/{dossier_id}", as_user=self.leader).json()[
            "allowed_actions"
        ] == ["send_back", "approve", "stop"]
        approved = self.act(self.leader, dossier_id, "approve").json()
        assert (approved["state"], approved["national_status"]) == ("approved", 9)
        assert [f["kind"] for f in approved["files"]] == ["receipt_slip", "result", "result"]

        # Bình hands the two copies over.
        returned = self.act(self.receiver, dossier_id, "return_result").json()
        assert (returned["state"], returned["national_status"]) == ("returned", 10)
        assert returned["returned_at"] == "2026-12-02T09:00:00+07:00"
        assert returned["allowed_actions"] == []

        # Anyone can follow it by its code; An reads his own dossier and downloads a copy.
        tracked = self.call("get", f"/api/dossiers/track/{code}").json()
        assert [(e["action"], e["state"]) for e in tracked["timeline"]] == [
            ("submit", "submitted"),
            ("accept", "awaiting_payment"),
            ("settle_payment", "accepted"),
            ("start_processing", "processing"),
            ("submit_for_approval", "awaiting_approval"),
            ("approve", "approved"),
            ("return_result", "returned"),
        ]
        token = {"X-Dossier-Token": submitted["access_token"]}
        own = self.call("get", "/api/dossiers/by-token", headers=token).json()
        assert own["state"] == "returned"
        assert own["applicant"]["name"] == "Nguyễn Văn An"
        result = next(f for f in own["files"] if f["kind"] == "result")
        download = self.call("get", f"/api/dossiers/by-token/files/{result['id']}", headers=token)
        assert download.status_code == 200
        assert download["Content-Type"] == "application/pdf"
        assert b"".join(download.streaming_content).startswith(b"%PDF")

        # Every step is attributed to the officer whose key made it, through the API.
        events = DossierEvent.objects.filter(dossier_id=dossier_id).order_by("at", "pk")
        assert [(e.action, e.actor_label) for e in events] == [
            ("submit", "applicant"),
            ("accept", f"user:{self.receiver.pk}"),
            ("settle_payment", "system"),
            ("start_processing", f"user:{self.specialist.pk}"),
            ("submit_for_approval", f"user:{self.specialist.pk}"),
            ("approve", f"user:{self.leader.pk}"),
            ("return_result", f"user:{self.receiver.pk}"),
        ]
        audit = AuditEntry.objects.filter(object_type="dossiers.dossier", object_id=str(dossier_id))
        assert {entry.channel for entry in audit} == {"api"}

    def test_the_applicant_supplements_when_asked_then_withdraws(self) -> None:
        submitted = self.submit()
        token = {"X-Dossier-Token": submitted["access_token"]}
        asked = self.act(
            self.receiver,
            submitted["id"],
            "request_supplement",
            reason="Thiếu bản chụp căn cước.",
            items=["Bản chụp thẻ căn cước của người yêu cầu"],
        )
        assert asked.json()["state"] == "supplement_requested"

        own = self.call("get", "/api/dossiers/by-token", headers=token).json()
        assert own["supplement_requests"][0]["items"] == ["Bản chụp thẻ căn cước của người yêu cầu"]
        assert own["timeline"][-1]["note"] == "Thiếu bản chụp căn cước."
        sent = self.call(
            "post",
            "/api/dossiers/by-token/supplement",
            {
                "note": "Gửi bổ sung căn cước.",
                "attachments": [
                    {
                        "name": "cccd.pdf",
                        "component": "identity_document",
                        "content_base64": b64(TINY_PDF),
                    }
                ],
            },
            headers=token,
        )
        assert sent.status_code == 200
        assert sent.json()["state"] == "submitted"
        files = [(f["kind"], f["name"], f["component"]) for f in sent.json()["files"]]
        code = asked.json()["code"]
        # The request itself (Mẫu 02) is among the dossier's documents, then the file sent.
        assert files == [
            ("supplement_notice", f"{code}-yeu-cau-bo-sung-1.pdf", ""),
            ("attachment", "cccd.pdf", "identity_document"),
        ]

        withdrawn = self.call(
            "post",
            "/api/dossiers/by-token/withdraw",
            {"reason": "Đã có bản sao khác."},
            headers=token,
        )
        assert (withdrawn.json()["state"], withdrawn.json()["national_status"]) == ("withdrawn", 7)
        assert withdrawn.json()["decision_note"] == "Đã có bản sao khác."

    def test_a_receiver_registers_a_dossier_at_the_counter(self) -> None:
        response = self.call(
            "post",
            "/api/dossiers/counter",
            {"procedure": "2.000635", "form": {**AN_FORM, "copies": "1"}},
            as_user=self.receiver,
        )
        assert response.status_code == 201
        dossier = response.json()
        assert (dossier["state"], dossier["channel"]) == ("awaiting_payment", 1)
        assert dossier["center"]["slug"] == "ttpvhcc-23575"
        assert dossier["invoice"]["amount"] == 8000
        assert "record_cash_payment" in dossier["allowed_actions"]

    def test_a_leader_assigns_and_a_specialist_is_sent_back(self) -> None:
        dossier_id = self.accepted()["id"]
        assigned = self.act(self.leader, dossier_id, "assign", assignee=self.specialist.pk)
        assert assigned.json()["assignee"]["id"] == self.specialist.pk
        self.act(self.specialist, dossier_id, "submit_for_approval", note="Đề xuất cấp.")
        back = self.act(self.leader, dossier_id, "send_back", reason="Ghi rõ số sổ.")
        assert back.json()["state"] == "processing"
        stopped = self.act(self.leader, dossier_id, "stop", reason="Không có dữ liệu gốc.")
        assert (stopped.json()["state"], stopped.json()["national_status"]) == ("stopped", 8)


class IdempotencyTest(ApiWorld):
    def test_a_repeated_submission_returns_the_first_dossier(self) -> None:
        body = {"procedure": "2.000635", "center": self.center.pk, "form": AN_FORM}
        key = {"Idempotency-Key": "5f0c9a8e-portal-retry"}
        first = self.call("post", "/api/dossiers", body, headers=key)
        again = self.call("post", "/api/dossiers", body, headers=key)

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert Dossier.objects.count() == 1
        assert Invoice.objects.count() == 1

    def test_a_key_longer_than_64_characters_is_refused(self) -> None:
        body = {"procedure": "2.000635", "center": "ttpvhcc-23575", "form": AN_FORM}
        response = self.call("post", "/api/dossiers", body, headers={"Idempotency-Key": "k" * 65})
        self.assert_error(response, 422, "idempotency_key", "Idempotency-Key")
        assert Dossier.objects.count() == 0


class BadSubmissionTest(ApiWorld):
    """Every bad input names its field and rule, and leaves nothing behind."""

    def post(self, body: Any) -> Any:
        return self.call("post", "/api/dossiers", body)

    def assert_nothing_written(self) -> None:
        assert Dossier.objects.count() == 0
        assert DossierFile.objects.count() == 0
        assert Invoice.objects.count() == 0

    def test_missing_fields(self) -> None:
        body = self.assert_error(self.post({"form": AN_FORM}), 422, "invalid")
        assert [(e["field"], e["code"]) for e in body["errors"]] == [
            ("procedure", "required"),
            ("center", "required"),
        ]
        assert body["errors"][0]["message"] == "“procedure” là bắt buộc."
        self.assert_nothing_written()

    def test_form_of_the_wrong_type(self) -> None:
        body = {"procedure": "2.000635", "center": "ttpvhcc-23575", "form": ["An"]}
        errors = self.assert_error(self.post(body), 422, "invalid")["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("form", "type")]
        self.assert_nothing_written()

    def test_unknown_procedure(self) -> None:
        body = {"procedure": "9.999999", "center": "ttpvhcc-23575", "form": AN_FORM}
        error = self.assert_error(self.post(body), 404, "unknown_procedure", "procedure")
        assert error["message"] == "Không có thủ tục mã “9.999999”."
        self.assert_nothing_written()

    def test_center_outside_the_province(self) -> None:
        body = {"procedure": "2.000635", "center": "ttpvhcc-00004", "form": AN_FORM}
        self.assert_error(self.post(body), 422, "unknown_center", "center")
        self.assert_nothing_written()

    def test_e_form_errors_name_each_field(self) -> None:
        form = {**AN_FORM, "requester_phone": "12345", "copies": "0", "requester_name": ""}
        body = {"procedure": "2.000635", "center": "ttpvhcc-23575", "form": form}
        errors = self.assert_error(self.post(body), 422, "invalid")["errors"]
        assert sorted((e["field"], e["code"]) for e in errors) == [
            ("form.copies", "integer_range"),
            ("form.requester_name", "required"),
            ("form.requester_phone", "phone_format"),
        ]
        self.assert_nothing_written()

    def test_a_schema_error_does_not_hide_the_e_form_errors(self) -> None:
        # A center of the wrong type and a missing attachment name, and an e-form with two
        # faults: all four in one answer (the e-form is checked although the schema failed).
        form = {**AN_FORM, "requester_phone": "12345", "requester_name": ""}
        body = {
            "procedure": "2.000635",
            "center": ["ttpvhcc-23575"],
            "form": form,
            "attachments": [{"content_base64": b64(TINY_PDF)}],
        }
        errors = self.assert_error(self.post(body), 422, "invalid")["errors"]
        assert sorted((e["field"], e["code"]) for e in errors) == [
            ("attachments[0].name", "required"),
            ("center", "type"),
            ("form.requester_name", "required"),
            ("form.requester_phone", "phone_format"),
        ]
        # The rule in words: the union int | str names both of its types, in both languages.
        [center] = [e for e in errors if e["field"] == "center"]
        assert center["message"] == "“center” phải là một số nguyên hoặc một chuỗi ký tự."
        english = self.client.post(
            "/api/dossiers", data=json.dumps(body), content_type="application/json",
            headers={"Accept-Language": "en"},
        )  # fmt: skip
        [center] = [e for e in english.json()["errors"] if e["field"] == "center"]
        assert center["message"] == "“center” must be an integer or a string."
        # Without a known procedure there is no e-form to check it against.
        unknown = {**body, "procedure": "9.999999"}
        errors = self.assert_error(self.post(unknown), 422, "invalid")["errors"]
        assert sorted(e["field"] for e in errors) == ["attachments[0].name", "center"]
        self.assert_nothing_written()

    def test_attachment_that_is_not_base64(self) -> None:
        attachments = [
            {"name": "cccd.pdf", "content_base64": b64(TINY_PDF)},
            {"name": "giay-uy-quyen.pdf", "content_base64": "không phải base64!"},
        ]
        body = {
            "procedure": "2.000635",
            "center": "ttpvhcc-23575",
            "form": AN_FORM,
            "attachments": attachments,
        }
        errors = self.assert_error(self.post(body), 422, "invalid")["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("attachments[1]", "base64")]
        assert errors[0]["message"] == "Tệp “giay-uy-quyen.pdf”: nội dung không phải base64 hợp lệ."
        self.assert_nothing_written()

    def test_attachment_that_is_not_a_pdf_or_image(self) -> None:
        body = {
            "procedure": "2.000635",
            "center": "ttpvhcc-23575",
            "form": AN_FORM,
            "attachments": [{"name": "cccd.pdf.exe", "content_base64": b64(EXE_BYTES)}],
        }
        errors = self.assert_error(self.post(body), 422, "invalid")["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("attachments[0]", "file_type")]
        self.assert_nothing_written()

    def test_attachment_without_a_name(self) -> None:
        body = {
            "procedure": "2.000635",
            "center": "ttpvhcc-23575",
            "form": AN_FORM,
            "attachments": [{"content_base64": b64(TINY_PDF)}],
        }
        errors = self.assert_error(self.post(body), 422, "invalid")["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("attachments[0].name", "required")]
        self.assert_nothing_written()

    def test_body_that_is_not_json(self) -> None:
        self.assert_error(self.post("{procedure: 2.000635"), 400, "malformed_json", "body")
        # No body at all: the body is what is missing (not the handler's parameter's name).
        missing = self.assert_error(self.post(""), 422, "invalid")
        assert [(e["field"], e["code"]) for e in missing["errors"]] == [("body", "required")]
        self.assert_nothing_written()

    def test_a_json_body_that_is_not_an_object(self) -> None:
        for body in ("[]", '[{"procedure": "2.000635"}]', "5", '"2.000635"', "null"):
            error = self.assert_error(self.post(body), 422, "not_an_object", "body")
            assert error["message"] == (
                'Nội dung yêu cầu phải là một đối tượng JSON, dạng {"tên trường": giá trị, …}.'
            )
            assert "errors" not in error
        english = self.client.post(
            "/api/dossiers", data="[]", content_type="application/json",
            headers={"Accept-Language": "en"},
        )  # fmt: skip
        assert english.json()["message"] == (
            'The request body must be a JSON object, {"field name": value, …}.'
        )
        self.assert_nothing_written()


class OfficerAccessTest(ApiWorld):
    def test_an_outsider_neither_sees_nor_acts_on_a_pleiku_dossier(self) -> None:
        submitted = self.submit()
        dossier_id = submitted["id"]

        response = self.call("get", f"/api/dossiers/{dossier_id}", as_user=self.outsider)
        self.assert_error(response, 404, "dossier_not_found")
        for action, body in [
            ("accept", {}),
            ("refuse", {"reason": "Không thuộc thẩm quyền."}),
            ("record_cash_payment", {}),
        ]:
            response = self.act(self.outsider, dossier_id, action, **body)
            self.assert_error(response, 404, "dossier_not_found")
        worklist = self.call("get", "/api/worklist", as_user=self.outsider).json()
        assert worklist == {"items": [], "count": 0}
        assert Dossier.objects.get(pk=dossier_id).state == "submitted"

    def test_the_wrong_role_is_forbidden(self) -> None:
        dossier_id = self.submit()["id"]
        self.assert_error(self.act(self.specialist, dossier_id, "accept"), 403, "wrong_role")
        self.assert_error(self.act(self.leader, dossier_id, "accept"), 403, "wrong_role")
        self.assert_error(
            self.act(self.specialist, dossier_id, "record_cash_payment"), 403, "wrong_role"
        )
        assert Dossier.objects.get(pk=dossier_id).state == "submitted"

    def test_an_action_the_state_does_not_allow_is_a_conflict(self) -> None:
        dossier_id = self.submit()["id"]
        response = self.act(self.receiver, dossier_id, "return_result")
        body = self.assert_error(response, 409, "invalid_transition")
        assert (
            body["message"] == "Không thể “Trả kết quả” khi hồ sơ đang ở trạng thái “Mới đăng ký”."
        )

    def test_a_refusal_needs_a_reason(self) -> None:
        dossier_id = self.submit()["id"]
        self.assert_error(self.act(self.receiver, dossier_id, "refuse"), 422, "required", "reason")
        assert Dossier.objects.get(pk=dossier_id).state == "submitted"
        assert DossierEvent.objects.filter(dossier_id=dossier_id).count() == 1

    def test_an_action_without_a_body(self) -> None:
        dossier_id = self.submit()["id"]
        response = self.client.post(
            f"/api/dossiers/{dossier_id}/actions/accept",
            "",
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.keys['tn.phuongpleiku']}"},
        )
        assert response.status_code == 200, response.content
        assert response.json()["state"] == "awaiting_payment"

    def test_the_desk_takes_nine_queries_whatever_the_history(self) -> None:
        dossier_id = self.accepted()["id"]
        # The key, the units, the dossier with its procedure, agencies, holder, assignee and
        # invoice; then the invoice lines, the files, the supplement requests, the events, the
        # transfers and the sub-steps.
        with self.assertNumQueries(9):
            desk = self.call("get", f"/api/dossiers/{dossier_id}", as_user=self.receiver)
        assert len(desk.json()["events"]) == 3
        self.act(self.specialist, dossier_id, "start_processing")
        self.act(self.specialist, dossier_id, "submit_for_approval", note="Đề xuất cấp.")
        with self.assertNumQueries(9):
            desk = self.call("get", f"/api/dossiers/{dossier_id}", as_user=self.receiver)
        assert len(desk.json()["events"]) == 5

    def test_an_unknown_action(self) -> None:
        dossier_id = self.submit()["id"]
        response = self.act(self.receiver, dossier_id, "publish")
        self.assert_error(response, 404, "unknown_action", "action")

    def test_no_key_or_a_bad_key(self) -> None:
        self.assert_error(self.call("get", "/api/worklist"), 401, "unauthenticated")
        bad = {"Authorization": "Bearer mct_not-a-key"}
        self.assert_error(self.call("get", "/api/worklist", headers=bad), 401, "invalid_token")
        self.receiver.is_active = False
        self.receiver.save()
        response = self.call("get", "/api/worklist", as_user=self.receiver)
        self.assert_error(response, 401, "invalid_token")

    def test_a_signed_in_browser_needs_the_csrf_token_to_act(self) -> None:
        dossier_id = self.submit()["id"]
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(self.receiver)

        listed = self.call("get", "/api/worklist", {"tab": "new"}, client=browser)
        assert listed.json()["count"] == 1
        response = self.call("post", f"/api/dossiers/{dossier_id}/actions/accept", client=browser)
        self.assert_error(response, 403, "csrf_failed")
        assert Dossier.objects.get(pk=dossier_id).state == "submitted"

    def test_the_applicant_token(self) -> None:
        self.submit()
        missing = self.call("get", "/api/dossiers/by-token")
        self.assert_error(missing, 401, "dossier_token_required")
        wrong = self.call("get", "/api/dossiers/by-token", headers={"X-Dossier-Token": "doan-mo"})
        self.assert_error(wrong, 404, "dossier_not_found")


class WorklistTest(ApiWorld):
    def test_due_today_then_overdue(self) -> None:
        dossier_id = self.accepted()["id"]
        self.submit()  # a second dossier, not yet received: no deadline

        def tab(name: str) -> list[int]:
            response = self.call("get", "/api/worklist", {"tab": name}, as_user=self.receiver)
            return [item["id"] for item in response.json()["items"]]

        assert tab("due_today") == [dossier_id]
        assert tab("overdue") == []
        type(self).now = WEDNESDAY_9AM + timedelta(hours=8, minutes=30)  # 17:30
        ApiToken.objects.update(last_used_at=clock.now())
        assert tab("due_today") == []
        assert tab("overdue") == [dossier_id]

    def test_an_unknown_tab(self) -> None:
        response = self.call("get", "/api/worklist", {"tab": "moi"}, as_user=self.receiver)
        errors = self.assert_error(response, 422, "invalid")["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("tab", "choice")]

    def test_the_worklist_takes_four_queries_whatever_its_length(self) -> None:
        for _ in range(3):
            self.submit()
        # The key and its officer, the officer's units, the count, the page.
        with self.assertNumQueries(4):
            response = self.call("get", "/api/worklist", {"tab": "new"}, as_user=self.receiver)
        assert response.json()["count"] == 3
        for _ in range(5):
            self.submit()
        with self.assertNumQueries(4):
            response = self.call(
                "get", "/api/worklist", {"page": 2, "page_size": 5}, as_user=self.receiver
            )
        assert response.json()["count"] == 8
        assert len(response.json()["items"]) == 3


class WorklistCountsTest(ApiWorld):
    def test_each_tab_counts_what_its_rows_list_in_one_query(self) -> None:
        accepted = self.accepted()["id"]
        for _ in range(2):
            self.submit()

        def rows(name: str) -> int:
            response = self.call("get", "/api/worklist", {"tab": name}, as_user=self.receiver)
            return int(response.json()["count"])

        # The key and its officer, the officer's units, then all the counts at once.
        with self.assertNumQueries(3):
            response = self.call("get", "/api/worklist/counts", as_user=self.receiver)
        counts = response.json()["counts"]
        assert counts["new"] == 2 and counts["due_today"] == 1
        assert {name: counts[name] for name in counts} == {name: rows(name) for name in counts}
        assert Dossier.objects.get(pk=accepted).state == "accepted"
        some = self.call(
            "get", "/api/worklist/counts", {"tabs": "new, to_return"}, as_user=self.receiver
        )
        assert some.json() == {"counts": {"new": 2, "to_return": 0}}

    def test_a_tab_of_a_state_is_counted_from_indexes(self) -> None:
        """SQLite (no statistics) counts a unit's tab through the unit's indexes, never by
        reading every dossier of the province: the badges are read before every action."""
        if connection.vendor != "sqlite":
            self.skipTest("the plan of SQLite's planner")
        self.submit()
        with CaptureQueriesContext(connection) as queries:
            self.call(
                "get", "/api/worklist/counts", {"tabs": "new,to_return"}, as_user=self.receiver
            )
        [counting] = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + counting)
            plan = [str(row[-1]) for row in cursor.fetchall()]
        assert not [step for step in plan if step.startswith("SCAN")], plan
        assert any("dossier_receiving_idx" in step for step in plan), plan

    def test_an_unknown_tab_is_named(self) -> None:
        response = self.call(
            "get", "/api/worklist/counts", {"tabs": "new,moi"}, as_user=self.receiver
        )
        error = self.assert_error(response, 422, "unknown_tab", "tabs")
        assert error["message"] == "Không có ngăn “moi” trong danh sách việc."

    def test_officers_only(self) -> None:
        self.assert_error(self.call("get", "/api/worklist/counts"), 401, "unauthenticated")


class TrackTest(ApiWorld):
    def test_the_public_status_holds_no_personal_data(self) -> None:
        submitted = self.submit()
        dossier_id = submitted["id"]
        self.act(
            self.receiver,
            dossier_id,
            "request_supplement",
            reason="Ông Nguyễn Văn An cần nộp bản chụp căn cước 064090001234.",
            items=["Căn cước của Nguyễn Văn An"],
        )

        response = self.call("get", f"/api/dossiers/track/{submitted['code']}")
        assert response.status_code == 200
        data = response.json()
        assert set(data) == {
            "code",
            "procedure",
            "center",
            "state",
            "state_label",
            "national_status",
            "submitted_at",
            "received_at",
            "due_at",
            "finished_at",
            "returned_at",
            "timeline",
        }
        assert data["procedure"] == {"code": "2.000635", "name": "Cấp bản sao trích lục hộ tịch"}
        assert data["center"] == "Trung tâm Phục vụ hành chính công Phường Pleiku"
        assert data["submitted_at"] == "2026-12-02T09:00:00+07:00"
        assert data["timeline"][-1] == {
            "at": "2026-12-02T09:00:00+07:00",
            "action": "request_supplement",
            "label": "Yêu cầu bổ sung hồ sơ",
            "state": "supplement_requested",
            "state_label": "Yêu cầu bổ sung hồ sơ",
        }
        text = response.content.decode()
        for secret in ("Nguyễn Văn An", "064090001234", "0905123456", "Tổ 1", "12/2020"):
            assert secret not in text
        assert submitted["access_token"] not in text

    def test_an_unknown_code(self) -> None:
        response = self.call("get", "/api/dossiers/track/H52.23575.01-261202-9999")
        self.assert_error(response, 404, "dossier_not_found")

    def test_tracking_takes_two_queries(self) -> None:
        dossier_id = self.accepted()["id"]
        code = Dossier.objects.get(pk=dossier_id).code
        with self.assertNumQueries(2):
            response = self.call("get", f"/api/dossiers/track/{code}")
        assert len(response.json()["timeline"]) == 3


class OpenApiTest(ApiWorld):
    def test_the_document_lists_every_endpoint(self) -> None:
        response = self.client.get("/api/openapi.json")
        assert response.status_code == 200
        document = json.loads(response.content)
        assert document["openapi"].startswith("3.")
        assert set(document["paths"]) >= {
            "/api/procedures",
            "/api/procedures/{code}",
            "/api/centers",
            "/api/deadlines/due",
            "/api/dossiers",
            "/api/dossiers/track/{code}",
            "/api/dossiers/by-token",
            "/api/dossiers/by-token/supplement",
            "/api/dossiers/by-token/withdraw",
            "/api/dossiers/by-token/files/{file_id}",
            "/api/worklist",
            "/api/dossiers/{dossier_id}",
            "/api/dossiers/{dossier_id}/files/{file_id}",
            "/api/dossiers/{dossier_id}/actions/{action}",
            "/api/dossiers/counter",
        }
        schemes = document["components"]["securitySchemes"]
        assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}

    def test_the_docs_page_loads_nothing_from_elsewhere(self) -> None:
        response = self.client.get("/api/docs")
        assert response.status_code == 200
        page = response.content.decode()
        assert "/static/ninja/swagger-ui-bundle.js" in page
        assert "cdn" not in page.lower()
        assert '"validatorUrl": null' in page
