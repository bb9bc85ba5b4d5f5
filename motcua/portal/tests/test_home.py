"""The home page: procedures on offer and the search for a service center."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from motcua.catalog.models import FeeItem, Procedure
from motcua.portal import selectors
from motcua.portal.tests.conftest import CENTER_SLUG, PROCEDURE, World

PLEIKU_CENTER = "Trung tâm Phục vụ hành chính công Phường Pleiku"


@pytest.mark.parametrize("query", ["pleiku", "Pleiku", "Plei Ku", "phuong pleiku", "Phường Pleiku"])
def test_search_variants_all_find_phuong_pleiku(world: World, query: str) -> None:
    names = [center.name for center in selectors.search_centers(query)]

    assert names == [PLEIKU_CENTER]


def test_search_lists_gia_lai_centers_only(world: World) -> None:
    centers = selectors.search_centers("trung tâm", limit=1000)

    assert len(centers) == 136  # 135 communes and the provincial center
    assert centers[0].slug == "ttpvhcc-tinh-gia-lai"
    assert {c.province_id for c in centers} == {52}


def test_a_former_binh_dinh_commune_shows_its_former_province(world: World) -> None:
    response = Client().get(reverse("portal:center_search"), {"q": "quy nhon"})

    results = response.json()["results"]
    assert results
    assert {r["former_province"] for r in results} == {"Bình Định (cũ)"}


def test_json_search_answers_the_progressive_enhancement(world: World) -> None:
    response = Client().get(reverse("portal:center_search"), {"q": "Plei Ku"})

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "slug": CENTER_SLUG,
                "name": PLEIKU_CENTER,
                "former_province": "Gia Lai (cũ)",
                "provincial": False,
            }
        ]
    }


def test_empty_search_finds_nothing(world: World) -> None:
    assert Client().get(reverse("portal:center_search"), {"q": " - "}).json() == {"results": []}


class TestHomePage:
    def test_lists_procedures_with_field_time_limit_and_fee(self, world: World) -> None:
        response = Client().get(reverse("portal:home"))
        html = response.content.decode()

        assert response.status_code == 200
        assert "Cấp bản sao trích lục hộ tịch" in html
        assert "Hộ tịch" in html
        assert "Trong ngày (sau 15 giờ: ngày làm việc tiếp theo)" in html
        assert "8.000 đ × số bản sao yêu cầu" in html
        assert f'href="{reverse("portal:apply", args=[PROCEDURE])}"' in html
        assert f'href="{reverse("portal:track")}"' in html

    def test_search_then_choose_carries_the_center_to_the_form(self, world: World) -> None:
        client = Client()

        found = client.get(reverse("portal:home"), {"q": "phường pleiku"}).content.decode()
        chosen = client.get(reverse("portal:home"), {"center": CENTER_SLUG}).content.decode()

        assert PLEIKU_CENTER in found
        assert f"?center={CENTER_SLUG}#thu-tuc" in found
        assert f"{reverse('portal:apply', args=[PROCEDURE])}?center={CENTER_SLUG}" in chosen

    def test_english_names(self, world: World) -> None:
        client = Client()
        client.post(reverse("set_language"), {"language": "en", "next": "/"})

        html = client.get(reverse("portal:home")).content.decode()

        assert "Issuing copies of civil-status extracts" in html
        assert "Civil status" in html
        assert "8,000 VND" in html

    def test_query_count_does_not_grow_with_procedures(
        self, world: World, django_assert_max_num_queries: Any
    ) -> None:
        url = reverse("portal:home") + f"?q=pleiku&center={CENTER_SLUG}"
        shipped = Procedure.objects.filter(is_current=True).count()
        with CaptureQueriesContext(connection) as before:
            Client().get(url)
        _add_procedures(3)

        with django_assert_max_num_queries(4):
            response = Client().get(url)

        assert len(response.context["cards"]) == shipped + 3
        assert len(before.captured_queries) <= 4


def _add_procedures(count: int) -> None:
    template = Procedure.objects.get(code=PROCEDURE)
    for number in range(count):
        procedure = Procedure.objects.create(
            code=f"9.00000{number}",
            name_vi=f"Thủ tục thử {number}",
            name_en=f"Test procedure {number}",
            field_vi="Thử",
            field_en="Test",
            level="commune",
            competent_kind="commune_pc",
            deadline_kind="working_days",
            statutory_days=3,
            form_schema=template.form_schema,
        )
        FeeItem.objects.create(
            procedure=procedure,
            key="phi",
            name_vi="Phí",
            name_en="Fee",
            kind="phi",
            amount=10_000,
            valid_from=date(2020, 1, 1),
        )
