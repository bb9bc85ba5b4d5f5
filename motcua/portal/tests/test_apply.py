"""Filing a dossier online through the portal: the e-form, attachments, fees, bad inputs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from motcua.dossiers.models import Dossier, DossierFile, FileKind
from motcua.portal.tests.conftest import (
    AN_FORM,
    CENTER_SLUG,
    EXE_BYTES,
    PDF_BYTES,
    PROCEDURE,
    World,
    form_token,
)


def _post(client: Client, world: World, form: dict[str, Any], **extra: Any) -> Any:
    url = f"{world.apply_url()}?center={CENTER_SLUG}"
    data = {"center": CENTER_SLUG, "form_token": form_token(client, url), **form, **extra}
    return client.post(world.apply_url(), data)


def _errors(response: Any) -> dict[str, list[str]]:
    return {name: list(messages) for name, messages in response.context["form"].errors.items()}


class TestChooseCenter:
    def test_without_center_the_page_asks_where_to_file(self, world: World) -> None:
        response = Client().get(world.apply_url())

        assert response.status_code == 200
        assert response.templates[0].name == "portal/apply_center.html"
        assert "Trung tâm Phục vụ hành chính công tỉnh Gia Lai" in response.content.decode()

    def test_search_lists_matching_centers_with_a_link_to_the_form(self, world: World) -> None:
        response = Client().get(world.apply_url(), {"q": "plei ku"})

        names = [c.name for c in response.context["centers"]]
        assert names == ["Trung tâm Phục vụ hành chính công Phường Pleiku"]
        assert f'href="{world.apply_url()}?center={CENTER_SLUG}"' in response.content.decode()
        assert "Gia Lai (cũ)" in response.content.decode()

    def test_an_unknown_center_in_the_link_goes_back_to_the_choice(self, world: World) -> None:
        response = Client().get(world.apply_url(), {"center": "ttpvhcc-99999"})

        assert response.templates[0].name == "portal/apply_center.html"
        assert "Không có Trung tâm Phục vụ hành chính công nào như đã chọn trong tỉnh." in (
            response.content.decode()
        )

    def test_unknown_procedure_is_not_found(self, world: World) -> None:
        assert Client().get(reverse("portal:apply", args=["9.999999"])).status_code == 404


class TestEForm:
    def test_the_form_follows_the_schema_and_the_documents(self, world: World) -> None:
        response = Client().get(world.apply_url(), {"center": CENTER_SLUG})
        html = response.content.decode()

        assert response.status_code == 200
        assert "Trung tâm Phục vụ hành chính công Phường Pleiku" in html
        for name in AN_FORM:
            assert f'name="{name}"' in html
        assert 'type="date" name="requester_birth_date"' in html
        assert 'type="tel" name="requester_phone"' in html
        assert '<option value="self">Bản thân</option>' in html
        assert 'name="tep_identity_document"' in html
        assert 'accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"' in html
        assert 'name="tep_request_form"' not in html  # upload: none, it is the e-form itself
        assert "8.000 đ" in html

    def test_each_rendering_gets_its_own_token(self, world: World) -> None:
        url = f"{world.apply_url()}?center={CENTER_SLUG}"
        client = Client()

        assert form_token(client, url) != form_token(client, url)

    def test_english_switch_shows_the_english_labels(self, world: World) -> None:
        client = Client()
        client.post(reverse("set_language"), {"language": "en", "next": "/"})

        html = client.get(world.apply_url(), {"center": CENTER_SLUG}).content.decode()

        assert "Issuing copies of civil-status extracts" in html
        assert "Requester&#x27;s full name" in html
        assert "Number of copies" in html
        assert '<option value="self">Self</option>' in html
        assert "Identity document (ID card, passport) of the requester" in html
        assert "Họ, chữ đệm và tên người yêu cầu" not in html


class TestSubmission:
    def test_full_flow_at_phuong_pleiku_with_two_copies(self, world: World) -> None:
        client = Client()
        identity = SimpleUploadedFile("Căn cước.pdf", PDF_BYTES, "application/pdf")

        response = _post(client, world, AN_FORM, tep_identity_document=identity)

        dossier = Dossier.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("portal:dossier", args=[dossier.access_token])
        day = timezone.localtime(dossier.submitted_at).strftime("%y%m%d")
        assert re.fullmatch(rf"H52\.23575\.01-{day}-\d{{4}}", dossier.code)
        assert dossier.code == f"{world.center.code}-{day}-0001"
        assert dossier.receiving_agency == world.center
        assert dossier.form_data["copies"] == 2
        assert dossier.invoice.amount == world.fee_for(AN_FORM) == 16_000
        stored = DossierFile.objects.get(dossier=dossier)
        assert (stored.kind, stored.component_key, stored.original_name) == (
            FileKind.ATTACHMENT,
            "identity_document",
            "Căn cước.pdf",
        )

        page = client.get(response.url).content.decode()
        assert dossier.code in page
        assert "16.000 đ" in page
        assert "8.000 đ × 2" in page
        assert f"Đã nộp hồ sơ {dossier.code}." in page

    def test_double_submission_with_the_same_token_makes_one_dossier(self, world: World) -> None:
        client = Client()
        url = f"{world.apply_url()}?center={CENTER_SLUG}"
        data = {"center": CENTER_SLUG, "form_token": form_token(client, url), **AN_FORM}

        first = client.post(world.apply_url(), data)
        second = client.post(world.apply_url(), data)

        assert Dossier.objects.count() == 1
        assert first.status_code == second.status_code == 302
        assert first.url == second.url

    def test_two_renderings_make_two_dossiers(self, world: World) -> None:
        client = Client()

        _post(client, world, AN_FORM)
        _post(client, world, AN_FORM)

        assert Dossier.objects.count() == 2

    def test_the_provincial_center_receives_too(self, world: World) -> None:
        client = Client()
        url = f"{world.apply_url()}?center=ttpvhcc-tinh-gia-lai"
        data = {"center": "ttpvhcc-tinh-gia-lai", "form_token": form_token(client, url)}

        response = client.post(world.apply_url(), {**data, **AN_FORM})

        assert response.status_code == 302
        assert Dossier.objects.get().code.startswith("H52.01.01-")


ID_FIELD = "requester_id_number"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {ID_FIELD: "12345"},
            ID_FIELD,
            "Số định danh cá nhân phải gồm đúng 12 chữ số.",
        ),
        (
            {ID_FIELD: "999090001234"},
            ID_FIELD,
            "Ba số đầu “999” không phải mã tỉnh nơi đăng ký khai sinh.",
        ),
        (
            {ID_FIELD: "064085001234"},
            ID_FIELD,
            "Số định danh cá nhân không khớp năm sinh: chữ số thứ 4–6 cho năm 1985, "
            "ngày sinh khai là năm 1990.",
        ),
        (
            {"requester_name": ""},
            "requester_name",
            "“Họ, chữ đệm và tên người yêu cầu” là bắt buộc.",
        ),
        (
            {"copies": "0"},
            "copies",
            "“Số bản sao yêu cầu” phải là số nguyên từ 1 đến 20.",
        ),
        (
            {"requester_phone": "12ab"},
            "requester_phone",
            "“Số điện thoại” phải là số điện thoại Việt Nam (bắt đầu bằng 0 hoặc +84, 10–11 số).",
        ),
        (
            {"center": "ttpvhcc-99999"},
            "center",
            "Không có Trung tâm Phục vụ hành chính công nào như đã chọn trong tỉnh.",
        ),
    ],
    ids=["id-structure", "id-province", "id-birth-year", "missing", "copies", "phone", "center"],
)
def test_bad_input_is_named_on_its_field(
    world: World, changes: dict[str, str], field: str, message: str
) -> None:
    client = Client()

    response = _post(client, world, {**AN_FORM, **changes})

    assert response.status_code == 422
    assert _errors(response) == {field: [message]}
    assert message in response.content.decode()
    assert Dossier.objects.count() == 0


def test_entered_values_are_kept_after_an_error(world: World) -> None:
    response = _post(Client(), world, {**AN_FORM, ID_FIELD: "12345"})
    html = response.content.decode()

    assert 'value="Nguyễn Văn An"' in html
    assert 'value="12345"' in html
    assert '<option value="self" selected>Bản thân</option>' in html
    assert "16.000 đ" in html  # the fee of what was entered, computed on the server


def test_several_bad_fields_are_all_reported(world: World) -> None:
    response = _post(Client(), world, {**AN_FORM, "requester_name": "", "copies": "abc"})

    assert set(_errors(response)) == {"requester_name", "copies"}
    assert Dossier.objects.count() == 0


def test_an_exe_renamed_pdf_is_refused_on_its_field(world: World) -> None:
    exe = SimpleUploadedFile("cccd.pdf", EXE_BYTES, "application/pdf")

    response = _post(Client(), world, AN_FORM, tep_identity_document=exe)

    assert _errors(response) == {
        "tep_identity_document": [
            "Tệp “cccd.pdf” không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp)."
        ]
    }
    assert Dossier.objects.count() == 0
    assert DossierFile.objects.count() == 0


def test_an_oversized_file_is_refused_on_its_field(world: World, settings: Any) -> None:
    settings.MOTCUA_UPLOAD_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("uy-quyen.pdf", PDF_BYTES + b"0" * (1024 * 1024), "application/pdf")

    response = _post(Client(), world, AN_FORM, tep_authorisation=big)

    assert _errors(response) == {
        "tep_authorisation": ["Tệp “uy-quyen.pdf” vượt quá dung lượng cho phép 1 MB."]
    }
    assert Dossier.objects.count() == 0


def test_a_form_without_its_token_is_refused(world: World) -> None:
    data = {"center": CENTER_SLUG, **AN_FORM}

    response = Client().post(world.apply_url(), data)

    assert _errors(response) == {
        "form_token": ["Phiên biểu mẫu không hợp lệ; hãy tải lại trang và nộp lại."]
    }
    assert Dossier.objects.count() == 0


def test_unknown_procedure_code_in_the_post_is_not_found(world: World) -> None:
    url = reverse("portal:apply", args=[PROCEDURE + "9"])

    assert Client().post(url, {"center": CENTER_SLUG, **AN_FORM}).status_code == 404


def test_after_an_error_the_citizen_is_told_to_attach_the_files_again(world: World) -> None:
    pdf = SimpleUploadedFile("cccd.pdf", PDF_BYTES, "application/pdf")

    response = _post(
        Client(), world, {**AN_FORM, "requester_phone": "12345"}, tep_identity_document=pdf
    )

    assert set(_errors(response)) == {"requester_phone"}
    assert "vui lòng đính kèm lại các tệp" in response.content.decode()


def test_without_files_no_reattach_hint_is_shown(world: World) -> None:
    response = _post(Client(), world, {**AN_FORM, "requester_phone": "12345"})

    assert "vui lòng đính kèm lại các tệp" not in response.content.decode()
