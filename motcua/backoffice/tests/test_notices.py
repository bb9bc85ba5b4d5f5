"""The officer's notices page (/mot-cua/thong-bao/): own notices only, unread first, each
linking to the dossier desk; marking one or all read.

The cast is the back office's (``conftest.py``): the clock stands at 09:00 on Wednesday
2 December 2026, when a civil-status copy taken into processing is due at 17:00 the same day.
The escalation (``motcua escalate``) creates the notices: at 09:00 "due soon" for the leader of
the Pleiku committee, at 18:00 "overdue" for the leader and the center's receiver.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.test import Client

from motcua.backoffice.tests.conftest import HCM, Office
from motcua.dossiers.models import Dossier, Notice
from motcua.dossiers.services.escalation import escalate

NOTICES = "/mot-cua/thong-bao/"
MARK_READ = "/mot-cua/thong-bao/da-doc/"
ROW = re.compile(r'<tr class="(read|unread)" data-notice="(\d+)">')
NAV_COUNT = re.compile(r'Thông báo <span class="badge late">(\d+)</span></a>')
SIX_PM = datetime(2026, 12, 2, 18, 0, tzinfo=HCM)


def rows(client: Client) -> list[tuple[str, int]]:
    response = client.get(NOTICES)
    assert response.status_code == 200
    return [(state, int(pk)) for state, pk in ROW.findall(response.content.decode())]


def nav_count(client: Client, url: str = NOTICES) -> int:
    match = NAV_COUNT.search(client.get(url).content.decode())
    return int(match.group(1)) if match else 0


@pytest.fixture
def late_day(office: Office) -> dict[str, Dossier]:
    """Two dossiers due at 17:00: warned at 09:00, overdue at 18:00."""
    first = office.dossier_in("processing")
    second = office.dossier_in("processing")
    escalate()
    office.clock.moment = SIX_PM
    escalate()
    return {"first": first, "second": second}


def notices_of(user: object, kind: str) -> list[Notice]:
    return list(Notice.objects.filter(user=user, kind=kind).order_by("dossier_id"))


def test_the_page_lists_the_officer_s_notices_with_links_to_the_desk(
    office: Office, late_day: dict[str, Dossier]
) -> None:
    client = office.client_for(office.leader)
    first = late_day["first"]

    response = client.get(NOTICES)

    page = response.content.decode()
    assert response.status_code == 200
    overdue = notices_of(office.leader, "overdue")
    soon = notices_of(office.leader, "due_soon")
    # Newest first: the 18:00 overdue notices, then the 09:00 due-soon ones.
    assert [pk for _, pk in rows(client)] == [
        overdue[1].pk,
        overdue[0].pk,
        soon[1].pk,
        soon[0].pk,
    ]
    assert f"Hồ sơ {first.code} đã quá hạn trả kết quả (hạn 17:00 02/12/2026)." in page
    assert f"Hồ sơ {first.code} sắp đến hạn trả kết quả: hạn 17:00 02/12/2026." in page
    assert f'<a class="code" href="/mot-cua/ho-so/{first.pk}/">{first.code}</a>' in page
    assert '<span class="badge late">Quá hạn</span>' in page
    assert '<span class="badge soon">Sắp đến hạn</span>' in page
    assert client.get(f"/mot-cua/ho-so/{first.pk}/").status_code == 200
    assert nav_count(client) == 4
    assert nav_count(client, "/mot-cua/") == 4


def test_marking_one_read_moves_it_after_the_unread(
    office: Office, late_day: dict[str, Dossier]
) -> None:
    client = office.client_for(office.leader)
    newest = notices_of(office.leader, "overdue")[1]

    response = client.post(MARK_READ, {"notice": newest.pk})

    assert response.status_code == 302 and response["Location"] == NOTICES
    newest.refresh_from_db()
    assert newest.read_at == SIX_PM
    listed = rows(client)
    assert listed[-1] == ("read", newest.pk)
    assert [state for state, _ in listed] == ["unread", "unread", "unread", "read"]
    assert nav_count(client) == 3


def test_marking_all_read(office: Office, late_day: dict[str, Dossier]) -> None:
    client = office.client_for(office.leader)

    response = client.post(MARK_READ, follow=True)

    assert "Đã đánh dấu 4 thông báo là đã đọc." in response.content.decode()
    assert set(Notice.objects.filter(user=office.leader).values_list("read_at", flat=True)) == {
        SIX_PM
    }
    assert [state for state, _ in rows(client)] == ["read"] * 4
    assert nav_count(client) == 0
    # The receiver's own notices stay unread.
    assert Notice.objects.filter(user=office.receiver, read_at__isnull=True).count() == 2


def test_an_outsider_sees_and_marks_none_of_another_s_notices(
    office: Office, late_day: dict[str, Dossier]
) -> None:
    client = office.client_for(office.outsider)
    leaders = notices_of(office.leader, "overdue")[0]

    page = client.get(NOTICES).content.decode()
    response = client.post(MARK_READ, {"notice": leaders.pk}, follow=True)
    client.post(MARK_READ)

    assert "Không có thông báo nào." in page
    assert late_day["first"].code not in page
    assert "Không tìm thấy thông báo." in response.content.decode()
    assert not Notice.objects.filter(read_at__isnull=False).exists()


def test_a_bad_notice_id_changes_nothing(office: Office, late_day: dict[str, Dossier]) -> None:
    client = office.client_for(office.leader)

    response = client.post(MARK_READ, {"notice": "abc"}, follow=True)

    assert "Thông báo không hợp lệ." in response.content.decode()
    assert not Notice.objects.filter(read_at__isnull=False).exists()


def test_marking_read_takes_a_post_and_a_login(
    office: Office, late_day: dict[str, Dossier]
) -> None:
    assert office.client_for(office.leader).get(MARK_READ).status_code == 405
    response = Client().get(NOTICES)
    assert response.status_code == 302
    assert response["Location"].startswith("/mot-cua/dang-nhap/")


def test_the_notices_page_costs_the_same_queries_for_4_or_22_notices(
    office: Office, late_day: dict[str, Dossier], django_assert_num_queries
) -> None:
    client = office.client_for(office.leader)
    client.get(NOTICES)  # the session is loaded the same way from now on

    # session, user, the page's count, the rows with their dossiers, memberships, unread count
    with django_assert_num_queries(6):
        assert len(ROW.findall(client.get(NOTICES).content.decode())) == 4
    for _ in range(18):
        office.dossier_in("processing")
    office.clock.moment = SIX_PM.replace(hour=19)
    escalate()
    with django_assert_num_queries(6):
        assert len(ROW.findall(client.get(NOTICES).content.decode())) == 22
