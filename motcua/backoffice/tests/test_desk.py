"""The dossier desk: what it shows, which actions it offers, and how each action answers."""

from __future__ import annotations

import re

from django.test import Client

from motcua.backoffice.tests.conftest import Office
from motcua.dossiers.models import Dossier, DossierEvent, FileKind
from motcua.dossiers.states import State
from motcua.org.models import Agency


def desk_url(dossier: Dossier) -> str:
    return f"/mot-cua/ho-so/{dossier.pk}/"


def action_url(dossier: Dossier, action: str) -> str:
    return f"/mot-cua/ho-so/{dossier.pk}/{action}/"


def offered(client: Client, dossier: Dossier) -> list[str]:
    page = client.get(desk_url(dossier)).content.decode()
    return re.findall(r'<div class="action" id="action-([a-z_]+)">', page)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def state_of(dossier: Dossier) -> str:
    return Dossier.objects.get(pk=dossier.pk).state


class TestWhatTheDeskShows:
    def test_the_header_the_applicant_and_the_e_form_with_labels(self, office: Office) -> None:
        dossier = office.submit()

        page = office.client_for(office.receiver).get(desk_url(dossier)).content.decode()

        assert f'<h1 class="code">{dossier.code}</h1>' in page
        assert '<span class="state ">Mới đăng ký</span>' in page
        assert "Mã trạng thái DVCQG: 1" in page
        assert "Kênh: Trực tuyến" in page
        assert "<dd>Trung tâm Phục vụ hành chính công Phường Pleiku</dd>" in page
        assert "<dd>Ủy ban nhân dân Phường Pleiku</dd>" in page
        assert "Tiếp nhận không phụ thuộc địa giới" not in page
        assert "<dd>064090001234</dd>" in page
        assert "<dt>Họ, chữ đệm và tên người yêu cầu</dt><dd>Nguyễn Văn An</dd>" in page
        assert "<dt>Quan hệ với người được cấp trích lục</dt><dd>Bản thân</dd>" in page
        assert "<dt>Sự kiện hộ tịch</dt><dd>Khai sinh</dd>" in page
        assert "<dt>Ngày đăng ký</dt><dd>02/01/2020</dd>" in page
        assert "<dt>Số bản sao yêu cầu</dt><dd>2</dd>" in page
        assert "Chưa tính thời hạn" in page
        assert "16.000 đ" in page and "Chưa nộp" in page

    def test_a_dossier_decided_in_another_commune_is_marked_boundaryless(
        self, office: Office
    ) -> None:
        dossier = office.submit()
        # The province may route a dossier to another commune's committee (routing rules);
        # the desk only has to show it.
        Dossier.objects.filter(pk=dossier.pk).update(
            competent_agency=Agency.objects.get(slug="ubnd-21583")
        )

        page = office.client_for(office.receiver).get(desk_url(dossier)).content.decode()

        assert "Tiếp nhận không phụ thuộc địa giới" in page
        assert "<dd>Ủy ban nhân dân Phường Quy Nhơn</dd>" in page

    def test_attachments_can_be_viewed_and_downloaded(self, office: Office) -> None:
        dossier = office.world.submit(uploads=[office.world.pdf("CCCD Nguyễn Văn An.pdf")])
        attachment = dossier.files.get(kind=FileKind.ATTACHMENT)
        client = office.client_for(office.receiver)

        page = client.get(desk_url(dossier)).content.decode()
        view = client.get(f"/mot-cua/ho-so/{dossier.pk}/tep/{attachment.pk}/")
        download = client.get(f"/mot-cua/ho-so/{dossier.pk}/tep/{attachment.pk}/?tai=1")

        assert "Giấy tờ tùy thân (CCCD, hộ chiếu) của người yêu cầu" in page
        assert "CCCD Nguyễn Văn An.pdf" in page
        assert view.status_code == 200
        assert view["Content-Type"] == "application/pdf"
        assert view["Content-Disposition"].startswith("inline;")
        assert b"".join(view.streaming_content).startswith(b"%PDF-1.4")
        assert download["Content-Disposition"].startswith("attachment;")
        assert "CCCD%20Nguy%E1%BB%85n%20V%C4%83n%20An.pdf" in download["Content-Disposition"]

    def test_a_file_of_another_dossier_is_not_found_under_this_one(self, office: Office) -> None:
        first = office.world.submit(uploads=[office.world.pdf()])
        second = office.submit()
        attachment = first.files.get()

        response = office.client_for(office.receiver).get(
            f"/mot-cua/ho-so/{second.pk}/tep/{attachment.pk}/"
        )

        assert response.status_code == 404

    def test_the_timeline_names_actor_and_agency(self, office: Office) -> None:
        dossier = office.dossier_in("processing")

        page = office.client_for(office.leader).get(desk_url(dossier)).content.decode()

        timeline = page[page.index('<ol class="timeline">') :]
        assert timeline.index("Nộp hồ sơ") < timeline.index("Tiếp nhận hồ sơ")
        assert "Người nộp hồ sơ" in timeline
        assert "Cán bộ tiếp nhận Phường Pleiku" in timeline
        assert "Trung tâm Phục vụ hành chính công Phường Pleiku" in timeline
        assert "<strong>Nhận xử lý</strong> → Đang xử lý" in timeline
        assert "Chuyên viên Phường Pleiku" in timeline


