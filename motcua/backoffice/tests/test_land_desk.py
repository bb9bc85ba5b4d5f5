"""The desk in the land flow: custody of the paper file, the tax step with its two appointments,
consultations, the one rescheduling, and due dates that explain themselves.

The cast is the land cast of ``conftest.py``: Dũng's split of his Quy Nhơn plot is received at
the Pleiku counter and decided by the Quy Nhơn branch; his change registration is decided by
the Pleiku branch. The clock stands at 09:00 on Wednesday 2 December 2026. Expected due times
are counted here, independently: working days are Monday to Friday that are not public
holidays of the ``holidays`` package (VN); N days end at 17:00 on the N-th working day after
the day of receipt.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import holidays
import pytest

from motcua.backoffice.tests.conftest import CHANGE, HCM, WEDNESDAY_9AM, LandDesk
from motcua.backoffice.tests.test_desk import action_url, desk_url, messages_of, offered
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierEvent, FileKind, SubStep, Transfer
from motcua.dossiers.states import State

VN_HOLIDAYS = holidays.country_holidays("VN", years=range(2026, 2028))


def working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in VN_HOLIDAYS


def due_after(received: datetime, days: int) -> datetime:
    """17:00 on the ``days``-th working day after the day of ``received``."""
    day = received.astimezone(HCM).date()
    for _ in range(days):
        day += timedelta(days=1)
        while not working_day(day):
            day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=HCM)


def days_off(first: date, last: date) -> list[date]:
    span = (last - first).days
    return [
        first + timedelta(days=i)
        for i in range(span + 1)
        if not working_day(first + timedelta(days=i))
    ]


def shown(when: datetime) -> str:
    return when.astimezone(HCM).strftime("%H:%M %d/%m/%Y")


def page_of(land: LandDesk, user, dossier: Dossier) -> str:
    response = land.office.client_for(user).get(desk_url(dossier))
    assert response.status_code == 200
    return response.content.decode()


NEW_DATE_RULE = (
    "Ngày hẹn mới phải là ngày làm việc sau ngày hẹn trả hiện tại, không quá 90 ngày sau ngày đó."
)


def section(page: str, heading_id: str) -> str:
    """The card whose heading has ``heading_id``."""
    start = page.index(f'aria-labelledby="{heading_id}"')
    return page[start : page.index("</section>", start)]


def events(dossier: Dossier) -> int:
    return DossierEvent.objects.filter(dossier=dossier).count()


# --- custody of the paper file ----------------------------------------------------------------


class TestSendingTheFile:
    def test_the_center_holds_the_file_after_receipt_and_is_offered_to_send_it(
        self, land: LandDesk
    ) -> None:
        dossier = land.received()

        page = page_of(land, land.receiver, dossier)

        custody = section(page, "h-custody")
        assert "Đang ở: <strong>Trung tâm Phục vụ hành chính công Phường Pleiku</strong>" in custody
        assert offered(land.office.client_for(land.receiver), dossier) == ["send_file"]
        assert re.findall(r'<option value="([a-z_]+)"', page) == [
            "in_person",
            "postal",
            "courier",
            "electronic",
        ]

    def test_sending_issues_a_slip_and_leaves_the_file_in_transit(self, land: LandDesk) -> None:
        dossier = land.received()
        client = land.office.client_for(land.receiver)

        response = client.post(
            action_url(dossier, "send_file"),
            {"means": "postal", "items": "Đơn Mẫu số 21\r\n\r\n Bản vẽ Mẫu số 22 ", "note": ""},
            follow=True,
        )

        transfer = Transfer.objects.get(dossier=dossier)
        assert messages_of(response) == [
            f"Đã chuyển hồ sơ {dossier.code} đến Chi nhánh Văn phòng Đăng ký đất đai khu vực "
            f"Quy Nhơn, phiếu chuyển số {transfer.slip_number}."
        ]
        assert transfer.slip_number == "PC-H52.23575.01-2026-00001"
        assert transfer.means == "postal"
        assert transfer.items == ["Đơn Mẫu số 21", "Bản vẽ Mẫu số 22"]
        assert Dossier.objects.get(pk=dossier.pk).holder is None
        page = response.content.decode()
        custody = section(page, "h-custody")
        assert '<span class="badge soon">Đang chuyển</span>' in custody
        assert (
            "đến <strong>Chi nhánh Văn phòng Đăng ký đất đai khu vực Quy Nhơn</strong>" in custody
        )
        slip = dossier.files.get(kind=FileKind.TRANSFER_SLIP)
        transfers = section(page, "h-transfers")
        assert (
            f'href="/mot-cua/ho-so/{dossier.pk}/tep/{slip.pk}/" target="_blank" rel="noopener">'
            f"{transfer.slip_number}</a>" in transfers
        )
        assert "Bưu chính công ích" in transfers
        assert '<span class="badge soon">Chưa nhận</span>' in transfers
        assert offered(client, dossier) == []

    def test_an_unknown_means_names_the_field(self, land: LandDesk) -> None:
        dossier = land.received()

        response = land.office.client_for(land.receiver).post(
            action_url(dossier, "send_file"), {"means": "bo-cau", "items": ""}
        )

        assert response.status_code == 200
        assert (
            "<li>“Hình thức chuyển” phải là một trong các lựa chọn của biểu mẫu.</li>"
            in response.content.decode()
        )
        assert not Transfer.objects.filter(dossier=dossier).exists()

    def test_a_missing_means_names_the_field(self, land: LandDesk) -> None:
        dossier = land.received()

        response = land.office.client_for(land.receiver).post(
            action_url(dossier, "send_file"), {"items": ""}
        )

        assert "<li>Hình thức chuyển không hợp lệ.</li>" in response.content.decode()
        assert not Transfer.objects.filter(dossier=dossier).exists()

    def test_a_unit_that_does_not_hold_the_file_may_not_send_it(self, land: LandDesk) -> None:
        dossier = land.received()

        response = land.office.client_for(land.quynhon.specialist).post(
            action_url(dossier, "send_file"), {"means": "in_person"}, follow=True
        )

        assert messages_of(response) == ["Chỉ đơn vị đang giữ hồ sơ giấy mới chuyển được hồ sơ."]
        assert not Transfer.objects.filter(dossier=dossier).exists()

    def test_the_outsider_gets_404(self, land: LandDesk) -> None:
        dossier = land.received()
        client = land.office.client_for(land.office.outsider)

        assert client.post(action_url(dossier, "send_file"), {"means": "postal"}).status_code == 404
        assert not Transfer.objects.filter(dossier=dossier).exists()


class TestReceivingTheFile:
    def test_the_branch_receives_and_then_holds_the_file(self, land: LandDesk) -> None:
        dossier, transfer = land.in_transit()
        client = land.office.client_for(land.quynhon.specialist)

        # Processing waits for the paper file: only its receipt is offered while in transit.
        assert offered(client, dossier) == ["receive_file"]
        response = client.post(
            action_url(dossier, "receive_file"), {"transfer": transfer.pk}, follow=True
        )

        assert messages_of(response) == [
            f"Đã nhận hồ sơ {dossier.code} theo phiếu chuyển số {transfer.slip_number}."
        ]
        dossier.refresh_from_db()
        assert dossier.holder == land.quynhon.agency
        assert dossier.competent_received_at == WEDNESDAY_9AM
        page = response.content.decode()
        assert (
            "Đang ở: <strong>Chi nhánh Văn phòng Đăng ký đất đai khu vực Quy Nhơn</strong>"
            in section(page, "h-custody")
        )
        assert "Nhận: 09:00 02/12/2026 · Võ Thị Lan" in section(page, "h-transfers")

    def test_a_slip_that_is_not_on_its_way_here_names_the_field(self, land: LandDesk) -> None:
        dossier, transfer = land.in_transit()

        response = land.office.client_for(land.quynhon.specialist).post(
            action_url(dossier, "receive_file"), {"transfer": transfer.pk + 99}
        )

        assert (
            "<li>“Phiếu chuyển” phải là một trong các lựa chọn của biểu mẫu.</li>"
            in response.content.decode()
        )
        assert Transfer.objects.get(pk=transfer.pk).received_at is None

    def test_the_sender_may_not_receive_its_own_transfer(self, land: LandDesk) -> None:
        dossier, transfer = land.in_transit()

        response = land.office.client_for(land.receiver).post(
            action_url(dossier, "receive_file"), {"transfer": transfer.pk}, follow=True
        )

        assert messages_of(response) == [
            "Thao tác này không dành cho bạn ở bước hiện tại của hồ sơ."
        ]
        assert Transfer.objects.get(pk=transfer.pk).received_at is None

    def test_the_outsider_gets_404(self, land: LandDesk) -> None:
        dossier, transfer = land.in_transit()

        response = land.office.client_for(land.office.outsider).post(
            action_url(dossier, "receive_file"), {"transfer": transfer.pk}
        )

        assert response.status_code == 404
        assert Transfer.objects.get(pk=transfer.pk).received_at is None

    def test_the_result_travels_back_before_it_is_returned(self, land: LandDesk) -> None:
        dossier = land.approved()
        branch = land.office.client_for(land.quynhon.leader)
        center = land.office.client_for(land.receiver)

        assert offered(center, dossier) == []
        assert offered(branch, dossier) == ["send_file"]
        branch.post(action_url(dossier, "send_file"), {"means": "courier"})
        back = Transfer.objects.get(dossier=dossier, purpose="result")
        assert offered(center, dossier) == ["receive_file"]
        center.post(action_url(dossier, "receive_file"), {"transfer": back.pk})

        assert offered(center, dossier) == ["return_result"]
        response = center.post(action_url(dossier, "return_result"), follow=True)
        assert messages_of(response) == [f"Đã trả kết quả hồ sơ {dossier.code}."]
        assert Dossier.objects.get(pk=dossier.pk).state == State.RETURNED


# --- the tax step and the two appointments ------------------------------------------------------


class TestTaxStep:
    def test_the_specialist_sends_the_tax_slip_and_the_clock_pauses(self, land: LandDesk) -> None:
        dossier = land.processing(CHANGE)
        client = land.office.client_for(land.pleiku.specialist)
        assert offered(client, dossier) == [
            "request_supplement_after_appraisal",
            # No proposal to the leader before the obligations are met.
            "send_to_tax",
            "request_consultation",
        ]

        response = client.post(
            action_url(dossier, "send_to_tax"),
            {"note": "Phiếu chuyển thông tin số 19/PC: chuyển nhượng 120 m²."},
            follow=True,
        )

        assert messages_of(response) == [
            f"Đã chuyển thông tin hồ sơ {dossier.code} sang cơ quan thuế; thời gian cơ quan thuế "
            "xác định nghĩa vụ tài chính không tính vào thời hạn."
        ]
        dossier.refresh_from_db()
        assert dossier.state == State.AWAITING_OBLIGATIONS
        # The promised first appointment stays; the slip's time is shown beside it.
        assert dossier.first_appointment_at == due_after(WEDNESDAY_9AM, 5)
        page = response.content.decode()
        assert '<span class="badge ">Tạm dừng chờ nghĩa vụ tài chính</span>' in page
        deadline = section(page, "h-deadline")
        first = due_after(WEDNESDAY_9AM, 5)
        assert f'<dd class="appointment-1">{shown(first)}</dd>' in deadline
        assert "<dt>Đã gửi cơ quan thuế</dt><dd>09:00 02/12/2026</dd>" in deadline
        assert "3 ngày làm việc kể từ khi nhận chứng từ hoàn thành nghĩa vụ tài chính" in deadline
        substeps = section(page, "h-substeps")
        assert "<strong>Thuế tỉnh Gia Lai</strong>" in substeps
        assert "theo pháp luật thuế, không tính vào thời hạn" in substeps

    def test_the_tax_slip_needs_its_content(self, land: LandDesk) -> None:
        dossier = land.processing(CHANGE)

        response = land.office.client_for(land.pleiku.specialist).post(
            action_url(dossier, "send_to_tax"), {"note": "   "}
        )

        panel = response.content.decode().split('id="action-send_to_tax"')[1]
        assert '<ul class="errorlist" id="id_send_to_tax_note_error"><li>Cần ghi rõ lý do.' in panel
        assert Dossier.objects.get(pk=dossier.pk).state == State.PROCESSING

    def test_only_a_specialist_of_the_branch_sends_it(self, land: LandDesk) -> None:
        dossier = land.processing(CHANGE)

        leader = land.office.client_for(land.pleiku.leader).post(
            action_url(dossier, "send_to_tax"), {"note": "Phiếu 19."}, follow=True
        )
        outsider = land.office.client_for(land.office.outsider).post(
            action_url(dossier, "send_to_tax"), {"note": "Phiếu 19."}
        )

        assert messages_of(leader) == ["Bạn không có quyền thực hiện thao tác này."]
        assert outsider.status_code == 404
        assert Dossier.objects.get(pk=dossier.pk).state == State.PROCESSING

    def test_the_proof_of_payment_starts_the_second_appointment(self, land: LandDesk) -> None:
        dossier = land.awaiting_obligations()
        land.office.clock.advance(days=6)  # Tuesday 8 December, 09:00
        proof_at = WEDNESDAY_9AM + timedelta(days=6)
        client = land.office.client_for(land.pleiku.specialist)
        assert offered(client, dossier) == ["record_obligations_met"]

        response = client.post(
            action_url(dossier, "record_obligations_met"),
            {"note": "Chứng từ nộp thuế TNCN số 0012345 ngày 08/12/2026."},
            follow=True,
        )

        second = due_after(proof_at, 3)
        assert messages_of(response) == [
            f"Đã ghi nhận hoàn thành nghĩa vụ tài chính của hồ sơ {dossier.code}; hẹn lần 2: "
            f"{shown(second)}."
        ]
        dossier.refresh_from_db()
        assert (dossier.state, dossier.due_at) == (State.PROCESSING, second)
        deadline = section(response.content.decode(), "h-deadline")
        assert f'<dd class="appointment-1">{shown(due_after(WEDNESDAY_9AM, 5))}</dd>' in deadline
        assert f'<dd class="appointment-2">{shown(second)}</dd>' in deadline
        assert "<dt>Hoàn thành nghĩa vụ tài chính</dt><dd>09:00 08/12/2026</dd>" in deadline
        assert "Cách tính: Hẹn lần 1: gửi thông tin sang cơ quan thuế" in deadline
        assert "Cách tính: Hẹn lần 2: trả kết quả" in deadline
        assert (
            "<dt>Tính từ</dt><dd>Nhận chứng từ hoàn thành nghĩa vụ tài chính<br>"
            '<span class="when">09:00 08/12/2026</span></dd>'
        ) in deadline

    def test_the_proof_needs_a_note(self, land: LandDesk) -> None:
        dossier = land.awaiting_obligations()

        response = land.office.client_for(land.pleiku.specialist).post(
            action_url(dossier, "record_obligations_met"), {"note": ""}
        )

        assert "<li>Cần ghi rõ lý do.</li>" in response.content.decode()
        assert Dossier.objects.get(pk=dossier.pk).state == State.AWAITING_OBLIGATIONS

    def test_the_tax_office_sees_the_dossier_but_does_not_record_the_proof(
        self, land: LandDesk
    ) -> None:
        dossier = land.awaiting_obligations()
        client = land.office.client_for(land.tax_officer)

        assert offered(client, dossier) == []
        response = client.post(
            action_url(dossier, "record_obligations_met"), {"note": "Đã nộp."}, follow=True
        )

        assert messages_of(response) == ["Bạn không có quyền thực hiện thao tác này."]
        assert Dossier.objects.get(pk=dossier.pk).state == State.AWAITING_OBLIGATIONS
        outsider = land.office.client_for(land.office.outsider)
        assert (
            outsider.post(action_url(dossier, "record_obligations_met"), {"note": "x"}).status_code
            == 404
        )


# --- consultations ------------------------------------------------------------------------------


class TestConsultation:
    def test_the_specialist_asks_the_department_with_a_deadline(self, land: LandDesk) -> None:
        dossier = land.processing()
        client = land.office.client_for(land.quynhon.specialist)

        page = client.get(desk_url(dossier)).content.decode()
        response = client.post(
            action_url(dossier, "request_consultation"),
            {
                "agency": land.department.pk,
                "question": "Thửa 125 có nằm trong quy hoạch mở đường không?",
                "days": "3",
            },
            follow=True,
        )

        choices = re.findall(
            r'<option value="(\d+)"', page.split('id="action-request_consultation"')[1]
        )
        assert str(land.department.pk) in choices
        assert str(land.quynhon.agency.pk) not in choices
        step = SubStep.objects.get(dossier=dossier, kind="consultation")
        due = due_after(WEDNESDAY_9AM, 3)
        assert step.due_at == due
        assert messages_of(response) == [
            "Đã gửi xin ý kiến Sở Nông nghiệp và Môi trường tỉnh Gia Lai, "
            f"hạn trả lời {shown(due)}."
        ]
        substeps = section(response.content.decode(), "h-substeps")
        assert "Thửa 125 có nằm trong quy hoạch mở đường không?" in substeps
        assert f"Hạn trả lời: {shown(due)}" in substeps
        assert '<span class="badge soon">Chờ trả lời</span>' in substeps

    @pytest.mark.parametrize(
        ("days", "message"),
        [
            ("0", "Thời hạn trả lời phải từ 1 đến 30 ngày làm việc."),
            ("31", "Thời hạn trả lời phải từ 1 đến 30 ngày làm việc."),
            ("ba", "“Thời hạn trả lời (ngày làm việc)” phải là một số nguyên."),
            ("", "“Thời hạn trả lời (ngày làm việc)” là bắt buộc."),
        ],
    )
    def test_a_bad_deadline_names_the_field(self, land: LandDesk, days: str, message: str) -> None:
        dossier = land.processing()

        response = land.office.client_for(land.quynhon.specialist).post(
            action_url(dossier, "request_consultation"),
            {"agency": land.department.pk, "question": "Quy hoạch?", "days": days},
        )

        panel = response.content.decode().split('id="action-request_consultation"')[1]
        assert f'id="id_request_consultation_days_error"><li>{message}</li>' in panel
        assert not SubStep.objects.filter(dossier=dossier).exists()

    def test_the_unit_itself_or_no_agency_is_refused(self, land: LandDesk) -> None:
        dossier = land.processing()
        client = land.office.client_for(land.quynhon.specialist)

        itself = client.post(
            action_url(dossier, "request_consultation"),
            {"agency": land.quynhon.agency.pk, "question": "?", "days": "3"},
        )
        nobody = client.post(
            action_url(dossier, "request_consultation"), {"question": "?", "days": "3"}
        )

        assert (
            "<li>“Cơ quan được lấy ý kiến” phải là một trong các lựa chọn của biểu mẫu.</li>"
            in itself.content.decode()
        )
        assert "<li>Chọn một cơ quan khác để lấy ý kiến.</li>" in nobody.content.decode()
        assert not SubStep.objects.filter(dossier=dossier).exists()

    def test_only_the_branch_specialist_asks(self, land: LandDesk) -> None:
        dossier = land.processing()
        body = {"agency": land.department.pk, "question": "?", "days": "3"}

        leader = land.office.client_for(land.quynhon.leader).post(
            action_url(dossier, "request_consultation"), body, follow=True
        )
        outsider = land.office.client_for(land.office.outsider).post(
            action_url(dossier, "request_consultation"), body
        )

        assert messages_of(leader) == ["Bạn không có quyền thực hiện thao tác này."]
        assert outsider.status_code == 404
        assert not SubStep.objects.filter(dossier=dossier).exists()

    def test_the_consulted_department_answers_late(self, land: LandDesk) -> None:
        dossier = land.processing()
        step = services.request_consultation(
            dossier.pk,
            actor=land.quynhon.specialist,
            agency_id=land.department.pk,
            question="Thửa 125 có trong quy hoạch không?",
            days=1,
        )
        land.office.clock.advance(days=2)  # Friday 4 December: a day past the deadline
        client = land.office.client_for(land.department_officer)
        page = client.get(desk_url(dossier)).content.decode()
        assert offered(client, dossier) == ["answer_consultation"]
        assert '<span class="badge late">Quá hạn trả lời</span>' in page
        assert "Câu hỏi: Thửa 125 có trong quy hoạch không?" in page

        response = client.post(
            action_url(dossier, "answer_consultation"),
            {"substep": step.pk, "answer": "Không nằm trong quy hoạch."},
            follow=True,
        )

        assert messages_of(response) == [f"Đã gửi ý kiến trả lời về hồ sơ {dossier.code}."]
        substeps = section(response.content.decode(), "h-substeps")
        assert '<span class="badge late">Trả lời trễ hạn</span>' in substeps
        assert "Trả lời · 09:00 04/12/2026 · Hồ Thị Sen" in substeps
        assert "Không nằm trong quy hoạch." in substeps
        assert offered(client, dossier) == []

    def test_an_empty_answer_names_the_field(self, land: LandDesk) -> None:
        dossier = land.processing()
        step = services.request_consultation(
            dossier.pk, actor=land.quynhon.specialist, agency_id=land.department.pk,
            question="?", days=3,
        )  # fmt: skip

        response = land.office.client_for(land.department_officer).post(
            action_url(dossier, "answer_consultation"), {"substep": step.pk, "answer": ""}
        )

        assert "<li>Cần ghi rõ lý do.</li>" in response.content.decode()
        assert SubStep.objects.get(pk=step.pk).answered_at is None

    def test_only_the_consulted_agency_answers(self, land: LandDesk) -> None:
        dossier = land.processing()
        step = services.request_consultation(
            dossier.pk, actor=land.quynhon.specialist, agency_id=land.department.pk,
            question="?", days=3,
        )  # fmt: skip
        body = {"substep": step.pk, "answer": "Tự trả lời."}

        branch = land.office.client_for(land.quynhon.specialist).post(
            action_url(dossier, "answer_consultation"), body, follow=True
        )
        outsider = land.office.client_for(land.office.outsider).post(
            action_url(dossier, "answer_consultation"), body
        )

        assert messages_of(branch) == ["Thao tác này không dành cho bạn ở bước hiện tại của hồ sơ."]
        assert outsider.status_code == 404
        assert SubStep.objects.get(pk=step.pk).answered_at is None


# --- one new appointment ------------------------------------------------------------------------


class TestReschedule:
    def test_the_leader_apologises_and_sets_a_new_date(self, land: LandDesk) -> None:
        dossier = land.processing()
        due = due_after(WEDNESDAY_9AM, 12)
        client = land.office.client_for(land.quynhon.leader)
        assert "reschedule" in offered(client, dossier)

        response = client.post(
            action_url(dossier, "reschedule"),
            {"new_date": "2026-12-22", "reason": "Chờ kết quả đo đạc lại thửa đất."},
            follow=True,
        )

        assert messages_of(response) == [
            f"Đã hẹn lại ngày trả kết quả hồ sơ {dossier.code}: 17:00 22/12/2026; Phiếu xin lỗi "
            "và hẹn lại (Mẫu 04) đã được phát hành."
        ]
        dossier.refresh_from_db()
        assert dossier.original_due_at == due
        assert dossier.due_at == datetime(2026, 12, 22, 17, 0, tzinfo=HCM)
        page = response.content.decode()
        deadline = section(page, "h-deadline")
        assert f"<dt>Hẹn cũ</dt><dd><s>{shown(due)}</s></dd>" in deadline
        assert "<dt>Hẹn mới</dt><dd><strong>17:00 22/12/2026</strong></dd>" in deadline
        assert "Chờ kết quả đo đạc lại thửa đất." in deadline
        between = [
            f"{d:%d/%m/%Y}" for d in days_off(due.date() + timedelta(days=1), date(2026, 12, 22))
        ]
        assert between == ["19/12/2026", "20/12/2026"]
        for day in between:
            assert f'<span class="day">{day}</span>' in deadline
        apology = dossier.files.get(kind=FileKind.APOLOGY)
        assert f'href="/mot-cua/ho-so/{dossier.pk}/tep/{apology.pk}/"' in deadline
        assert "Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)" in deadline
        assert "reschedule" not in offered(client, dossier)

    @pytest.mark.parametrize(
        ("new_date", "message"),
        [
            ("2026-12-17", NEW_DATE_RULE),
            ("2026-12-19", NEW_DATE_RULE),
            ("2027-06-01", NEW_DATE_RULE),
            ("22/13/2026", "“Ngày hẹn trả mới” phải là một ngày (ngày/tháng/năm)."),
            ("", "“Ngày hẹn trả mới” là bắt buộc."),
        ],
    )
    def test_a_bad_new_date_names_the_field(
        self, land: LandDesk, new_date: str, message: str
    ) -> None:
        dossier = land.processing()

        response = land.office.client_for(land.quynhon.leader).post(
            action_url(dossier, "reschedule"), {"new_date": new_date, "reason": "Chậm."}
        )

        panel = response.content.decode().split('id="action-reschedule"')[1]
        assert f'id="id_reschedule_new_date_error"><li>{message}</li>' in panel
        assert Dossier.objects.get(pk=dossier.pk).rescheduled_at is None

    def test_a_second_rescheduling_is_refused(self, land: LandDesk) -> None:
        dossier = land.processing()
        services.reschedule(
            dossier.pk, actor=land.quynhon.leader, new_date=date(2026, 12, 22), reason="Chậm."
        )

        response = land.office.client_for(land.quynhon.leader).post(
            action_url(dossier, "reschedule"),
            {"new_date": "2026-12-29", "reason": "Chậm nữa."},
            follow=True,
        )

        assert messages_of(response) == [
            "Hồ sơ đã được hẹn lại một lần; không được hẹn lại lần nữa."
        ]
        assert Dossier.objects.get(pk=dossier.pk).due_at == datetime(2026, 12, 22, 17, tzinfo=HCM)

    def test_only_the_leader_of_the_branch_reschedules(self, land: LandDesk) -> None:
        dossier = land.processing()
        body = {"new_date": "2026-12-22", "reason": "Chậm."}

        specialist = land.office.client_for(land.quynhon.specialist).post(
            action_url(dossier, "reschedule"), body, follow=True
        )
        outsider = land.office.client_for(land.office.outsider).post(
            action_url(dossier, "reschedule"), body
        )

        assert messages_of(specialist) == ["Bạn không có quyền thực hiện thao tác này."]
        assert outsider.status_code == 404
        assert Dossier.objects.get(pk=dossier.pk).rescheduled_at is None


# --- every due date explains itself -------------------------------------------------------------


class TestDueDateExplained:
    def test_the_split_shows_its_twelve_days_and_the_days_skipped(self, land: LandDesk) -> None:
        dossier = land.received()
        due = due_after(WEDNESDAY_9AM, 12)

        deadline = section(page_of(land, land.receiver, dossier), "h-deadline")

        assert f'<p class="deadline-big">{shown(due)}</p>' in deadline
        assert "Cách tính: Hẹn trả kết quả" in deadline
        assert (
            "<dt>Tính từ</dt><dd>Nộp đủ phí, lệ phí (hoàn tất tiếp nhận)<br>"
            '<span class="when">09:00 02/12/2026</span></dd>'
        ) in deadline
        assert "<dt>Thời hạn</dt><dd>12 ngày làm việc</dd>" in deadline
        assert "<dt>Bắt đầu tính từ ngày</dt><dd>03/12/2026</dd>" in deadline
        skipped = re.findall(r'<span class="day">([\d/]+)</span> ([^<]+)</li>', deadline)
        expected = days_off(date(2026, 12, 2), due.date())
        assert [day for day, _reason in skipped] == [f"{d:%d/%m/%Y}" for d in expected]
        assert [reason for _day, reason in skipped] == ["Thứ Bảy", "Chủ Nhật"] * 2

    def test_a_restart_after_a_supplement_is_explained_from_the_restart(
        self, land: LandDesk
    ) -> None:
        dossier = land.processing()
        services.request_supplement(
            dossier.pk,
            actor=land.quynhon.specialist,
            items=["Bản vẽ tách thửa có chữ ký của chủ sử dụng"],
            reason="Bản vẽ chưa ký.",
        )
        land.office.clock.advance(days=2)  # Friday 4 December, 09:00
        services.supplement(
            dossier.pk,
            access_token=dossier.access_token,
            uploads=[],
            note="Đã gửi bản vẽ có chữ ký.",
        )
        restart = WEDNESDAY_9AM + timedelta(days=2)

        page = page_of(land, land.quynhon.specialist, dossier)

        deadline = section(page, "h-deadline")
        assert (
            "<dt>Tính từ</dt><dd>Nhận đủ hồ sơ bổ sung (tính lại từ đầu)<br>"
            '<span class="when">09:00 04/12/2026</span></dd>'
        ) in deadline
        assert f'<p class="deadline-big">{shown(due_after(restart, 12))}</p>' in deadline
        notice = dossier.files.get(kind=FileKind.SUPPLEMENT_NOTICE)
        supplements = section(page, "h-supplements")
        assert f'href="/mot-cua/ho-so/{dossier.pk}/tep/{notice.pk}/"' in supplements
        assert "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)" in supplements


class TestTimelineShowsHandOvers:
    def test_each_hand_over_names_its_slip(self, land: LandDesk) -> None:
        dossier, transfer = land.in_transit()
        client = land.office.client_for(land.quynhon.specialist)

        page = client.get(desk_url(dossier)).content.decode()

        timeline = section(page, "h-timeline")
        assert f'Phiếu chuyển <span class="code">{transfer.slip_number}</span>' in timeline
