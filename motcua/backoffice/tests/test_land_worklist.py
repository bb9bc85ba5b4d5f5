"""The worklist in the land flow: a tab for each step of the paper file's journey, the tax
office's and the consulted agencies' open questions, and "due soon" with its lead time.

The land cast of ``conftest.py``; the clock stands at 09:00 on Wednesday 2 December 2026.
"""

from __future__ import annotations

from typing import Any

from motcua.backoffice.tests.conftest import LandDesk
from motcua.backoffice.tests.test_worklist import ROW_CODE, WORKLIST, rows_of, tabs_of
from motcua.dossiers import services
from motcua.dossiers.models import Transfer


class TestBranch:
    def test_a_file_on_its_way_waits_in_files_received_not_in_to_process(
        self, land: LandDesk
    ) -> None:
        dossier, transfer = land.in_transit()
        client = land.office.client_for(land.quynhon.specialist)

        assert tabs_of(client) == [
            ("Hồ sơ chuyển đến", 1),
            ("Chờ nhận xử lý", 0),
            ("Đang xử lý", 0),
            ("Chờ nghĩa vụ tài chính", 0),
            ("Xin ý kiến chờ trả lời", 0),
            ("Đến hạn hôm nay", 0),
            ("Sắp đến hạn", 0),
            ("Quá hạn", 0),
        ]
        assert rows_of(client, "ho-so-chuyen-den") == [dossier.pk]

        services.receive_file(transfer.pk, actor=land.quynhon.specialist)

        assert dict(tabs_of(client))["Hồ sơ chuyển đến"] == 0
        assert rows_of(client, "cho-nhan-xu-ly") == [dossier.pk]

    def test_a_change_registration_waits_for_its_obligations(self, land: LandDesk) -> None:
        dossier = land.awaiting_obligations()
        client = land.office.client_for(land.pleiku.specialist)

        counts = dict(tabs_of(client))

        assert counts["Chờ nghĩa vụ tài chính"] == 1
        assert counts["Đang xử lý"] == 0
        assert rows_of(client, "cho-nghia-vu") == [dossier.pk]

    def test_the_leader_sees_results_to_send_back(self, land: LandDesk) -> None:
        dossier = land.approved()
        client = land.office.client_for(land.quynhon.leader)

        assert tabs_of(client) == [
            ("Chờ phê duyệt", 0),
            ("Kết quả chờ chuyển trả", 1),
            ("Đang giải quyết tại đơn vị", 0),
            ("Sắp đến hạn", 0),
            ("Quá hạn", 0),
        ]
        assert rows_of(client, "ket-qua-chuyen-tra") == [dossier.pk]
        services.send_file(dossier.pk, actor=land.quynhon.leader, means="courier")
        assert dict(tabs_of(client))["Kết quả chờ chuyển trả"] == 0

    def test_the_worklist_costs_the_same_queries_for_2_or_6_files_on_their_way(
        self, land: LandDesk, django_assert_num_queries: Any
    ) -> None:
        client = land.office.client_for(land.quynhon.specialist)
        for _ in range(2):
            land.in_transit()
        client.get(WORKLIST)

        # session, user, memberships, one count for all tabs, the page's count, the rows, and
        # the navigation's unread notices
        with django_assert_num_queries(7):
            response = client.get(WORKLIST)
        assert len(ROW_CODE.findall(response.content.decode())) == 2
        for _ in range(4):
            land.in_transit()
        with django_assert_num_queries(7):
            response = client.get(WORKLIST)
        assert len(ROW_CODE.findall(response.content.decode())) == 6


