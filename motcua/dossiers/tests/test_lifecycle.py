"""The dossier lifecycle, service by service, for a former Bình Định ward (Phường Quy Nhơn) and a
former Gia Lai ward (Phường Pleiku).

At each step: the state, the national status code (TrangThaiHoSo, 1–10), the history
row, the audit row and the due time. Due times are computed here with the ``holidays`` package
and the civil-status rule (Law on Civil Status Art. 5(3)): received by 15:00 on a working day,
due at 17:00 the same day; after 15:00, 17:00 the next working day.

The cast: Nguyễn Văn An asks online for two copies of his birth extract; the receiving
officer, specialist and leader of his ward handle it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from motcua.conftest import PROCEDURE_CODE, Commune, World
from motcua.core.errors import InvalidInput, InvalidTransition, NotFound
from motcua.core.models import AuditEntry
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierEvent, DossierFile, FileKind, SupplementRequest
from motcua.payments import services as payments
from motcua.payments.models import Invoice, InvoiceStatus, PaymentChannel

VN = ZoneInfo("Asia/Ho_Chi_Minh")
VN_HOLIDAYS = holidays.country_holidays("VN", years=range(2025, 2028))
CLOSE = time(17, 0)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5 or day in VN_HOLIDAYS:
        day += timedelta(days=1)
    return day


def civil_status_due(received: datetime) -> datetime:
    """Same day by 15:00 on a working day, else the next working day; at the 17:00 close."""
    day = received.date()
    if day.weekday() < 5 and day not in VN_HOLIDAYS and received.time() <= time(15, 0):
        return datetime.combine(day, CLOSE, tzinfo=VN)
    return datetime.combine(next_working_day(day), CLOSE, tzinfo=VN)


FRIDAY = date(2026, 2, 13)  # the last working day before the Tết break of 2026

# Tests that check the stored documents render real PDFs; the others store a stub (faster).
REAL_PDFS = {"test_online_dossier_through_every_step", "test_cash_payment_at_the_counter"}


@pytest.fixture(autouse=True)
def _documents(request: pytest.FixtureRequest) -> None:
    if request.function.__name__ not in REAL_PDFS:
        request.getfixturevalue("stub_pdfs")


def user_label(user: Any) -> str:
    return f"user:{user.pk}"


def history(dossier: Dossier) -> list[tuple[str, str, str, str]]:
    return list(
        DossierEvent.objects.filter(dossier=dossier)
        .order_by("pk")
        .values_list("action", "from_state", "to_state", "actor_label")
    )


def audit_trail(dossier: Dossier) -> list[tuple[str, str, str, str]]:
    rows = AuditEntry.objects.filter(object_type="dossiers.dossier", object_id=str(dossier.pk))
    return [(e.action, e.actor_label, e.data["from"], e.data["to"]) for e in rows.order_by("pk")]


def files(dossier: Dossier, kind: str) -> list[DossierFile]:
    return list(DossierFile.objects.filter(dossier=dossier, kind=kind).order_by("pk"))


def assert_pdf_on_disk(record: DossierFile, media_root: Path) -> None:
    path = Path(record.file.path)
    assert path.is_relative_to(media_root)
    content = path.read_bytes()
    assert content.startswith(b"%PDF-")
    assert record.size == len(content)
    assert record.content_type == "application/pdf"


def test_the_spec_examples_of_the_calendar() -> None:
    assert next_working_day(FRIDAY) == date(2026, 2, 23)
    assert civil_status_due(at(FRIDAY, 14, 30)) == at(FRIDAY, 17)
    assert civil_status_due(at(FRIDAY, 15, 30)) == at(date(2026, 2, 23), 17)


# --- the whole flow ----------------------------------------------------------------------------


@pytest.mark.parametrize("commune_name", ["quynhon", "pleiku"])
def test_online_dossier_through_every_step(
    world: World, set_now: Any, media_root: Path, commune_name: str
) -> None:
    commune: Commune = getattr(world, commune_name)
    receiver, specialist, leader = commune.receiver, commune.specialist, commune.leader
    statuses: list[int] = []

    set_now(at(FRIDAY, 8, 5))
    dossier = world.submit(commune)
    statuses.append(dossier.national_status)
    assert dossier.state == "submitted"
    assert dossier.channel == 2
    assert dossier.receiving_agency == commune.center
    assert dossier.competent_agency == commune.committee
    assert dossier.code == f"{commune.center.code}-260213-0001"
    assert dossier.due_at is None
    invoice = Invoice.objects.get(dossier=dossier)
    assert (invoice.amount, invoice.status, invoice.collector) == (
        16000,
        InvoiceStatus.UNPAID,
        commune.committee,
    )

    set_now(at(FRIDAY, 9))
    dossier = services.accept(dossier.pk, actor=receiver)
    statuses.append(dossier.national_status)
    assert dossier.state == "awaiting_payment"
    assert (dossier.accepted_at, dossier.due_at) == (None, None)
    assert files(dossier, FileKind.RECEIPT_SLIP) == []

    set_now(at(FRIDAY, 14, 30))
    payments.mark_paid(invoice.pk, channel=PaymentChannel.ONLINE, actor="gateway:test")
    dossier.refresh_from_db()
    statuses.append(dossier.national_status)
    assert dossier.state == "accepted"
    assert dossier.accepted_at == at(FRIDAY, 14, 30)
    assert dossier.counting_starts == FRIDAY
    assert dossier.due_at == civil_status_due(at(FRIDAY, 14, 30)) == at(FRIDAY, 17)
    (slip,) = files(dossier, FileKind.RECEIPT_SLIP)
    assert slip.original_name == f"{dossier.code}-phieu-tiep-nhan.pdf"
    assert_pdf_on_disk(slip, media_root)

    set_now(at(FRIDAY, 14, 40))
    dossier = services.start_processing(dossier.pk, actor=specialist)
    statuses.append(dossier.national_status)
    assert (dossier.state, dossier.assignee) == ("processing", specialist)

    set_now(at(FRIDAY, 15, 10))
    dossier = services.submit_for_approval(
        dossier.pk, actor=specialist, note="Đã đối chiếu sổ đăng ký khai sinh."
    )
    statuses.append(dossier.national_status)
    assert dossier.state == "awaiting_approval"
    assert dossier.processing_note == "Đã đối chiếu sổ đăng ký khai sinh."

    set_now(at(FRIDAY, 16))
    dossier = services.approve(dossier.pk, actor=leader, note="Đồng ý cấp.")
    statuses.append(dossier.national_status)
    assert (dossier.state, dossier.finished_at) == ("approved", at(FRIDAY, 16))
    results = files(dossier, FileKind.RESULT)
    assert [r.original_name for r in results] == [
        f"{dossier.code}-ban-sao-1.pdf",
        f"{dossier.code}-ban-sao-2.pdf",
    ]
    for result in results:
        assert_pdf_on_disk(result, media_root)

    set_now(at(FRIDAY, 16, 30))
    dossier = services.return_result(dossier.pk, actor=receiver)
    statuses.append(dossier.national_status)
    assert dossier.state == "returned"
    assert dossier.returned_at == dossier.closed_at == at(FRIDAY, 16, 30)

    assert statuses == [1, 6, 2, 4, 4, 9, 10]
    assert history(dossier) == [
        ("submit", "", "submitted", "applicant"),
        ("accept", "submitted", "awaiting_payment", user_label(receiver)),
        ("settle_payment", "awaiting_payment", "accepted", "system"),
        ("start_processing", "accepted", "processing", user_label(specialist)),
        ("submit_for_approval", "processing", "awaiting_approval", user_label(specialist)),
        ("approve", "awaiting_approval", "approved", user_label(leader)),
        ("return_result", "approved", "returned", user_label(receiver)),
    ]
    events = DossierEvent.objects.filter(dossier=dossier).order_by("pk")
    assert [e.at for e in events] == [
        at(FRIDAY, 8, 5),
        at(FRIDAY, 9),
        at(FRIDAY, 14, 30),
        at(FRIDAY, 14, 40),
        at(FRIDAY, 15, 10),
        at(FRIDAY, 16),
        at(FRIDAY, 16, 30),
    ]
    assert [(e.actor, e.agency) for e in events] == [
        (None, None),
        (receiver, commune.center),
        (None, None),
        (specialist, commune.committee),
        (specialist, commune.committee),
        (leader, commune.committee),
        (receiver, commune.center),
    ]
    assert audit_trail(dossier) == [
        (f"dossier.{action}", label, from_state, to_state)
        for action, from_state, to_state, label in history(dossier)
    ]
    invoice.refresh_from_db()
    paid = AuditEntry.objects.get(object_type="payments.invoice", object_id=str(invoice.pk))
    assert (paid.action, paid.actor_label, paid.data) == (
        "invoice.paid",
        "gateway:test",
        {"channel": "online", "amount": 16000, "receipt": invoice.receipt_number},
    )
    assert invoice.receipt_number == f"BL-{commune.committee.code}-2026-000001"


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(FRIDAY, 14, 30), at(FRIDAY, 17)),
        (at(FRIDAY, 15), at(FRIDAY, 17)),
        (at(FRIDAY, 15, 30), at(date(2026, 2, 23), 17)),
        (at(FRIDAY, 17, 45), at(date(2026, 2, 23), 17)),
        (at(date(2026, 2, 17), 9), at(date(2026, 2, 23), 17)),  # in the Tết break
        (at(date(2026, 3, 2), 10), at(date(2026, 3, 2), 17)),
    ],
    ids=["14:30", "15:00", "15:30-tet", "after-hours", "during-tet", "ordinary-monday"],
)
def test_due_time_of_a_civil_status_copy(
    world: World, set_now: Any, received: datetime, due: datetime
) -> None:
    set_now(received - timedelta(hours=1))
    dossier = world.submit()
    services.record_cash_payment(dossier.pk, actor=world.pleiku.receiver)
    set_now(received)

    dossier = services.accept(dossier.pk, actor=world.pleiku.receiver)

    assert dossier.state == "accepted"
    assert dossier.due_at == due
    assert civil_status_due(received) == due
    assert dossier.counting_starts == due.date()


# --- reception -----------------------------------------------------------------------------


def test_refuse(world: World, set_now: Any) -> None:
    receiver = world.pleiku.receiver
    dossier = world.submit()
    set_now(at(FRIDAY, 10))

    dossier = services.refuse(dossier.pk, actor=receiver, reason="  Không thuộc thẩm quyền.  ")

    assert (dossier.state, dossier.national_status) == ("refused", 3)
    assert dossier.closed_at == at(FRIDAY, 10)
    assert dossier.decision_note == "Không thuộc thẩm quyền."
    assert history(dossier)[-1] == ("refuse", "submitted", "refused", user_label(receiver))
    assert DossierEvent.objects.filter(dossier=dossier).latest("pk").note == (
        "Không thuộc thẩm quyền."
    )
    assert audit_trail(dossier)[-1] == (
        "dossier.refuse",
        user_label(receiver),
        "submitted",
        "refused",
    )
    with pytest.raises(InvalidTransition) as caught:
        services.accept(dossier.pk, actor=receiver)
    assert caught.value.code == "invalid_transition"


def test_refuse_needs_a_reason(world: World) -> None:
    dossier = world.submit()

    with pytest.raises(InvalidInput) as caught:
        services.refuse(dossier.pk, actor=world.pleiku.receiver, reason="   ")

    assert (caught.value.field, caught.value.code) == ("reason", "required")
    dossier.refresh_from_db()
    assert dossier.state == "submitted"
    assert len(history(dossier)) == 1


def test_supplement_at_reception_returns_the_dossier_to_submitted(
    world: World, set_now: Any
) -> None:
    receiver = world.pleiku.receiver
    set_now(at(FRIDAY, 8))
    dossier = world.submit()
    set_now(at(FRIDAY, 9))

    dossier = services.request_supplement(
        dossier.pk,
        actor=receiver,
        items=["Bản chụp CCCD của người yêu cầu", "  "],
        reason="Thiếu giấy tờ tùy thân.",
    )

    assert (dossier.state, dossier.national_status, dossier.supplement_count) == (
        "supplement_requested",
        5,
        1,
    )
    request = SupplementRequest.objects.get(dossier=dossier)
    assert (request.stage, request.items, request.requested_by) == (
        "reception",
        ["Bản chụp CCCD của người yêu cầu"],
        receiver,
    )
    assert request.completed_at is None

    set_now(at(FRIDAY, 11))
    dossier = services.supplement(
        dossier.pk, access_token=dossier.access_token, uploads=[world.pdf("cccd.pdf")]
    )

    assert (dossier.state, dossier.national_status) == ("submitted", 1)
    request.refresh_from_db()
    assert request.completed_at == at(FRIDAY, 11)
    (attachment,) = files(dossier, FileKind.ATTACHMENT)
    assert (attachment.original_name, attachment.component_key) == ("cccd.pdf", "identity_document")
    assert dossier.due_at is None
    assert history(dossier)[1:] == [
        ("request_supplement", "submitted", "supplement_requested", user_label(receiver)),
        ("supplement", "supplement_requested", "submitted", "applicant"),
    ]

    services.record_cash_payment(dossier.pk, actor=receiver)
    set_now(at(FRIDAY, 13, 30))
    dossier = services.accept(dossier.pk, actor=receiver)
    assert (dossier.state, dossier.due_at) == ("accepted", at(FRIDAY, 17))


def test_request_supplement_lists_the_items(world: World) -> None:
    dossier = world.submit()

    with pytest.raises(InvalidInput) as caught:
        services.request_supplement(
            dossier.pk, actor=world.pleiku.receiver, items=["", " "], reason="Thiếu."
        )

    assert (caught.value.field, caught.value.code) == ("items", "required")


def test_supplement_after_appraisal_restarts_the_clock(world: World, set_now: Any) -> None:
    pleiku = world.pleiku
    monday = date(2026, 3, 2)
    set_now(at(monday, 8))
    dossier = world.submit()
    services.record_cash_payment(dossier.pk, actor=pleiku.receiver)
    set_now(at(monday, 9))
    dossier = services.accept(dossier.pk, actor=pleiku.receiver)
    assert dossier.due_at == at(monday, 17)
    services.start_processing(dossier.pk, actor=pleiku.specialist)

    set_now(at(monday, 10))
    dossier = services.request_supplement(
        dossier.pk,
        actor=pleiku.specialist,
        items=["Trích lục khai sinh bản chính để đối chiếu"],
        reason="Sổ đăng ký ghi khác năm sinh.",
    )
    assert (dossier.state, dossier.national_status) == ("supplement_requested", 5)
    assert SupplementRequest.objects.get(dossier=dossier).stage == "appraisal"

    completed = at(date(2026, 3, 3), 15, 30)
    set_now(completed)
    dossier = services.supplement(
        dossier.pk, access_token=dossier.access_token, uploads=[], note="Đã nộp bản chính."
    )

    assert (dossier.state, dossier.national_status) == ("processing", 4)
    assert dossier.due_at == civil_status_due(completed) == at(date(2026, 3, 4), 17)
    assert dossier.counting_starts == date(2026, 3, 4)
    assert dossier.accepted_at == at(monday, 9)  # the receipt time stays (NgayTiepNhan)
    assert dossier.assignee == pleiku.specialist
    assert SupplementRequest.objects.get(dossier=dossier).completed_at == completed
    assert history(dossier)[-2:] == [
        (
            "request_supplement_after_appraisal",
            "processing",
            "supplement_requested",
            user_label(pleiku.specialist),
        ),
        ("supplement", "supplement_requested", "processing", "applicant"),
    ]


def test_supplement_needs_files_or_a_note(world: World) -> None:
    dossier = world.submit()
    services.request_supplement(
        dossier.pk, actor=world.pleiku.receiver, items=["CCCD"], reason="Thiếu CCCD."
    )

    with pytest.raises(InvalidInput) as caught:
        services.supplement(dossier.pk, access_token=dossier.access_token, uploads=[], note=" ")

    assert (caught.value.field, caught.value.code) == ("files", "required")
    dossier.refresh_from_db()
    assert dossier.state == "supplement_requested"


# --- the applicant leaves, the leader stops or sends back ---------------------------------------


@pytest.mark.parametrize("state", ["submitted", "awaiting_payment", "accepted", "processing"])
def test_withdraw(world: World, set_now: Any, state: str) -> None:
    dossier = world.dossier_in(state)
    set_now(at(FRIDAY, 10))

    dossier = services.withdraw(
        dossier.pk, access_token=dossier.access_token, reason="Không còn nhu cầu."
    )

    assert (dossier.state, dossier.national_status) == ("withdrawn", 7)
    assert (dossier.closed_at, dossier.decision_note) == (at(FRIDAY, 10), "Không còn nhu cầu.")
    assert history(dossier)[-1] == ("withdraw", state, "withdrawn", "applicant")
    assert audit_trail(dossier)[-1] == ("dossier.withdraw", "applicant", state, "withdrawn")


def test_withdraw_is_too_late_once_decided(world: World) -> None:
    dossier = world.dossier_in("approved")

    with pytest.raises(InvalidTransition) as caught:
        services.withdraw(dossier.pk, access_token=dossier.access_token, reason="Thôi.")

    assert caught.value.code == "invalid_transition"


@pytest.mark.parametrize("state", ["processing", "awaiting_approval"])
def test_stop(world: World, set_now: Any, state: str) -> None:
    leader = world.pleiku.leader
    dossier = world.dossier_in(state)
    set_now(at(FRIDAY, 16))

    dossier = services.stop(dossier.pk, actor=leader, reason="Sổ hộ tịch không có dữ liệu.")

    assert (dossier.state, dossier.national_status) == ("stopped", 8)
    assert dossier.finished_at == dossier.closed_at == at(FRIDAY, 16)
    assert dossier.decision_note == "Sổ hộ tịch không có dữ liệu."
    assert history(dossier)[-1] == ("stop", state, "stopped", user_label(leader))
    with pytest.raises(InvalidTransition):
        services.return_result(dossier.pk, actor=world.pleiku.receiver)


def test_send_back_and_resubmit(world: World) -> None:
    pleiku = world.pleiku
    dossier = world.dossier_in("awaiting_approval")

    dossier = services.send_back(dossier.pk, actor=pleiku.leader, reason="Ghi rõ số quyển.")
    assert (dossier.state, dossier.national_status) == ("processing", 4)
    dossier = services.submit_for_approval(
        dossier.pk, actor=pleiku.specialist, note="Đã bổ sung số quyển."
    )
    dossier = services.approve(dossier.pk, actor=pleiku.leader)

    assert dossier.state == "approved"
    assert [h[0] for h in history(dossier)][-4:] == [
        "submit_for_approval",
        "send_back",
        "submit_for_approval",
        "approve",
    ]
    assert DossierEvent.objects.get(dossier=dossier, action="send_back").note == "Ghi rõ số quyển."


def test_assign_by_the_leader(world: World) -> None:
    pleiku = world.pleiku
    dossier = world.dossier_in("accepted")

    dossier = services.assign(dossier.pk, actor=pleiku.leader, assignee_id=pleiku.specialist.pk)

    assert (dossier.state, dossier.assignee) == ("processing", pleiku.specialist)
    with pytest.raises(InvalidInput) as caught:
        services.assign(dossier.pk, actor=pleiku.leader, assignee_id=pleiku.receiver.pk)
    assert (caught.value.field, caught.value.code) == ("assignee", "not_a_specialist")
    dossier.refresh_from_db()
    assert dossier.assignee == pleiku.specialist


# --- fees --------------------------------------------------------------------------------------


def test_invoice_follows_the_number_of_copies(world: World) -> None:
    dossier = world.submit(form=world.form(copies="3"))

    invoice = Invoice.objects.get(dossier=dossier)
    assert invoice.amount == 24000
    assert list(invoice.lines.values_list("fee_key", "unit_amount", "quantity", "amount")) == [
        ("phi_khai_thac_ho_tich", 8000, 3, 24000)
    ]


def test_cash_payment_at_the_counter(world: World, set_now: Any, media_root: Path) -> None:
    receiver = world.pleiku.receiver
    set_now(at(FRIDAY, 9))
    dossier = world.dossier_in("awaiting_payment")
    set_now(at(FRIDAY, 9, 20))

    dossier = services.record_cash_payment(dossier.pk, actor=receiver)

    assert (dossier.state, dossier.accepted_at, dossier.due_at) == (
        "accepted",
        at(FRIDAY, 9, 20),
        at(FRIDAY, 17),
    )
    invoice = Invoice.objects.get(dossier=dossier)
    assert (invoice.status, invoice.channel, invoice.paid_at, invoice.receipt_number) == (
        InvoiceStatus.PAID,
        PaymentChannel.CASH,
        at(FRIDAY, 9, 20),
        "BL-H52.23575-2026-000001",
    )
    paid = AuditEntry.objects.get(object_type="payments.invoice", object_id=str(invoice.pk))
    assert (paid.action, paid.actor, paid.data["channel"]) == ("invoice.paid", receiver, "cash")
    (slip,) = files(dossier, FileKind.RECEIPT_SLIP)
    assert_pdf_on_disk(slip, media_root)
    # The slip is signed off by the officer who received the dossier.
    assert history(dossier)[-1] == ("settle_payment", "awaiting_payment", "accepted", "system")

    with pytest.raises(InvalidTransition) as caught:
        services.record_cash_payment(dossier.pk, actor=receiver)
    assert caught.value.code == "nothing_due"
    second = world.dossier_in("accepted")
    assert Invoice.objects.get(dossier=second).receipt_number == "BL-H52.23575-2026-000002"


def test_return_result_is_refused_while_the_fee_is_unpaid(world: World) -> None:
    receiver = world.pleiku.receiver
    dossier = world.dossier_in("approved")
    # A reversed payment (e.g. a charge-back) leaves an approved dossier unpaid.
    Invoice.objects.filter(dossier=dossier).update(status=InvoiceStatus.UNPAID)
    events, audits = len(history(dossier)), AuditEntry.objects.count()

    with pytest.raises(InvalidTransition) as caught:
        services.return_result(dossier.pk, actor=receiver)

    assert caught.value.code == "fee_unpaid"
    assert caught.value.message == "Người nộp chưa nộp phí, lệ phí; chưa thể trả kết quả."
    dossier.refresh_from_db()
    assert (dossier.state, dossier.returned_at) == ("approved", None)
    assert (len(history(dossier)), AuditEntry.objects.count()) == (events, audits)

    services.record_cash_payment(dossier.pk, actor=receiver)
    assert services.return_result(dossier.pk, actor=receiver).state == "returned"


# --- at the counter ----------------------------------------------------------------------------


def test_register_at_counter(world: World, set_now: Any) -> None:
    receiver = world.quynhon.receiver
    set_now(at(FRIDAY, 10))

    dossier = services.register_at_counter(
        actor=receiver, procedure_code=PROCEDURE_CODE, form_data=world.form()
    )

    assert dossier.channel == 1
    assert dossier.code == "H52.21583.01-260213-0001"
    assert dossier.receiving_agency == world.quynhon.center
    assert dossier.competent_agency == world.quynhon.committee
    # Received on the spot; the fee is then collected at the same counter.
    assert (dossier.state, dossier.national_status) == ("awaiting_payment", 6)
    assert history(dossier) == [
        ("submit", "", "submitted", user_label(receiver)),
        ("accept", "submitted", "awaiting_payment", user_label(receiver)),
    ]
    dossier = services.record_cash_payment(dossier.pk, actor=receiver)
    assert (dossier.state, dossier.due_at) == ("accepted", at(FRIDAY, 17))


def test_register_at_counter_without_a_fee_is_accepted_at_once(world: World, set_now: Any) -> None:
    world.procedure.fee_items.update(amount=0)
    receiver = world.pleiku.receiver
    set_now(at(FRIDAY, 10))

    dossier = services.register_at_counter(
        actor=receiver, procedure_code=PROCEDURE_CODE, form_data=world.form()
    )

    assert (dossier.state, dossier.national_status, dossier.channel) == ("accepted", 2, 1)
    assert (dossier.accepted_at, dossier.due_at) == (at(FRIDAY, 10), at(FRIDAY, 17))
    assert Invoice.objects.get(dossier=dossier).status == InvoiceStatus.NOT_DUE
    assert len(files(dossier, FileKind.RECEIPT_SLIP)) == 1


def test_register_at_counter_needs_a_receiving_officer(world: World) -> None:
    count = Dossier.objects.count()

    with pytest.raises(NotFound) as caught:
        services.register_at_counter(
            actor=world.pleiku.specialist, procedure_code=PROCEDURE_CODE, form_data=world.form()
        )

    assert caught.value.code == "no_center"
    assert Dossier.objects.count() == count
