"""The worklist: tabs by role and unit, rows within the officer's units, deadline badges."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from motcua.backoffice.selectors import deadline_badge
from motcua.backoffice.tests.conftest import WEDNESDAY_9AM, Office
from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.dossiers.states import State

WORKLIST = "/mot-cua/"
TAB = re.compile(r'data-tab="([^"]+)"[^>]*>([^<]+)<span class="count">(\d+)</span>')
ROW_CODE = re.compile(r'<a class="code" href="/mot-cua/ho-so/(\d+)/">')


def tabs_of(client: Client) -> list[tuple[str, int]]:
    page = client.get(WORKLIST).content.decode()
    return [(label, int(count)) for _key, label, count in TAB.findall(page)]


def tab_url(client: Client, key: str) -> str:
    page = client.get(WORKLIST).content.decode()
    match = re.search(rf'href="(\?tab={key}-\d+)"', page)
    assert match, f"no tab {key}"
    return WORKLIST + match.group(1)


def rows_of(client: Client, key: str, page: int = 1) -> list[int]:
    response = client.get(tab_url(client, key) + f"&page={page}")
    assert response.status_code == 200
    return [int(pk) for pk in ROW_CODE.findall(response.content.decode())]


@pytest.fixture
def desk_day(office: Office) -> dict[str, Dossier]:
    """One dossier of An's in each state a Pleiku officer meets, all received at 09:00."""
    dossiers = {
        state: office.dossier_in(state)
        for state in (
            "submitted",
            "awaiting_payment",
            "accepted",
            "processing",
            "awaiting_approval",
            "approved",
        )
    }
    waiting = office.submit()
    dossiers["supplement_requested"] = services.request_supplement(
        waiting.pk,
        actor=office.receiver,
        items=["Bản chụp CCCD của người yêu cầu"],
        reason="Thiếu giấy tờ tùy thân.",
    )
    return dossiers


def test_the_receiver_sees_the_reception_tabs_with_their_counts(
    office: Office, desk_day: dict[str, Dossier]
) -> None:
    client = office.client_for(office.receiver)

    assert tabs_of(client) == [
        ("Mới nộp", 1),
        ("Chờ bổ sung", 1),
        ("Chờ nộp phí", 1),
        ("Chờ chuyển hồ sơ", 0),
        ("Kết quả chuyển về", 0),
        ("Chờ trả kết quả", 1),
        ("Đến hạn hôm nay", 4),
        ("Sắp đến hạn", 4),
        ("Quá hạn", 0),
    ]
    assert rows_of(client, "moi-nop") == [desk_day["submitted"].pk]
    assert rows_of(client, "cho-bo-sung") == [desk_day["supplement_requested"].pk]
    assert rows_of(client, "cho-nop-phi") == [desk_day["awaiting_payment"].pk]
    assert rows_of(client, "cho-tra-ket-qua") == [desk_day["approved"].pk]


def test_the_specialist_sees_what_waits_for_a_specialist_and_what_is_theirs(
    office: Office, desk_day: dict[str, Dossier]
) -> None:
    quan_s = office.dossier_in("accepted")
    services.assign(quan_s.pk, actor=office.leader, assignee_id=office.second_specialist.pk)
    client = office.client_for(office.specialist)

    assert tabs_of(client) == [
        ("Chờ nhận xử lý", 1),
        ("Đang xử lý", 1),
        ("Xin ý kiến chờ trả lời", 0),
        ("Đến hạn hôm nay", 2),
        ("Sắp đến hạn", 2),
        ("Quá hạn", 0),
    ]
    assert rows_of(client, "cho-nhan-xu-ly") == [desk_day["accepted"].pk]
    assert rows_of(client, "dang-xu-ly") == [desk_day["processing"].pk]
    assert quan_s.pk in rows_of(office.client_for(office.second_specialist), "dang-xu-ly")


def test_the_leader_sees_approvals_and_the_whole_unit(
    office: Office, desk_day: dict[str, Dossier]
) -> None:
    client = office.client_for(office.leader)

    assert tabs_of(client) == [
        ("Chờ phê duyệt", 1),
        ("Đang giải quyết tại đơn vị", 3),
        ("Sắp đến hạn", 3),
        ("Quá hạn", 0),
    ]
    assert rows_of(client, "cho-phe-duyet") == [desk_day["awaiting_approval"].pk]
    assert rows_of(client, "dang-giai-quyet") == [
        desk_day["accepted"].pk,
        desk_day["processing"].pk,
        desk_day["awaiting_approval"].pk,
    ]


def test_after_five_in_the_afternoon_the_open_dossiers_are_overdue(
    office: Office, desk_day: dict[str, Dossier]
) -> None:
    office.clock.advance(hours=9)
    receiver = office.client_for(office.receiver)

    assert dict(tabs_of(receiver))["Quá hạn"] == 3
    assert dict(tabs_of(receiver))["Đến hạn hôm nay"] == 0
    assert dict(tabs_of(office.client_for(office.leader)))["Quá hạn"] == 3
    assert dict(tabs_of(office.client_for(office.specialist)))["Quá hạn"] == 2
    page = receiver.get(tab_url(receiver, "tn-qua-han")).content.decode()
    assert page.count('<span class="badge late">Quá hạn</span>') == 3