class TestWhichActionsAreOffered:
    def test_a_new_unpaid_dossier_at_the_receiver(self, office: Office) -> None:
        dossier = office.submit()

        assert offered(office.client_for(office.receiver), dossier) == [
            "accept",
            "refuse",
            "request_supplement",
            "record_cash_payment",
        ]
        assert offered(office.client_for(office.specialist), dossier) == []
        assert offered(office.client_for(office.leader), dossier) == []

    def test_each_role_at_its_step(self, office: Office) -> None:
        accepted = office.dossier_in("accepted")
        processing = office.dossier_in("processing")
        waiting = office.dossier_in("awaiting_approval")

        assert offered(office.client_for(office.receiver), accepted) == []
        assert offered(office.client_for(office.specialist), accepted) == ["start_processing"]
        assert offered(office.client_for(office.leader), accepted) == ["assign"]
        assert offered(office.client_for(office.specialist), processing) == [
            "request_supplement_after_appraisal",
            "submit_for_approval",
            "request_consultation",
        ]
        assert offered(office.client_for(office.leader), processing) == ["assign", "stop"]
        assert offered(office.client_for(office.leader), waiting) == [
            "send_back",
            "approve",
            "stop",
        ]

    def test_nothing_is_offered_on_a_closed_dossier(self, office: Office) -> None:
        dossier = office.submit()
        client = office.client_for(office.receiver)
        client.post(action_url(dossier, "refuse"), {"reason": "Không thuộc thẩm quyền."})

        page = client.get(desk_url(dossier)).content.decode()

        assert "Không có thao tác nào bạn cần làm với hồ sơ ở trạng thái này." in page


