"""Dashboard, drill-down, measure page and exports, as leaders and administrators see them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from django.test import Client
from openpyxl import load_workbook

from motcua.conftest import PASSWORD, World
from motcua.dossiers.models import Dossier
from motcua.org.models import Agency, Role
from motcua.org.services import add_staff
from motcua.reports import selectors
from motcua.reports.definitions import STATISTICS
from motcua.reports.tests.scenario import Builder, Month, at, build_month

pytestmark = pytest.mark.usefixtures("stub_pdfs")
MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def month(world: World, set_now: Callable[[datetime], None]) -> Month:
    built = build_month(world, set_now)
    set_now(at(15, 12, month=4))
    return built


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def provincial_leader(world: World) -> Any:
    center = Agency.objects.get(slug="ttpvhcc-tinh-gia-lai")
    return add_staff(
        username="ld.ttpvhcc-tinh-gia-lai",
        full_name="Lãnh đạo Trung tâm tỉnh",
        agency=center,
        role=Role.LEADER,
        password_hash=PASSWORD,
    )


def test_province_dashboard_ranks_the_communes(
    world: World, month: Month, provincial_leader: Any
) -> None:
    response = client_for(provincial_leader).get(f"/mot-cua/bao-cao/?{MARCH}")

    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 135
    assert [row.label for row in rows[:2]] == [world.quynhon.ward.name, world.pleiku.ward.name]
    html = response.content.decode()
    assert "Xếp hạng xã, phường theo tỷ lệ đúng hạn" in html
    assert "55,6%" in html  # Pleiku: 5 of 9 on time
    assert "<svg" in html and "https://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_dashboard_query_count_does_not_grow_with_dossiers(
    world: World,
    month: Month,
    provincial_leader: Any,
    set_now: Callable[[datetime], None],
    django_assert_num_queries: Any,
) -> None:
    client = client_for(provincial_leader)
    client.get(f"/mot-cua/bao-cao/?{MARCH}")  # session and user warmed alike below
    with django_assert_num_queries(QUERIES):
        client.get(f"/mot-cua/bao-cao/?{MARCH}")

    builder = Builder(world, set_now)
    for day in (10, 11, 12):
        builder.approve(builder.received(at(day, 9), world.quynhon), at(day, 10))
    builder.received(at(13, 9))
    set_now(at(15, 12, month=4))
    with django_assert_num_queries(QUERIES):
        response = client.get(f"/mot-cua/bao-cao/?{MARCH}")
    assert response.context["total"].count("received") == 13


# session, user, memberships, unread notices, the counts (day totals, dossiers counted live,
# dossiers of those days settled since), communes
QUERIES = 8


def test_unit_leader_sees_only_the_commune(world: World, month: Month) -> None:
    response = client_for(world.pleiku.leader).get(f"/mot-cua/bao-cao/?{MARCH}")

    assert response.status_code == 200
    assert [row.label for row in response.context["rows"]] == [world.pleiku.ward.name]
    assert response.context["total"].count("received") == 8
    assert (
        client_for(world.quynhon.leader)
        .get(f"/mot-cua/bao-cao/?{MARCH}")
        .context["total"]
        .count("received")
        == 1
    )


def test_officers_without_a_leading_role_do_not_see_reports(world: World, month: Month) -> None:
    assert client_for(world.pleiku.receiver).get("/mot-cua/bao-cao/").status_code == 404
    assert (
        client_for(world.outsider).get("/mot-cua/bao-cao/ho-so/?figure=received").status_code == 404
    )
    assert Client().get("/mot-cua/bao-cao/").status_code == 302


def test_drill_into_the_late_dossiers_of_pleiku(world: World, month: Month) -> None:
    client = client_for(world.admin)
    ward = world.pleiku.ward.code
    response = client.get(
        f"/mot-cua/bao-cao/ho-so/?{MARCH}&figure=resolved_late&group=ward&key={ward}"
    )

    codes = {d.code for d in response.context["page"].object_list}
    assert codes == {month[n].code for n in ("J", "B", "D")}

    measure = client.get(f"/mot-cua/bao-cao/ho-so/{month['B'].pk}/?{MARCH}")
    assert measure.context["late"] is True
    html = measure.content.decode()
    assert "Trễ hạn" in html and "17:00 02/03/2026" in html  # the appointment


def test_the_measure_page_as_of_a_past_date(world: World, month: Month) -> None:
    client = client_for(world.admin)
    response = client.get(f"/mot-cua/bao-cao/ho-so/{month['C'].pk}/?{MARCH}&as_of=2026-03-04")

    dossier = response.context["dossier"]
    assert dossier.r_state == "supplement_requested"
    assert dossier.r_ended_at is None
    assert response.context["late"] is False  # measured at the request, 09:30 ≤ 17:00


def test_bad_period_is_named(world: World, month: Month) -> None:
    response = client_for(world.admin).get("/mot-cua/bao-cao/?from=2026-03-31&to=2026-03-01")

    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["“Đến ngày” phải từ “Từ ngày” trở đi."]
    bad = client_for(world.admin).get("/mot-cua/bao-cao/?from=31-03-2026")
    assert [str(m) for m in bad.context["messages"]] == ["“from” phải là ngày dạng YYYY-MM-DD."]
    assert client_for(world.admin).get("/mot-cua/bao-cao/ho-so/?figure=nope").status_code == 404
    assert client_for(world.admin).get("/mot-cua/bao-cao/xuat.pdf").status_code == 404
    # An export of another period than the one asked for would mislead: it is refused.
    export = client_for(world.admin).get("/mot-cua/bao-cao/xuat.csv?from=2026-04-01&to=2026-03-01")
    assert export.status_code == 422
    assert "“Đến ngày” phải từ “Từ ngày” trở đi." in export.content.decode()
    assert "period_order" in export.content.decode()


def test_month_exports_open_with_vietnamese_headers(world: World, month: Month) -> None:
    client = client_for(world.admin)
    response = client.get(f"/mot-cua/bao-cao/xuat.xlsx?{MARCH}&group=ward")

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[2])
    assert headers[:4] == ["Hạng", "Đơn vị", "Kỳ trước chuyển sang", "Tiếp nhận trong kỳ"]
    by_unit = {row[1]: dict(zip(headers, row, strict=True)) for row in rows[3:]}
    pleiku = by_unit[world.pleiku.ward.name]
    assert pleiku["Tiếp nhận trong kỳ"] == 8
    assert pleiku["Đã giải quyết trễ hạn"] == 3
    assert pleiku["Tỷ lệ đúng hạn (%)"] == pytest.approx(55.6)
    assert pleiku["Hạng"] == 2
    assert by_unit["Tổng cộng"]["Tiếp nhận trong kỳ"] == 9
    assert len(rows) == 3 + 135 + 1

    text = client.get(f"/mot-cua/bao-cao/xuat.csv?{MARCH}&group=former_province").content.decode()
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0][:2] == ["Đơn vị", "Kỳ trước chuyển sang"]
    assert {row[0]: row[2] for row in table[1:]} == {
        "Bình Định (cũ)": "1",
        "Gia Lai (cũ)": "8",
        "Tổng cộng": "9",
    }
    assert "064090001234" not in text and "Nguyễn Văn An" not in text


def test_api_gives_the_same_figures(world: World, month: Month) -> None:
    client = client_for(world.pleiku.leader)
    response = client.get(f"/api/reports/indicators?{MARCH}&group=ward")

    assert response.status_code == 200
    body = response.json()
    assert body["period"]["first_day"] == "2026-03-01"
    [row] = body["rows"]
    assert row["key"] == world.pleiku.ward.code
    assert row["figures"]["resolved_late"] == 3
    assert row["indicators"]["on_time"] == "55.6"
    assert client.get(f"/api/reports/indicators?{MARCH}&group=province").status_code == 404
    bad = client.get("/api/reports/indicators?from=hom-nay")
    assert (bad.status_code, bad.json()["field"]) == (422, "from")
    assert Client().get("/api/reports/indicators").status_code == 401


def test_api_rating_once(world: World, month: Month) -> None:
    token = {"HTTP_X_DOSSIER_TOKEN": month["P"].access_token}
    url = "/api/dossiers/by-token/rating"
    first = Client().post(url, {"satisfied": True}, content_type="application/json", **token)
    assert first.status_code == 201 and first.json()["satisfied"] is True
    again = Client().post(url, {"satisfied": False}, content_type="application/json", **token)
    assert (again.status_code, again.json()["code"]) == (409, "already_rated")
    complaint = Client().post(
        "/api/dossiers/by-token/complaints",
        {"content": ""},
        content_type="application/json",
        **token,
    )
    assert (complaint.status_code, complaint.json()["field"]) == (422, "content")


def test_dashboard_and_export_in_english(world: World, month: Month) -> None:
    client = client_for(world.admin)
    client.cookies["django_language"] = "en"
    html = client.get(f"/mot-cua/bao-cao/?{MARCH}").content.decode()
    assert "Province dashboard" in html and "Ranking of communes by on-time rate" in html
    assert "55.6%" in html
    text = client.get(f"/mot-cua/bao-cao/xuat.csv?{MARCH}&group=procedure").content.decode()
    assert text.lstrip("\ufeff").startswith("Unit,Carried over,Received in the period")


def test_the_tables_link_each_count_to_its_dossiers(world: World, month: Month) -> None:
    """The two long tables are written in Python (``reports.tables``): each cell holds the
    row's figure, and each link opens the dossiers it counts."""
    client = client_for(world.admin)
    response = client.get(f"/mot-cua/bao-cao/?{MARCH}")
    page = lxml.html.fromstring(response.content)
    ward = world.pleiku.ward.code
    pleiku = next(row for row in response.context["rows"] if row.key == ward)

    [ranked] = page.xpath(f'//table[@id="ranking"]/tbody/tr[@data-key="{ward}"]')
    cells = [cell.text_content() for cell in ranked.xpath("td|th")]
    # Nothing reached the portal (no peer in the cast); 5 of 9 on time.
    assert cells[:4] == ["2", world.pleiku.ward.name, "0,0%", "55,6%"]
    [late] = ranked.xpath("td/a")
    assert late.get("title") == "Hồ sơ trễ hạn"
    drilled = client.get(late.get("href")).context["page"].object_list
    assert len(drilled) == pleiku.count("timed_late") == 4

    [counted] = page.xpath(f'//table[@id="statistics"]/tbody/tr[@data-key="{ward}"]')
    values = [int(cell.text_content()) for cell in counted.xpath("td")]
    assert values == [pleiku.count(item.key) for item in STATISTICS]
    assert values[1] == 8  # received
    links = {
        parse_qs(urlsplit(a.get("href")).query)["figure"][0]: a.get("href")
        for a in counted.xpath("td/a")
    }
    assert len(links) == sum(1 for value in values if value)
    late_ones = client.get(links["resolved_late"]).context["page"].object_list
    assert {d.code for d in late_ones} == {month[n].code for n in ("J", "B", "D")}

    [total] = page.xpath('//table[@id="statistics"]/tfoot/tr')
    totals = [int(cell.text_content()) for cell in total.xpath("td")]
    assert totals == [response.context["total"].count(item.key) for item in STATISTICS]
    received = total.xpath("td/a")[1].get("href")
    assert "group=province" in received and "key=" not in received
    assert len(client.get(received).context["page"].object_list) == 9


@pytest.mark.parametrize("grouping", ["ward", "agency", "procedure"])
def test_a_units_rows_are_found_by_the_units_they_keep(
    world: World, month: Month, grouping: str
) -> None:
    """A unit's dashboard finds its facts rows by their own units (``Scope.facts``): the same
    figures as through its dossiers, and as the history."""
    scope = selectors.scope_of(world.pleiku.leader)
    dossiers = scope.filter(Dossier.objects.all())
    period = selectors.parse_period("2026-03-01", "2026-03-31", None)
    by_units = selectors.aggregate(dossiers, period, grouping, scope=scope)
    assert by_units == selectors.aggregate(dossiers, period, grouping)
    history = selectors.aggregate(dossiers, period, grouping, history=True)
    assert {k: v["received"] for k, v in by_units.items()} == {
        k: v["received"] for k, v in history.items()
    }
    assert sum(values["received"] for values in by_units.values()) == 8