class TestAskedAgencies:
    def test_the_tax_office_sees_the_slips_it_must_answer(self, land: LandDesk) -> None:
        dossier = land.awaiting_obligations()
        client = land.office.client_for(land.tax_officer)

        assert tabs_of(client) == [
            ("Chờ xác định nghĩa vụ tài chính", 1),
            ("Xin ý kiến chờ trả lời", 0),
        ]
        assert rows_of(client, "cho-xac-dinh-thue") == [dossier.pk]

        services.record_obligations_met(dossier.pk, actor=land.pleiku.specialist, note="Đã nộp.")

        assert tabs_of(client) == [
            ("Chờ xác định nghĩa vụ tài chính", 0),
            ("Xin ý kiến chờ trả lời", 0),
        ]

    def test_a_consulted_department_sees_its_open_questions(self, land: LandDesk) -> None:
        dossier = land.processing()
        step = services.request_consultation(
            dossier.pk,
            actor=land.quynhon.specialist,
            agency_id=land.department.pk,
            question="Thửa 125 có trong quy hoạch không?",
            days=3,
        )
        client = land.office.client_for(land.department_officer)

        assert dict(tabs_of(client))["Xin ý kiến chờ trả lời"] == 1
        assert rows_of(client, "xin-y-kien") == [dossier.pk]
        assert (
            dict(tabs_of(land.office.client_for(land.tax_officer)))["Xin ý kiến chờ trả lời"] == 0
        )

        services.answer_consultation(step.pk, actor=land.department_officer, answer="Không.")

        assert dict(tabs_of(client))["Xin ý kiến chờ trả lời"] == 0


class TestReceiver:
    def test_the_center_sends_the_file_then_waits_for_the_result(self, land: LandDesk) -> None:
        dossier = land.received()
        client = land.office.client_for(land.receiver)

        assert dict(tabs_of(client))["Chờ chuyển hồ sơ"] == 1
        assert rows_of(client, "cho-chuyen-ho-so") == [dossier.pk]
        transfer = services.send_file(dossier.pk, actor=land.receiver, means="postal")
        services.receive_file(transfer.pk, actor=land.quynhon.specialist)
        assert dict(tabs_of(client))["Chờ chuyển hồ sơ"] == 0

        services.start_processing(dossier.pk, actor=land.quynhon.specialist)
        services.submit_for_approval(dossier.pk, actor=land.quynhon.specialist, note="Đủ.")
        services.approve(dossier.pk, actor=land.quynhon.leader)
        back = services.send_file(dossier.pk, actor=land.quynhon.leader, means="courier")

        counts = dict(tabs_of(client))
        assert (counts["Kết quả chuyển về"], counts["Chờ trả kết quả"]) == (1, 0)
        assert rows_of(client, "ket-qua-chuyen-ve") == [dossier.pk]

        services.receive_file(back.pk, actor=land.receiver)

        counts = dict(tabs_of(client))
        assert (counts["Kết quả chuyển về"], counts["Chờ trả kết quả"]) == (0, 1)
        assert Transfer.objects.filter(dossier=dossier, received_at__isnull=True).count() == 0


class TestDueSoon:
    def test_due_soon_follows_the_lead_time_setting(self, land: LandDesk, settings: Any) -> None:
        dossier = land.processing()  # due at 17:00 on Friday 18 December
        land.office.clock.advance(days=15, hours=8, minutes=30)  # Thursday 17th, 17:30
        client = land.office.client_for(land.quynhon.specialist)

        assert dict(tabs_of(client))["Sắp đến hạn"] == 1
        assert rows_of(client, "cv-sap-den-han") == [dossier.pk]
        assert (
            '<span class="badge soon">Sắp đến hạn</span>'
            in client.get(
                WORKLIST + "?tab=cv-sap-den-han-" + str(land.quynhon.agency.pk)
            ).content.decode()
        )

        settings.MOTCUA_DUE_SOON_HOURS = 12

        assert dict(tabs_of(client))["Sắp đến hạn"] == 0

    def test_a_dossier_waiting_for_its_obligations_is_neither_due_nor_late(
        self, land: LandDesk
    ) -> None:
        land.awaiting_obligations()  # the first appointment was 17:00 on 9 December
        land.office.clock.advance(days=20)
        counts = dict(tabs_of(land.office.client_for(land.pleiku.leader)))

        assert (counts["Sắp đến hạn"], counts["Quá hạn"]) == (0, 0)
        assert dict(tabs_of(land.office.client_for(land.receiver)))["Quá hạn"] == 0
        assert counts["Đang giải quyết tại đơn vị"] == 1
