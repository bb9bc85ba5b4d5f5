"""Land dossiers across agencies and former-province boundaries, service by service.

Phạm Văn Dũng lives in Phường Pleiku (former Gia Lai) and owns a plot in Phường Quy Nhơn (former
Bình Định). He files his split request (1.012784) at the Pleiku ward's service center: the
plot's location, not the counter, decides the competent unit, so the paper file travels to the
Quy Nhơn branch of the Land Registration Office and the result travels back to Pleiku, where it
is returned (Decree 61/2018 Art. 18–20). Every hand-over has a transfer slip and a timeline row.

The cast is in ``land.py``; the clock stands at the times each test sets (Vietnam time).
"""

from __future__ import annotations

from datetime import date

import pytest

from motcua.catalog.selectors import get_current_procedure
from motcua.conftest import OUTSIDER_WARD, PDF_BYTES, PLEIKU_WARD, QUYNHON_WARD
from motcua.core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from motcua.dossiers import permissions, routing, services
from motcua.dossiers.models import Dossier, DossierEvent, DossierFile, FileKind, SubStep, Transfer
from motcua.dossiers.tests.land import (
    CERTIFICATE_CHARGE,
    CHANGE,
    SPLIT,
    SPLIT_SERVICE_PRICE,
    Land,
    at,
    land,
    land_stub_pdfs,
    working_days_due,
)
from motcua.org.models import Agency, User, Ward
from motcua.payments.models import Invoice

__all__ = ["land", "land_stub_pdfs"]  # fixtures

MONDAY = date(2026, 10, 5)  # an ordinary week: no holiday until 24 November
TUESDAY, WEDNESDAY, THURSDAY = date(2026, 10, 6), date(2026, 10, 7), date(2026, 10, 8)


def sees(user: User, dossier: Dossier) -> bool:
    return permissions.visible_to(user).filter(pk=dossier.pk).exists()


# --- routing by the plot's location ------------------------------------------------------------


@pytest.mark.parametrize("code", [SPLIT, CHANGE])
@pytest.mark.parametrize(
    ("parcel_ward", "branch"),
    [(QUYNHON_WARD, "cn-vpdkdd-quy-nhon"), (PLEIKU_WARD, "cn-vpdkdd-pleiku")],
)
@pytest.mark.parametrize(
    "center", [f"ttpvhcc-{PLEIKU_WARD}", f"ttpvhcc-{QUYNHON_WARD}", "ttpvhcc-tinh-gia-lai"]
)
def test_the_plot_decides_the_branch_wherever_the_dossier_is_received(
    land: Land, code: str, parcel_ward: int, branch: str, center: str
) -> None:
    procedure = get_current_procedure(code)
    form = land.split_form(parcel_ward) if code == SPLIT else land.change_form(parcel_ward)
    received_at = routing.get_receiving_center(center)

    competent = routing.competent_agency_for(procedure, received_at, {"parcel_ward": parcel_ward})
    dossier = services.submit_online(
        procedure_code=code, center_id=received_at.pk, form_data=form, uploads=land.uploads(code)
    )

    assert competent.slug == branch
    assert (dossier.receiving_agency.slug, dossier.competent_agency.slug) == (center, branch)


def test_a_plot_in_another_province_without_a_peer_is_a_field_error(land: Land) -> None:
    """A parcel in another province goes to the installation serving it (federation, see
    motcua/exchange/federation); with no such peer the officer is told the ward."""
    hanoi_ward = Ward.objects.filter(province_id=1).order_by("code").first()
    assert hanoi_ward is not None
    form = land.split_form(parcel_ward=hanoi_ward.code)

    with pytest.raises(InvalidInput) as caught:
        services.submit_online(
            procedure_code=SPLIT,
            center_id=land.world.pleiku.center.pk,
            form_data=form,
            uploads=land.uploads(SPLIT),
        )

    assert (caught.value.field, caught.value.code) == ("parcel_ward", "no_federation_peer")
    assert caught.value.message == (
        f"Thửa đất ở {hanoi_ward.name}, Thành phố Hà Nội: chưa có hệ thống liên thông nào "
        "của tỉnh này để chuyển hồ sơ."
    )
    assert not Dossier.objects.exists()


def test_routing_without_a_plot_ward_names_the_field(land: Land) -> None:
    procedure = get_current_procedure(SPLIT)

    with pytest.raises(InvalidInput) as caught:
        routing.competent_agency_for(procedure, land.world.pleiku.center, {})

    assert (caught.value.field, caught.value.code) == ("parcel_ward", "no_competent_agency")


