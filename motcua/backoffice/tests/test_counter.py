"""Registering a dossier brought to the counter with the procedure's e-form."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.backoffice.tests.conftest import Office
from motcua.conftest import CITIZEN_FORM, PDF_BYTES
from motcua.dossiers.models import Dossier
from motcua.dossiers.states import Channel, State

INDEX = "/mot-cua/tiep-nhan/"
FORM = "/mot-cua/tiep-nhan/2.000635/"


def test_the_receiver_picks_the_procedure(office: Office) -> None:
    page = office.client_for(office.receiver).get(INDEX).content.decode()

    assert f'href="{FORM}"' in page
    assert "Cấp bản sao trích lục hộ tịch" in page
    assert "Trung tâm Phục vụ hành chính công Phường Pleiku" in page


def test_the_form_is_built_from_the_procedure_schema(office: Office) -> None:
    page = office.client_for(office.receiver).get(FORM).content.decode()

    assert "Họ, chữ đệm và tên người yêu cầu" in page
    assert 'name="requester_birth_date"' in page and 'type="date"' in page
    assert 'name="requester_phone"' in page and 'type="tel"' in page
    assert '<option value="self">Bản thân</option>' in page
    assert '<option value="birth">Khai sinh</option>' in page
    assert 'name="copies"' in page and 'min="1"' in page and 'max="20"' in page
    assert 'name="tep_identity_document"' in page
    assert 'name="tep_request_form"' not in page  # filled in on the e-form, nothing to upload


def test_only_receivers_at_a_service_center_register(office: Office) -> None:
    for user in (office.specialist, office.leader):
        client = office.client_for(user)
        assert client.get(INDEX).status_code == 404
        assert client.get(FORM).status_code == 404
        assert client.post(FORM, CITIZEN_FORM).status_code == 404
    assert Dossier.objects.count() == 0


def test_an_unknown_procedure_is_not_found(office: Office) -> None:
    client = office.client_for(office.receiver)

    assert client.get("/mot-cua/tiep-nhan/9.999999/").status_code == 404


def test_registration_at_the_counter_waits_for_the_fee(office: Office) -> None:
    client = office.client_for(office.receiver)
    scan = SimpleUploadedFile("cccd.pdf", PDF_BYTES, content_type="application/pdf")

    response = client.post(FORM, {**CITIZEN_FORM, "tep_identity_document": scan}, follow=True)

    dossier = Dossier.objects.get()
    assert response.redirect_chain == [(f"/mot-cua/ho-so/{dossier.pk}/", 302)]
    assert dossier.channel == Channel.DIRECT
    assert dossier.state == State.AWAITING_PAYMENT
    assert dossier.receiving_agency == office.world.pleiku.center
    assert dossier.files.get().component_key == "identity_document"
    assert [str(m) for m in response.context["messages"]] == [
        f"Đã tiếp nhận hồ sơ {dossier.code}; hồ sơ chờ nộp phí, lệ phí 16.000 đ trước khi "
        "tính thời hạn giải quyết."
    ]


def test_every_bad_field_is_named_and_nothing_is_registered(office: Office) -> None:
    client = office.client_for(office.receiver)
    form = {**CITIZEN_FORM, "requester_name": "", "requester_phone": "12345", "copies": "50"}

    response = client.post(FORM, form)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Hồ sơ chưa được tiếp nhận" in page
    assert "<li>“Họ, chữ đệm và tên người yêu cầu” là bắt buộc.</li>" in page
    assert "<li>“Số điện thoại” phải là số điện thoại Việt Nam" in page
    assert "<li>“Số bản sao yêu cầu” phải là số nguyên từ 1 đến 20.</li>" in page
    assert 'value="Tổ 1, Phường Pleiku"' in page  # what was right is kept
    assert Dossier.objects.count() == 0


def test_a_file_that_is_not_a_scan_is_refused_on_its_field(office: Office) -> None:
    client = office.client_for(office.receiver)
    text = SimpleUploadedFile("cccd.pdf", b"just text", content_type="application/pdf")

    response = client.post(FORM, {**CITIZEN_FORM, "tep_identity_document": text})

    page = response.content.decode()
    assert 'id="id_tep_identity_document_error"><li>Tệp “cccd.pdf” không phải PDF' in page
    assert Dossier.objects.count() == 0
