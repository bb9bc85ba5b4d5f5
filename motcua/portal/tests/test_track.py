"""The public status page: by dossier code, without personal data; the way to the dossier page
with the code and the requester's ID number."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier
from motcua.portal.tests.conftest import AN_FORM, AN_ID, EM_FORM, World

NEUTRAL = "Không tìm thấy hồ sơ với mã và số định danh này."


def _track(code: str, client: Client | None = None) -> Any:
    return (client or Client()).get(reverse("portal:track"), {"code": code})


def _personal_data(dossier: Dossier) -> list[str]:
    return [
        dossier.applicant_name,
        dossier.applicant_id_number,
        dossier.applicant_phone,
        dossier.applicant_address,
        dossier.access_token,
    ]


class TestStatus:
    def test_shows_procedure_center_state_and_dates(self, world: World) -> None:
        dossier = world.accepted()

        response = _track(dossier.code)
        html = response.content.decode()

        assert response.status_code == 200
        assert "Cấp bản sao trích lục hộ tịch" in html
        assert "Trung tâm Phục vụ hành chính công Phường Pleiku" in html
        assert "Đã tiếp nhận" in html
        assert timezone.localtime(dossier.accepted_at).strftime("%H:%M %d/%m/%Y") in html
        assert timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y") in html
        assert "Đã nhận phí, lệ phí; hồ sơ được tiếp nhận" in html

    def test_the_code_is_found_whatever_its_case_and_spaces(self, world: World) -> None:
        dossier = world.submit()

        response = _track(f"  {dossier.code.lower()} ")

        assert response.context["found"] == dossier

    def test_no_personal_data_appears(self, world: World) -> None:
        dossier = dossiers.request_supplement(
            world.submit().pk,
            actor=world.binh,
            items=["Văn bản ủy quyền có chứng thực"],
            reason="Người yêu cầu không phải người được cấp trích lục.",
        )
        dossiers.withdraw(
            dossier.pk, access_token=dossier.access_token, reason="Tôi, Nguyễn Văn An, đổi ý."
        )

        html = _track(dossier.code).content.decode()

        for value in _personal_data(dossier):
            assert value not in html
        assert "Trần Thị Bình" not in html
        assert "Người yêu cầu không phải người được cấp trích lục." in html
        assert "Văn bản ủy quyền có chứng thực" in html
        assert "Người nộp đã rút hồ sơ" in html

    def test_unknown_code(self, world: World) -> None:
        html = _track("H52.23575.01-000000-9999").content.decode()

        assert "Không tìm thấy hồ sơ có mã “H52.23575.01-000000-9999”." in html

    def test_query_count_does_not_grow_with_the_history(
        self, world: World, django_assert_max_num_queries: Any
    ) -> None:
        short = world.submit(EM_FORM)
        long = world.approved()

        with django_assert_max_num_queries(3):
            _track(short.code)
        with django_assert_max_num_queries(3):
            response = _track(long.code)

        assert len(response.context["timeline"]) == 6


class TestOpenByIdNumber:
    def test_code_and_id_number_open_the_dossier_page(self, world: World) -> None:
        dossier = world.submit()

        response = Client().post(
            reverse("portal:track"), {"code": dossier.code, "id_number": AN_ID}
        )

        assert response.status_code == 302
        assert response.url == reverse("portal:dossier", args=[dossier.access_token])

    def test_wrong_id_and_wrong_code_answer_alike(self, world: World) -> None:
        dossier = world.submit()
        wrong_id = Client().post(
            reverse("portal:track"), {"code": dossier.code, "id_number": "064090009999"}
        )
        wrong_code = Client().post(
            reverse("portal:track"), {"code": dossier.code + "9", "id_number": AN_ID}
        )

        for response in (wrong_id, wrong_code):
            assert response.status_code == 422
            assert response.context["download_form"].errors == {"__all__": [NEUTRAL]}
            assert NEUTRAL in response.content.decode()
            assert dossier.access_token not in response.content.decode()

    def test_an_id_number_of_the_wrong_shape_is_named(self, world: World) -> None:
        dossier = world.submit()

        response = Client().post(
            reverse("portal:track"), {"code": dossier.code, "id_number": "12345"}
        )

        assert response.context["download_form"].errors == {
            "id_number": ["Số định danh cá nhân phải gồm đúng 12 chữ số."]
        }
        assert AN_FORM["requester_name"] not in response.content.decode()