# --- the paper file's journey -------------------------------------------------------------------


def test_a_split_dossier_travels_to_quy_nhon_and_its_result_back_to_pleiku(
    land: Land, set_now, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Transfer slips are rendered for real; the other documents are not the subject here.
    for name in ("render_receipt_slip", "render_result_notice"):
        monkeypatch.setattr(f"motcua.dossiers.pdf.{name}", lambda *a, **k: PDF_BYTES)
    world, branch = land.world, land.quynhon
    center, receiver = world.pleiku.center, world.pleiku.receiver

    set_now(at(MONDAY, 9))
    dossier = land.receive(SPLIT)
    assert dossier.state == "accepted"
    assert (dossier.receiving_agency_id, dossier.competent_agency_id) == (
        center.pk,
        branch.agency.pk,
    )
    assert dossier.holder_id == center.pk
    assert dossier.due_at == working_days_due(at(MONDAY, 9), 12)
    assert Invoice.objects.get(dossier=dossier).amount == (
        (SPLIT_SERVICE_PRICE + CERTIFICATE_CHARGE) * 2
    )

    # The branch cannot take a file it does not hold; the center sends it.
    with pytest.raises(Forbidden) as caught:
        services.send_file(dossier.pk, actor=branch.specialist, means="in_person")
    assert caught.value.code == "not_holder"
    set_now(at(MONDAY, 10))
    outbound = services.send_file(
        dossier.pk,
        actor=receiver,
        means="in_person",
        items=["Đơn Mẫu số 21", "Bản vẽ Mẫu số 22", "Giấy chứng nhận bản gốc"],
        note="Chuyển hồ sơ giấy trong ngày",
    )
    dossier.refresh_from_db()
    assert (outbound.purpose, outbound.from_agency_id, outbound.to_agency_id) == (
        "file",
        center.pk,
        branch.agency.pk,
    )
    assert outbound.slip_number == f"PC-{center.code}-2026-00001"
    assert outbound.items == ["Đơn Mẫu số 21", "Bản vẽ Mẫu số 22", "Giấy chứng nhận bản gốc"]
    assert dossier.holder_id is None  # in transit
    with pytest.raises(Forbidden):
        services.send_file(dossier.pk, actor=receiver, means="in_person")

    set_now(at(MONDAY, 14))
    services.receive_file(outbound.pk, actor=branch.specialist)
    dossier.refresh_from_db()
    assert dossier.holder_id == branch.agency.pk
    assert dossier.competent_received_at == at(MONDAY, 14)
    with pytest.raises(InvalidTransition) as caught:
        services.receive_file(outbound.pk, actor=branch.specialist)
    assert caught.value.code == "already_received"

    set_now(at(TUESDAY, 9))
    services.start_processing(dossier.pk, actor=branch.specialist)
    set_now(at(WEDNESDAY, 15))
    services.submit_for_approval(
        dossier.pk, actor=branch.specialist, note="Đủ điều kiện tách thửa theo Điều 220."
    )
    set_now(at(THURSDAY, 10))
    dossier = services.approve(dossier.pk, actor=branch.leader)
    assert dossier.state == "approved"

    # The result is still at the branch: the center cannot hand it over, nor send it back.
    with pytest.raises(InvalidTransition) as caught:
        services.return_result(dossier.pk, actor=receiver)
    assert caught.value.code == "result_not_here"
    with pytest.raises(Forbidden):
        services.send_file(dossier.pk, actor=receiver, means="postal")
    set_now(at(THURSDAY, 11))
    inbound = services.send_file(dossier.pk, actor=branch.leader, means="postal")
    assert (inbound.purpose, inbound.from_agency_id, inbound.to_agency_id) == (
        "result",
        branch.agency.pk,
        center.pk,
    )
    assert inbound.slip_number == f"PC-{branch.agency.code}-2026-00001"
    with pytest.raises(InvalidTransition) as caught:
        services.return_result(dossier.pk, actor=receiver)
    assert caught.value.code == "result_not_here"
    set_now(at(THURSDAY, 15))
    services.receive_file(inbound.pk, actor=receiver)

    set_now(at(date(2026, 10, 9), 8))
    dossier = services.return_result(dossier.pk, actor=receiver)
    assert (dossier.state, dossier.national_status, dossier.holder_id) == (
        "returned",
        10,
        center.pk,
    )
    assert dossier.returned_at == at(date(2026, 10, 9), 8)

    hand_overs = [
        (e.action, e.at, e.actor_id, e.agency_id, e.data["slip"], e.data["purpose"])
        for e in dossier.events.filter(action__in=["send_file", "receive_file"])
    ]
    assert hand_overs == [
        ("send_file", at(MONDAY, 10), receiver.pk, center.pk, outbound.slip_number, "file"),
        ("receive_file", at(MONDAY, 14), branch.specialist.pk, branch.agency.pk,
         outbound.slip_number, "file"),
        ("send_file", at(THURSDAY, 11), branch.leader.pk, branch.agency.pk,
         inbound.slip_number, "result"),
        ("receive_file", at(THURSDAY, 15), receiver.pk, center.pk, inbound.slip_number,
         "result"),
    ]  # fmt: skip
    assert list(dossier.events.values_list("action", flat=True)) == [
        "submit",
        "accept",
        "settle_payment",
        "send_file",
        "receive_file",
        "start_processing",
        "submit_for_approval",
        "approve",
        "send_file",
        "receive_file",
        "return_result",
    ]
    slips = DossierFile.objects.filter(dossier=dossier, kind=FileKind.TRANSFER_SLIP)
    assert [(f.original_name, f.created_at) for f in slips] == [
        (f"{outbound.slip_number}.pdf", at(MONDAY, 10)),
        (f"{inbound.slip_number}.pdf", at(THURSDAY, 11)),
    ]
    for slip in slips:
        with slip.file.open("rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF") and len(content) > len(PDF_BYTES)
        assert slip.size == len(content)


def test_the_file_must_be_received_before_the_next_hand_over(
    land: Land, set_now, land_stub_pdfs: bytes
) -> None:
    branch = land.quynhon
    set_now(at(MONDAY, 9))
    dossier = land.receive(SPLIT)
    outbound = services.send_file(dossier.pk, actor=land.world.pleiku.receiver, means="courier")

    # Only the recipient confirms receipt; the other branch cannot even see the transfer.
    with pytest.raises(NotFound):
        services.receive_file(outbound.pk, actor=land.pleiku.specialist)
    with pytest.raises(NotFound):
        services.receive_file(outbound.pk, actor=land.world.pleiku.receiver)
    with pytest.raises(InvalidInput) as caught:
        services.send_file(dossier.pk, actor=land.world.pleiku.receiver, means="pigeon")
    assert (caught.value.field, caught.value.code) == ("means", "transfer_means")

    with pytest.raises(NotFound) as missing:
        services.receive_file(outbound.pk + 1000, actor=branch.leader)
    assert missing.value.code == "dossier_not_found"

    services.receive_file(outbound.pk, actor=branch.leader)
    services.start_processing(dossier.pk, actor=branch.specialist)
    # Before the result the branch has nothing to send back.
    with pytest.raises(InvalidTransition) as caught:
        services.send_file(dossier.pk, actor=branch.specialist, means="postal")
    assert caught.value.code == "transfer_not_due"
    assert Transfer.objects.filter(dossier=dossier).count() == 1


# --- who sees a land dossier --------------------------------------------------------------------


def test_the_center_and_the_branch_see_the_dossier_and_no_one_else(
    land: Land, set_now, land_stub_pdfs: bytes
) -> None:
    world = land.world
    set_now(at(MONDAY, 9))
    dossier = land.receive(SPLIT)
    outbound = services.send_file(dossier.pk, actor=world.pleiku.receiver, means="in_person")

    seen = {
        "center receiver": sees(world.pleiku.receiver, dossier),
        "Quy Nhơn branch specialist": sees(land.quynhon.specialist, dossier),
        "Quy Nhơn branch leader": sees(land.quynhon.leader, dossier),
        "Pleiku branch specialist": sees(land.pleiku.specialist, dossier),
        "Quy Nhơn ward receiver": sees(world.quynhon.receiver, dossier),
        "Biển Hồ receiver": sees(world.outsider, dossier),
        "tax officer": sees(land.tax_officer, dossier),
        "provincial center receiver": sees(land.province_receiver, dossier),
    }
    assert seen == {
        "center receiver": True,
        "Quy Nhơn branch specialist": True,
        "Quy Nhơn branch leader": True,
        "Pleiku branch specialist": False,
        "Quy Nhơn ward receiver": False,
        "Biển Hồ receiver": False,
        "tax officer": False,
        "provincial center receiver": False,
    }
    assert world.outsider_center.ward_id == OUTSIDER_WARD
    with pytest.raises(NotFound):
        services.send_file(dossier.pk, actor=world.outsider, means="in_person")
    with pytest.raises(NotFound):
        services.receive_file(outbound.pk, actor=world.outsider)
    with pytest.raises(NotFound):
        services.start_processing(dossier.pk, actor=world.outsider)


def test_the_tax_office_sees_a_change_registration_only_once_asked(
    land: Land, set_now, land_stub_pdfs: bytes
) -> None:
    branch = land.pleiku
    set_now(at(MONDAY, 9))
    dossier = land.receive(CHANGE)
    land.forward(dossier)
    services.start_processing(dossier.pk, actor=branch.specialist)
    assert not sees(land.tax_officer, dossier)

    set_now(at(WEDNESDAY, 10))
    services.send_to_tax(dossier.pk, actor=branch.specialist, note="Phiếu chuyển thông tin số 19")

    assert sees(land.tax_officer, dossier)
    assert not sees(land.quynhon.specialist, dossier)
    step = SubStep.objects.get(dossier=dossier)
    assert (step.kind, step.agency_id, step.due_at, step.requested_at) == (
        "tax",
        land.tax_office.pk,
        None,
        at(WEDNESDAY, 10),
    )


# --- consultation of another agency -------------------------------------------------------------


def test_a_consultation_has_a_due_date_and_a_late_answer_is_flagged(
    land: Land, set_now, land_stub_pdfs: bytes
) -> None:
    world, branch = land.world, land.quynhon
    committee, officer = world.quynhon.committee, world.quynhon.specialist
    set_now(at(MONDAY, 9))
    dossier = land.receive(SPLIT)
    land.forward(dossier)
    services.start_processing(dossier.pk, actor=branch.specialist)
    assert not sees(officer, dossier)

    set_now(at(TUESDAY, 10))
    on_time = services.request_consultation(
        dossier.pk,
        actor=branch.specialist,
        agency_id=committee.pk,
        question="Thửa đất có nằm trong quy hoạch mở đường không?",
        days=2,
    )
    late = services.request_consultation(
        dossier.pk,
        actor=branch.specialist,
        agency_id=committee.pk,
        question="Thửa đất có tranh chấp không?",
        days=1,
    )
    assert (on_time.kind, on_time.agency_id, on_time.due_at) == (
        "consultation",
        committee.pk,
        working_days_due(at(TUESDAY, 10), 2),
    )
    assert late.due_at == working_days_due(at(TUESDAY, 10), 1)
    assert sees(officer, dossier)  # while consulted
    assert not sees(world.pleiku.specialist, dossier)

    # Only an officer of the consulted agency answers.
    with pytest.raises(NotFound):
        services.answer_consultation(on_time.pk, actor=world.pleiku.specialist, answer="Không.")
    set_now(at(THURSDAY, 16))
    services.answer_consultation(on_time.pk, actor=officer, answer="Không nằm trong quy hoạch.")
    services.answer_consultation(late.pk, actor=officer, answer="Không có tranh chấp.")
    with pytest.raises(InvalidTransition) as caught:
        services.answer_consultation(late.pk, actor=officer, answer="Lần nữa.")
    assert caught.value.code == "already_answered"

    answers = [
        (e.at, e.actor_id, e.agency_id, e.note, e.data)
        for e in DossierEvent.objects.filter(dossier=dossier, action="answer_consultation")
    ]
    assert answers == [
        (at(THURSDAY, 16), officer.pk, committee.pk, "Không nằm trong quy hoạch.",
         {"substep": on_time.pk, "late": False}),
        (at(THURSDAY, 16), officer.pk, committee.pk, "Không có tranh chấp.",
         {"substep": late.pk, "late": True}),
    ]  # fmt: skip
    on_time.refresh_from_db()
    assert (on_time.answer, on_time.answered_at, on_time.answered_by_id) == (
        "Không nằm trong quy hoạch.",
        at(THURSDAY, 16),
        officer.pk,
    )


@pytest.mark.parametrize(
    ("days", "agency", "field"),
    [(0, "committee", "days"), (31, "committee", "days"), (2, "branch", "agency")],
)
def test_a_consultation_needs_a_due_date_and_another_agency(
    land: Land, set_now, land_stub_pdfs: bytes, days: int, agency: str, field: str
) -> None:
    set_now(at(MONDAY, 9))
    dossier = land.receive(SPLIT)
    land.forward(dossier)
    services.start_processing(dossier.pk, actor=land.quynhon.specialist)
    asked: Agency = land.world.quynhon.committee if agency == "committee" else land.quynhon.agency

    with pytest.raises(InvalidInput) as caught:
        services.request_consultation(
            dossier.pk, actor=land.quynhon.specialist, agency_id=asked.pk, question="?", days=days
        )

    assert caught.value.field == field
    assert not SubStep.objects.exists()
