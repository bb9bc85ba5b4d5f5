"""The legal clock of land dossiers: two appointments around the tax step, the supplement window
and the restart of the clock, one apology with a new date.

Every expected time is worked out here (``land.working_days_due``: Monday to Friday less the
public holidays of the ``holidays`` package, 17:00 on the N-th working day after receipt), never
read from the code under test. One dossier crosses Tết 2027 (4–10 February 2027).

The cast is in ``land.py``: Phạm Văn Dũng registers the transfer of a plot in Phường Pleiku
(1.013831, decided by the Pleiku branch) and asks to split a plot in Phường Quy Nhơn (1.012784,
decided by the Quy Nhơn branch), both at the Pleiku ward's service center.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from motcua.core.errors import InvalidInput, InvalidTransition
from motcua.dossiers import permissions, services
from motcua.dossiers.models import Dossier, DossierFile, FileKind, SubStep, SupplementRequest
from motcua.dossiers.tests.land import (
    CHANGE,
    CLOSE,
    SPLIT,
    VN,
    VN_HOLIDAYS,
    Land,
    add_working_days,
    at,
    is_working_day,
    land,
    land_stub_pdfs,
    working_days_due,
)

__all__ = ["land", "land_stub_pdfs"]  # fixtures

MONDAY = date(2026, 10, 5)  # an ordinary fortnight: no holiday until 24 November 2026
WEDNESDAY = date(2026, 10, 7)
# Tết 2027: the holidays package gives 4–10 February 2027 (29th of the lunar year to the 5th day).
BEFORE_TET = date(2027, 2, 3)


def in_processing(land: Land, code: str) -> Dossier:
    """Received at 09:00 on the current day, forwarded and taken by the branch's specialist."""
    dossier = land.receive(code)
    land.forward(dossier)
    return services.start_processing(dossier.pk, actor=land.branch_of(dossier).specialist)


# --- two appointments around the tax authority --------------------------------------------------


def test_a_change_registration_has_two_appointments_around_the_tax_step(
    land: Land, set_now, land_stub_pdfs: bytes
) -> None:
    branch = land.pleiku
    received = at(MONDAY, 9)
    set_now(received)
    dossier = in_processing(land, CHANGE)

    # Appointment 1: 5 working days to the tax-information slip (0.5 reception + 4.5 appraisal).
    first = working_days_due(received, 5)
    assert first == at(date(2026, 10, 12), 17)
    assert (dossier.due_at, dossier.first_appointment_at) == (first, first)
    assert (dossier.accepted_at, dossier.counting_starts) == (received, date(2026, 10, 6))

    sent = at(WEDNESDAY, 10)
    set_now(sent)
    dossier = services.send_to_tax(dossier.pk, actor=branch.specialist, note="Phiếu số 19/2026")
    assert (dossier.state, dossier.national_status) == ("awaiting_obligations", 6)
    # The promised first appointment stays; the slip's time is the tax step's request time.
    assert dossier.first_appointment_at == first
    assert SubStep.objects.get(dossier=dossier, kind="tax").requested_at == sent
    assert "record_obligations_met" in permissions.allowed_actions(branch.specialist, dossier)
    assert "send_to_tax" not in permissions.allowed_actions(branch.specialist, dossier)

    # The tax authority's time is not counted: proof of payment eight days later.
    proof = at(date(2026, 10, 15), 14, 30)
    set_now(proof)
    dossier = services.record_obligations_met(
        dossier.pk, actor=branch.specialist, note="Đã nộp thuế TNCN, lệ phí trước bạ"
    )

    second = working_days_due(proof, 3)
    assert second == at(date(2026, 10, 20), 17)
    assert (dossier.state, dossier.national_status, dossier.due_at) == ("processing", 4, second)
    assert dossier.first_appointment_at == first
    step = SubStep.objects.get(dossier=dossier, kind="tax")
    assert (step.answered_at, step.answered_by_id, step.answer) == (
        proof,
        branch.specialist.pk,
        "Đã nộp thuế TNCN, lệ phí trước bạ",
    )
    assert list(dossier.events.values_list("action", "from_state", "to_state"))[-2:] == [
        ("send_to_tax", "processing", "awaiting_obligations"),
        ("record_obligations_met", "awaiting_obligations", "processing"),
    ]