class TestActions:
    def test_accepting_an_unpaid_dossier_holds_it_for_the_fee(self, office: Office) -> None:
        dossier = office.submit()
        client = office.client_for(office.receiver)

        response = client.post(action_url(dossier, "accept"), follow=True)

        assert response.redirect_chain == [(desk_url(dossier), 302)]
        assert messages_of(response) == [
            f"Đã tiếp nhận hồ sơ {dossier.code}; hồ sơ chờ nộp phí, lệ phí 16.000 đ trước khi "
            "tính thời hạn giải quyết."
        ]
        assert state_of(dossier) == State.AWAITING_PAYMENT

    def test_accepting_a_paid_dossier_gives_the_due_time_and_the_receipt_slip(
        self, office: Office
    ) -> None:
        from motcua.payments.services import mark_paid

        dossier = office.submit()
        mark_paid(dossier.invoice.pk, channel="online", actor="gateway")
        client = office.client_for(office.receiver)

        response = client.post(action_url(dossier, "accept"), follow=True)

        assert messages_of(response) == [
            f"Đã tiếp nhận hồ sơ {dossier.code}, hẹn trả 17:00 02/12/2026."
        ]
        slip = Dossier.objects.get(pk=dossier.pk).files.get(kind=FileKind.RECEIPT_SLIP)
        page = response.content.decode()
        assert f'href="/mot-cua/ho-so/{dossier.pk}/tep/{slip.pk}/"' in page
        assert "Giấy tiếp nhận và hẹn trả kết quả (PDF)" in page
        assert '<p class="deadline-big">17:00 02/12/2026</p>' in page

    def test_a_refusal_without_a_reason_is_sent_back_to_the_form(self, office: Office) -> None:
        dossier = office.submit()

        response = office.client_for(office.receiver).post(
            action_url(dossier, "refuse"), {"reason": "  "}
        )

        assert response.status_code == 200
        page = response.content.decode()
        panel = page[page.index('id="action-refuse"') :]
        assert re.match(r'id="action-refuse">\s*<details open>', panel)
        assert (
            '<ul class="errorlist" id="id_refuse_reason_error"><li>Cần ghi rõ lý do.</li>' in panel
        )
        assert state_of(dossier) == State.SUBMITTED

    def test_a_supplement_request_lists_every_item_once(self, office: Office) -> None:
        dossier = office.submit()
        client = office.client_for(office.receiver)

        empty = client.post(action_url(dossier, "request_supplement"), {"items": "", "reason": "x"})
        response = client.post(
            action_url(dossier, "request_supplement"),
            {
                "items": "Bản chụp CCCD\r\n\r\n  Văn bản ủy quyền  \r\n",
                "reason": "Người yêu cầu là người được ủy quyền.",
            },
            follow=True,
        )

        assert "Cần liệt kê đầy đủ các giấy tờ phải bổ sung." in empty.content.decode()
        assert messages_of(response) == [f"Đã gửi yêu cầu bổ sung hồ sơ {dossier.code}."]
        request = Dossier.objects.get(pk=dossier.pk).supplements.get()
        assert request.items == ["Bản chụp CCCD", "Văn bản ủy quyền"]
        assert "<li>Văn bản ủy quyền</li>" in response.content.decode()

    def test_an_action_out_of_order_is_refused_and_changes_nothing(self, office: Office) -> None:
        dossier = office.submit()
        events = DossierEvent.objects.filter(dossier=dossier).count()

        response = office.client_for(office.leader).post(
            action_url(dossier, "approve"), {"note": ""}, follow=True
        )

        assert messages_of(response) == [
            "Không thể “Phê duyệt kết quả” khi hồ sơ đang ở trạng thái “Mới đăng ký”."
        ]
        assert state_of(dossier) == State.SUBMITTED
        assert DossierEvent.objects.filter(dossier=dossier).count() == events

    def test_the_wrong_role_is_told_it_may_not(self, office: Office) -> None:
        dossier = office.submit()

        response = office.client_for(office.specialist).post(
            action_url(dossier, "accept"), follow=True
        )

        assert messages_of(response) == ["Bạn không có quyền thực hiện thao tác này."]
        assert state_of(dossier) == State.SUBMITTED

    def test_the_leader_assigns_from_the_units_specialists(self, office: Office) -> None:
        dossier = office.dossier_in("accepted")
        client = office.client_for(office.leader)

        page = client.get(desk_url(dossier)).content.decode()
        response = client.post(
            action_url(dossier, "assign"), {"assignee": office.second_specialist.pk}, follow=True
        )

        options = re.findall(r'<option value="(\d+)"', page)
        assert sorted(map(int, options)) == sorted(
            [office.specialist.pk, office.second_specialist.pk]
        )
        assert messages_of(response) == [f"Đã phân công hồ sơ {dossier.code} cho Đỗ Minh Quân."]
        assert Dossier.objects.get(pk=dossier.pk).assignee == office.second_specialist

    def test_assigning_someone_outside_the_unit_names_the_field(self, office: Office) -> None:
        dossier = office.dossier_in("accepted")

        response = office.client_for(office.leader).post(
            action_url(dossier, "assign"), {"assignee": office.outsider.pk}
        )

        assert (
            "<li>“Chuyên viên xử lý” phải là một trong các lựa chọn của biểu mẫu.</li>"
            in response.content.decode()
        )
        assert Dossier.objects.get(pk=dossier.pk).assignee is None

    def test_submitting_for_approval_needs_the_processing_note(self, office: Office) -> None:
        dossier = office.dossier_in("processing")
        client = office.client_for(office.specialist)

        response = client.post(action_url(dossier, "submit_for_approval"), {"note": ""})

        assert "<li>Cần ghi ý kiến xử lý, đề xuất.</li>" in response.content.decode()
        assert state_of(dossier) == State.PROCESSING

    def test_a_reason_longer_than_the_limit_names_the_field(self, office: Office) -> None:
        dossier = office.dossier_in("awaiting_approval")

        response = office.client_for(office.leader).post(
            action_url(dossier, "stop"), {"reason": "x" * 2001}
        )

        assert "<li>“Lý do dừng xử lý” dài quá 2000 ký tự.</li>" in response.content.decode()
        assert state_of(dossier) == State.AWAITING_APPROVAL

    def test_an_unknown_action_is_not_found_and_get_is_not_allowed(self, office: Office) -> None:
        dossier = office.submit()
        client = office.client_for(office.receiver)

        assert client.post(action_url(dossier, "supplement")).status_code == 404
        assert client.post(action_url(dossier, "withdraw")).status_code == 404
        assert client.get(action_url(dossier, "accept")).status_code == 405
        assert state_of(dossier) == State.SUBMITTED
