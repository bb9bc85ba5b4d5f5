"""Forms printed on demand from the desk and the worklist: the processing control sheet (Mẫu 05)
of a dossier and the dossier register (Mẫu 06) of a unit for a period.

The land cast of ``conftest.py``; the clock stands at 09:00 on Wednesday 2 December 2026. The
PDFs are read back with poppler's ``pdftotext`` (skipped where poppler is missing).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client

from motcua.backoffice.tests.conftest import LandDesk
from motcua.backoffice.tests.test_desk import desk_url, messages_of
from motcua.dossiers.tests.test_pdf import pdf_text

REGISTER = "/mot-cua/so-theo-doi/"


def control_sheet_url(dossier_id: int) -> str:
    return f"/mot-cua/ho-so/{dossier_id}/phieu-kiem-soat/"


def text_of(response, tmp_path: Path) -> str:
    """The PDF's text without spaces: a long code may wrap anywhere in a table cell."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "form.pdf"
    path.write_bytes(response.content)
    return "".join(pdf_text(path).split())


def squeezed(text: str) -> str:
    return "".join(text.split())


class TestControlSheet:
    def test_the_desk_links_it_and_it_lists_the_hand_overs(
        self, land: LandDesk, tmp_path: Path
    ) -> None:
        dossier, transfer = land.in_transit()
        client = land.office.client_for(land.receiver)

        page = client.get(desk_url(dossier)).content.decode()
        response = client.get(control_sheet_url(dossier.pk))

        assert f'href="{control_sheet_url(dossier.pk)}"' in page
        assert "Phiếu kiểm soát (Mẫu 05)" in page
        assert response["Content-Disposition"] == (
            f'inline; filename="{dossier.code}-phieu-kiem-soat.pdf"'
        )
        text = text_of(response, tmp_path)
        assert squeezed(dossier.code) in text
        assert squeezed("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ") in text.upper()
        assert squeezed("Chi nhánh Văn phòng Đăng ký đất đai khu vực Quy Nhơn") in text

    def test_a_consulted_agency_may_print_it_too(self, land: LandDesk, tmp_path: Path) -> None:
        from motcua.dossiers import services

        dossier = land.processing()
        services.request_consultation(
            dossier.pk, actor=land.quynhon.specialist, agency_id=land.department.pk,
            question="Quy hoạch?", days=3,
        )  # fmt: skip

        response = land.office.client_for(land.department_officer).get(
            control_sheet_url(dossier.pk)
        )

        assert squeezed(dossier.code) in text_of(response, tmp_path)

    def test_a_dossier_not_yet_received_has_none(self, land: LandDesk) -> None:
        dossier = land.office.submit()
        client = land.office.client_for(land.receiver)

        response = client.get(control_sheet_url(dossier.pk), follow=True)

        assert response.redirect_chain == [(desk_url(dossier), 302)]
        assert messages_of(response) == [
            f"Hồ sơ {dossier.code} chưa được tiếp nhận: chưa có phiếu kiểm soát."
        ]
        assert "Phiếu kiểm soát (Mẫu 05)" not in response.content.decode()

    def test_the_outsider_gets_404(self, land: LandDesk) -> None:
        dossier = land.received()

        response = land.office.client_for(land.office.outsider).get(control_sheet_url(dossier.pk))

        assert response.status_code == 404


class TestDossierRegister:
    def test_the_worklist_offers_this_month_for_the_officers_unit(self, land: LandDesk) -> None:
        page = land.office.client_for(land.receiver).get("/mot-cua/").content.decode()

        form = page[page.index('class="register-form"') :]
        assert "Sổ theo dõi hồ sơ (Mẫu 06)" in page
        assert (
            f'<input type="hidden" name="unit" value="{land.office.world.pleiku.center.pk}"' in form
        )
        assert 'name="start" value="2026-12-01"' in form
        assert 'name="end" value="2026-12-02"' in form

    def test_the_register_lists_the_units_dossiers(self, land: LandDesk, tmp_path: Path) -> None:
        split = land.received()
        civil = land.office.dossier_in("accepted")
        center = land.office.world.pleiku.center

        response = land.office.client_for(land.receiver).get(
            REGISTER, {"unit": center.pk, "start": "2026-12-01", "end": "2026-12-31"}
        )

        text = text_of(response, tmp_path)
        assert squeezed(split.code) in text
        assert squeezed(civil.code) in text
        assert squeezed("SỔ THEO DÕI HỒ SƠ") in text.upper()

    def test_the_branch_register_holds_the_dossiers_it_decides(
        self, land: LandDesk, tmp_path: Path
    ) -> None:
        split = land.received()
        civil = land.office.dossier_in("accepted")

        response = land.office.client_for(land.quynhon.specialist).get(
            REGISTER, {"unit": land.quynhon.agency.pk, "start": "02/12/2026", "end": "02/12/2026"}
        )

        text = text_of(response, tmp_path)
        assert squeezed(split.code) in text
        assert squeezed(civil.code) not in text

    def test_bad_periods_name_the_field(self, land: LandDesk) -> None:
        client = land.office.client_for(land.receiver)
        unit = land.office.world.pleiku.center.pk

        def errors(**query: object) -> list[tuple[str, str]]:
            response = client.get(REGISTER, {"unit": unit, **query})
            assert response.status_code == 422
            page = response.content.decode()
            assert "Chưa in được sổ: vui lòng sửa các mục được đánh dấu bên dưới." in page
            return re.findall(r'id="id_register_(\w+)_error"><li>([^<]+)</li>', page)

        assert errors(start="2026-12-31", end="2026-12-01") == [
            ("end", "“Đến ngày” phải cùng hoặc sau “Từ ngày”.")
        ]
        assert errors(start="2026-01-01", end="2027-01-02") == [
            ("end", "Mỗi lần in sổ tối đa 366 ngày; hãy chọn khoảng ngắn hơn.")
        ]
        assert errors(start="2026-02-30", end="") == [
            ("start", "“Từ ngày” phải là một ngày (ngày/tháng/năm)."),
            ("end", "“Đến ngày” là bắt buộc."),
        ]
        longest = client.get(REGISTER, {"unit": unit, "start": "2026-01-01", "end": "2027-01-01"})
        assert (longest.status_code, longest["Content-Type"]) == (200, "application/pdf")

    def test_a_unit_of_someone_else_is_refused(self, land: LandDesk) -> None:
        response = land.office.client_for(land.receiver).get(
            REGISTER,
            {"unit": land.quynhon.agency.pk, "start": "2026-12-01", "end": "2026-12-02"},
        )

        assert response.status_code == 422
        assert "“Đơn vị” phải là một trong các lựa chọn của biểu mẫu." in response.content.decode()

    def test_someone_without_a_unit_meets_a_missing_page(self, land: LandDesk) -> None:
        from motcua.org.models import User

        nobody = User.objects.create(username="khach", full_name="Khách")
        client = Client()
        client.force_login(nobody)

        assert client.get(REGISTER).status_code == 404