def test_a_split_has_no_tax_step(land: Land, set_now, land_stub_pdfs: bytes) -> None:
    set_now(at(MONDAY, 9))
    dossier = in_processing(land, SPLIT)

    assert dossier.first_appointment_at is None
    assert "send_to_tax" not in permissions.allowed_actions(land.quynhon.specialist, dossier)
    with pytest.raises(InvalidTransition) as caught:
        services.send_to_tax(dossier.pk, actor=land.quynhon.specialist, note="Phiếu số 19")
    assert caught.value.code == "no_tax_step"


def test_appointments_skip_tet_2027_as_the_holidays_package_gives_it(
    land: Land, set_now, land_stub_pdfs: bytes
) -> None:
    branch = land.pleiku
    received = at(BEFORE_TET, 9)
    set_now(received)
    change = in_processing(land, CHANGE)
    split = land.receive(SPLIT)

    first = working_days_due(received, 5)
    assert first == at(date(2027, 2, 17), 17)
    assert change.due_at == change.first_appointment_at == first
    assert split.due_at == working_days_due(received, 12) == at(date(2027, 2, 26), 17)
    # The weekdays passed over are exactly the package's Tết days; no weekday is lost otherwise.
    span = [BEFORE_TET + timedelta(days=n) for n in range(1, (first.date() - BEFORE_TET).days)]
    skipped_weekdays = [day for day in span if day.weekday() < 5 and not is_working_day(day)]
    assert skipped_weekdays == [date(2027, 2, d) for d in (4, 5, 8, 9, 10)]
    assert all(day in VN_HOLIDAYS for day in skipped_weekdays)
    assert VN_HOLIDAYS.get(date(2027, 2, 5)) == "Lunar New Year's Eve"

    # Slip sent the same afternoon; the tax is paid on the eve of the break.
    set_now(at(BEFORE_TET, 15))
    services.send_to_tax(change.pk, actor=branch.specialist, note="Phiếu số 19/2027")
    proof = at(BEFORE_TET, 16)
    set_now(proof)
    change = services.record_obligations_met(change.pk, actor=branch.specialist, note="Đã nộp")

    assert change.due_at == working_days_due(proof, 3) == at(date(2027, 2, 15), 17)
    assert add_working_days(BEFORE_TET, 1) == date(2027, 2, 11)


# --- supplement after appraisal -----------------------------------------------------------------


def test_a_supplement_within_3_working_days_restarts_the_clock(
    land: Land, set_now, land_stub_pdfs: bytes
) -> None:
    branch = land.quynhon
    set_now(at(MONDAY, 9))
    dossier = land.receive(SPLIT)
    set_now(at(MONDAY, 14))
    land.forward(dossier)
    services.start_processing(dossier.pk, actor=branch.specialist)

    # Thursday is the 3rd working day after the branch received the file on Monday.
    asked = at(date(2026, 10, 8), 16)
    set_now(asked)
    dossier = services.request_supplement(
        dossier.pk,
        actor=branch.specialist,
        items=["Bản vẽ tách thửa có chữ ký của các chủ sử dụng liền kề"],
        reason="Bản vẽ Mẫu số 22 thiếu chữ ký xác nhận ranh giới.",
    )
    assert (dossier.state, dossier.national_status, dossier.supplement_count) == (
        "supplement_requested",
        5,
        1,
    )
    assert DossierFile.objects.filter(dossier=dossier, kind=FileKind.SUPPLEMENT_NOTICE).count() == 1

    supplemented = at(date(2026, 10, 13), 9, 30)
    set_now(supplemented)
    dossier = services.supplement(
        dossier.pk,
        access_token=dossier.access_token,
        uploads=[],
        note="Đã bổ sung bản vẽ có đủ chữ ký.",
    )

    assert (dossier.state, dossier.national_status) == ("processing", 4)
    assert dossier.due_at == working_days_due(supplemented, 12) == at(date(2026, 10, 29), 17)
    assert dossier.counting_starts == date(2026, 10, 14)
    assert dossier.accepted_at == at(MONDAY, 9)  # the receipt stays the first one
    intervals = list(
        SupplementRequest.objects.filter(dossier=dossier).values_list(
            "stage", "requested_at", "completed_at", "requested_by"
        )
    )
    assert intervals == [("appraisal", asked, supplemented, branch.specialist.pk)]


