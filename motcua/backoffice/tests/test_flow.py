"""The whole life of a counter dossier, through the pages only, as each officer sees it.

An brings his request to the Pleiku counter at 09:00: the receiver registers it and takes the
16,000 đ fee in cash; the specialist takes it up and proposes the copy; the leader approves;
the receiver hands the result over.
"""

from __future__ import annotations

import re

from django.test import Client

from motcua.backoffice.tests.conftest import Office
from motcua.conftest import CITIZEN_FORM
from motcua.dossiers.models import Dossier, FileKind
from motcua.dossiers.states import State
from motcua.payments.models import InvoiceStatus, PaymentChannel


def post(client: Client, dossier: Dossier, action: str, data: dict | None = None) -> list[str]:
    response = client.post(f"/mot-cua/ho-so/{dossier.pk}/{action}/", data or {}, follow=True)
    assert response.redirect_chain == [(f"/mot-cua/ho-so/{dossier.pk}/", 302)], action
    return [str(message) for message in response.context["messages"]]


def test_from_the_counter_to_the_result(office: Office) -> None:
    receiver = office.client_for(office.receiver)
    specialist = office.client_for(office.specialist)
    leader = office.client_for(office.leader)

    receiver.post("/mot-cua/tiep-nhan/2.000635/", CITIZEN_FORM)
    dossier = Dossier.objects.get()
    assert dossier.state == State.AWAITING_PAYMENT
    waiting = f"/mot-cua/?tab=cho-nop-phi-{dossier.receiving_agency_id}"
    assert dossier.code in receiver.get(waiting).content.decode()

    messages = post(receiver, dossier, "record_cash_payment")
    dossier.refresh_from_db()
    receipt = dossier.invoice.receipt_number
    assert messages == [
        f"Đã thu 16.000 đ phí, lệ phí của hồ sơ {dossier.code}, biên lai số {receipt}. "
        "Hồ sơ đã được tiếp nhận, hẹn trả 17:00 02/12/2026."
    ]
    assert dossier.state == State.ACCEPTED
    assert dossier.invoice.status == InvoiceStatus.PAID
    assert dossier.invoice.channel == PaymentChannel.CASH
    slip = dossier.files.get(kind=FileKind.RECEIPT_SLIP)
    slip_response = receiver.get(f"/mot-cua/ho-so/{dossier.pk}/tep/{slip.pk}/")
    assert slip_response["Content-Type"] == "application/pdf"
    assert b"".join(slip_response.streaming_content).startswith(b"%PDF")

    office.clock.advance(minutes=20)
    assert dossier.code in specialist.get("/mot-cua/").content.decode()
    assert post(specialist, dossier, "start_processing") == [f"Đã nhận xử lý hồ sơ {dossier.code}."]
    assert post(
        specialist,
        dossier,
        "submit_for_approval",
        {"note": "Đã tra cứu sổ đăng ký khai sinh số 12/2020, thông tin khớp."},
    ) == [f"Đã trình lãnh đạo phê duyệt hồ sơ {dossier.code}."]

    office.clock.advance(minutes=30)
    page = leader.get("/mot-cua/").content.decode()
    assert re.search(r'data-tab="cho-phe-duyet"[^>]*>Chờ phê duyệt<span class="count">1<', page)
    assert post(leader, dossier, "approve", {"note": ""}) == [
        f"Đã phê duyệt kết quả hồ sơ {dossier.code}."
    ]
    dossier.refresh_from_db()
    assert dossier.state == State.APPROVED
    assert dossier.files.filter(kind=FileKind.RESULT).count() == 2

    office.clock.advance(hours=2)
    assert post(receiver, dossier, "return_result") == [f"Đã trả kết quả hồ sơ {dossier.code}."]
    dossier.refresh_from_db()
    assert dossier.state == State.RETURNED

    page = receiver.get(f"/mot-cua/ho-so/{dossier.pk}/").content.decode()
    timeline = re.findall(r"<strong>([^<]+)</strong> → ([^<]+)</div>", page)
    assert timeline == [
        ("Nộp hồ sơ", "Mới đăng ký"),
        ("Tiếp nhận hồ sơ", "Chờ nộp phí"),
        ("Đã nộp phí", "Đã tiếp nhận"),
        ("Nhận xử lý", "Đang xử lý"),
        ("Trình phê duyệt", "Chờ phê duyệt"),
        ("Phê duyệt kết quả", "Đã có kết quả"),
        ("Trả kết quả", "Đã trả kết quả"),
    ]
    assert '<span class="badge ok">Xong, đúng hạn</span>' in page
    assert "Không có thao tác nào bạn cần làm" in page


def test_sent_back_then_approved(office: Office) -> None:
    dossier = office.dossier_in("awaiting_approval")
    specialist = office.client_for(office.specialist)
    leader = office.client_for(office.leader)

    assert post(leader, dossier, "send_back", {"reason": "Ghi rõ số quyển."}) == [
        f"Đã trả lại hồ sơ {dossier.code} để xử lý lại."
    ]
    assert post(specialist, dossier, "submit_for_approval", {"note": "Quyển số 01/2020."}) == [
        f"Đã trình lãnh đạo phê duyệt hồ sơ {dossier.code}."
    ]
    dossier.refresh_from_db()
    assert dossier.state == State.AWAITING_APPROVAL
    assert dossier.processing_note == "Quyển số 01/2020."


def test_stopped_with_a_reason(office: Office) -> None:
    dossier = office.dossier_in("processing")

    messages = post(
        office.client_for(office.leader),
        dossier,
        "stop",
        {"reason": "Không tìm thấy sự kiện hộ tịch trong cơ sở dữ liệu."},
    )

    dossier.refresh_from_db()
    assert messages == [f"Đã dừng xử lý hồ sơ {dossier.code}."]
    assert dossier.state == State.STOPPED
    assert dossier.decision_note == "Không tìm thấy sự kiện hộ tịch trong cơ sở dữ liệu."


def test_a_supplement_asked_after_appraisal(office: Office) -> None:
    dossier = office.dossier_in("processing")

    messages = post(
        office.client_for(office.specialist),
        dossier,
        "request_supplement_after_appraisal",
        {"items": "Văn bản ủy quyền có chứng thực", "reason": "Người yêu cầu không phải chủ thể."},
    )

    dossier.refresh_from_db()
    assert messages == [f"Đã gửi yêu cầu bổ sung hồ sơ {dossier.code}."]
    assert dossier.state == State.SUPPLEMENT_REQUESTED
    assert dossier.supplements.get().stage == "appraisal"