def test_a_row_shows_code_procedure_applicant_times_badge_and_state(
    office: Office, desk_day: dict[str, Dossier]
) -> None:
    client = office.client_for(office.receiver)
    dossier = desk_day["approved"]

    page = client.get(tab_url(client, "cho-tra-ket-qua")).content.decode()

    assert f">{dossier.code}</a>" in page
    assert "Cấp bản sao trích lục hộ tịch" in page
    assert "Nguyễn Văn An" in page
    assert "Nhận: 09:00 02/12/2026" in page
    assert "Hạn: 17:00 02/12/2026" in page
    assert '<span class="badge ok">Xong, đúng hạn</span>' in page
    assert '<span class="state done">Đã có kết quả</span>' in page


def test_an_outsider_sees_nothing_of_pleiku(office: Office, desk_day: dict[str, Dossier]) -> None:
    client = office.client_for(office.outsider)

    assert [count for _label, count in tabs_of(client)] == [0] * 9
    for dossier in desk_day.values():
        assert dossier.code not in client.get(WORKLIST).content.decode()


def test_a_tab_of_another_unit_in_the_query_string_falls_back_to_ones_own(
    office: Office, desk_day: dict[str, Dossier]
) -> None:
    pleiku_new = tab_url(office.client_for(office.receiver), "moi-nop")
    client = office.client_for(office.outsider)

    page = client.get(pleiku_new).content.decode()

    assert desk_day["submitted"].code not in page
    assert "Không có hồ sơ nào trong mục này." in page


def test_the_worklist_is_paginated_by_25(office: Office) -> None:
    for _ in range(27):
        office.submit()
    client = office.client_for(office.receiver)

    assert len(rows_of(client, "moi-nop")) == 25
    assert len(rows_of(client, "moi-nop", page=2)) == 2
    assert "Trang 1/2" in client.get(tab_url(client, "moi-nop")).content.decode()


@pytest.mark.parametrize(
    ("role", "state"),
    [("receiver", "submitted"), ("specialist", "accepted"), ("leader", "awaiting_approval")],
)
def test_the_worklist_costs_the_same_queries_for_3_or_30_dossiers(
    office: Office, role: str, state: str, django_assert_num_queries
) -> None:
    """The first tab of each role is full of ``state`` dossiers, so the rows are queried."""
    client = office.client_for(getattr(office, role))
    for _ in range(3):
        office.dossier_in(state)
    client.get(WORKLIST)  # the session is loaded the same way from now on

    # session, user, memberships, one count for all tabs, the page's count, the rows, and the
    # navigation's unread notices
    with django_assert_num_queries(7):
        response = client.get(WORKLIST)
    assert len(ROW_CODE.findall(response.content.decode())) == 3
    for _ in range(27):
        office.dossier_in(state)
    with django_assert_num_queries(7):
        response = client.get(WORKLIST)
    assert len(ROW_CODE.findall(response.content.decode())) == 25


def test_the_english_switch_gives_english_tab_names(
    office: Office, desk_day: dict[str, Dossier]
) -> None:
    client = office.client_for(office.receiver)

    response = client.post("/i18n/setlang/", {"language": "en", "next": WORKLIST})

    assert response.status_code == 302
    labels = [label for label, _count in tabs_of(client)]
    assert [labels[index] for index in (0, 1, 2, 5, 6, 8)] == [
        "New",
        "Awaiting supplement",
        "Awaiting payment",
        "Result to return",
        "Due today",
        "Overdue",
    ]
    assert '<html lang="en">' in client.get(WORKLIST).content.decode()


def test_a_user_without_a_role_is_told_so(office: Office) -> None:
    from motcua.org.models import User

    nobody = User.objects.create(username="khach", full_name="Khách")

    page = office.client_for(nobody).get(WORKLIST).content.decode()

    assert "chưa được phân vai trò" in page


def test_the_province_admin_sees_every_dossier(
    office: Office, desk_day: dict[str, Dossier]
) -> None:
    client = office.client_for(office.world.admin)

    assert tabs_of(client) == [("Tất cả hồ sơ", 7), ("Quá hạn", 0)]


class TestDeadlineBadge:
    """The badge compares the due time with now, or with the end of processing."""

    due = WEDNESDAY_9AM + timedelta(hours=8)

    def badge(self, **fields) -> tuple[str, str] | None:
        dossier = Dossier(state=fields.pop("state", State.PROCESSING), **fields)
        badge = deadline_badge(dossier, WEDNESDAY_9AM)
        return (badge.kind, str(badge.label)) if badge else None

    def test_no_badge_before_the_clock_starts(self) -> None:
        assert self.badge(due_at=None, state=State.SUBMITTED) is None

    def test_late_soon_and_on_time(self) -> None:
        assert self.badge(due_at=WEDNESDAY_9AM - timedelta(minutes=1)) == ("late", "Quá hạn")
        assert self.badge(due_at=self.due) == ("soon", "Sắp đến hạn")
        assert self.badge(due_at=WEDNESDAY_9AM + timedelta(days=1)) == ("soon", "Sắp đến hạn")
        assert self.badge(due_at=WEDNESDAY_9AM + timedelta(days=1, minutes=1)) == (
            "ok",
            "Trong hạn",
        )

    def test_finished_dossiers_are_judged_by_their_end(self) -> None:
        early = WEDNESDAY_9AM - timedelta(hours=1)
        assert self.badge(due_at=self.due, finished_at=early, state=State.APPROVED) == (
            "ok",
            "Xong, đúng hạn",
        )
        late = self.due + timedelta(minutes=5)
        assert self.badge(due_at=self.due, finished_at=late, state=State.STOPPED) == (
            "late",
            "Xong, trễ hạn",
        )

    def test_a_dossier_waiting_for_a_supplement_is_paused(self) -> None:
        assert self.badge(due_at=self.due, state=State.SUPPLEMENT_REQUESTED) == (
            "",
            "Tạm dừng chờ bổ sung",
        )