def test_after_3_working_days_a_supplement_is_refused(
    land: Land, set_now, land_stub_pdfs: bytes
) -> None:
    branch = land.quynhon
    set_now(at(MONDAY, 9))
    dossier = land.receive(SPLIT)
    set_now(at(MONDAY, 14))
    land.forward(dossier)
    services.start_processing(dossier.pk, actor=branch.specialist)
    due = Dossier.objects.get(pk=dossier.pk).due_at

    set_now(at(date(2026, 10, 9), 8))  # Friday: the 4th working day
    with pytest.raises(InvalidTransition) as caught:
        services.request_supplement(
            dossier.pk, actor=branch.specialist, items=["Bản vẽ"], reason="Thiếu chữ ký."
        )

    assert caught.value.code == "supplement_window_passed"
    assert "3 ngày làm việc" in caught.value.message
    dossier.refresh_from_db()
    assert (dossier.state, dossier.due_at, dossier.supplement_count) == ("processing", due, 0)
    assert not SupplementRequest.objects.filter(dossier=dossier).exists()


# --- one apology with a new date (Mẫu 04) -------------------------------------------------------


def test_a_late_dossier_gets_one_apology_and_no_second(
    land: Land, set_now, monkeypatch: pytest.MonkeyPatch
) -> None:
    from motcua.conftest import PDF_BYTES

    # Mẫu 04 is rendered for real; the other documents are not the subject here.
    for name in ("render_receipt_slip", "render_transfer_slip"):
        monkeypatch.setattr(f"motcua.dossiers.pdf.{name}", lambda *a, **k: PDF_BYTES)
    leader = land.quynhon.leader
    set_now(at(MONDAY, 9))
    dossier = in_processing(land, SPLIT)
    due = working_days_due(at(MONDAY, 9), 12)
    assert dossier.due_at == due == at(date(2026, 10, 21), 17)

    # Tuesday 20 October is one working day before the due date: the last day to apologise.
    apologised = at(date(2026, 10, 20), 10)
    set_now(apologised)
    new_date = date(2026, 10, 26)
    with pytest.raises(InvalidInput) as caught:
        services.reschedule(dossier.pk, actor=leader, new_date=due.date(), reason="Chờ đo đạc")
    assert (caught.value.field, caught.value.code) == ("new_date", "new_date")
    assert "reschedule" in permissions.allowed_actions(leader, dossier)
    dossier = services.reschedule(
        dossier.pk, actor=leader, new_date=new_date, reason="Chờ kết quả đo đạc thực địa."
    )

    assert dossier.due_at == at(new_date, 17).astimezone(VN)
    assert dossier.due_at.astimezone(VN).time() == CLOSE
    assert (dossier.original_due_at, dossier.rescheduled_at) == (due, apologised)
    apology = DossierFile.objects.get(dossier=dossier, kind=FileKind.APOLOGY)
    assert apology.original_name == f"{dossier.code}-xin-loi-hen-lai.pdf"
    with apology.file.open("rb") as handle:
        assert handle.read(4) == b"%PDF"
    event = dossier.events.get(action="reschedule")
    assert (event.actor_id, event.note, event.data) == (
        leader.pk,
        "Chờ kết quả đo đạc thực địa.",
        {"new_date": "2026-10-26"},
    )
    assert "reschedule" not in permissions.allowed_actions(leader, dossier)

    set_now(at(date(2026, 10, 21), 9))
    with pytest.raises(InvalidTransition) as caught:
        services.reschedule(
            dossier.pk, actor=leader, new_date=date(2026, 10, 30), reason="Chờ lần nữa."
        )
    assert caught.value.code == "already_rescheduled"
    dossier.refresh_from_db()
    assert (dossier.original_due_at, dossier.due_at) == (due, at(new_date, 17))
    assert DossierFile.objects.filter(dossier=dossier, kind=FileKind.APOLOGY).count() == 1


def test_an_apology_on_the_due_date_is_too_late(land: Land, set_now, land_stub_pdfs: bytes) -> None:
    set_now(at(MONDAY, 9))
    dossier = in_processing(land, SPLIT)

    set_now(at(date(2026, 10, 21), 8))  # the due date itself
    with pytest.raises(InvalidTransition) as caught:
        services.reschedule(
            dossier.pk,
            actor=land.quynhon.leader,
            new_date=date(2026, 10, 26),
            reason="Chờ đo đạc.",
        )

    assert caught.value.code == "reschedule_too_late"
    dossier.refresh_from_db()
    assert (dossier.due_at, dossier.original_due_at, dossier.rescheduled_at) == (
        at(date(2026, 10, 21), 17),
        None,
        None,
    )
    assert not DossierFile.objects.filter(dossier=dossier, kind=FileKind.APOLOGY).exists()
