"""Who sees and who acts: ``visible_to``, ``allowed_actions`` and the checks of every service.

An officer sees the dossiers received by their service center or routed to their committee;
acting on a dossier one cannot see answers like a missing dossier (``dossier_not_found``), the
wrong role is ``wrong_role``, the wrong moment ``invalid_transition``. A refused action changes
nothing: not the dossier, not its history, not the audit trail, not its files or invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from motcua.conftest import PROCEDURE_CODE, World
from motcua.core.errors import Forbidden, InvalidTransition, MotcuaError, NotFound
from motcua.core.models import AuditEntry
from motcua.dossiers import services
from motcua.dossiers.models import Dossier
from motcua.dossiers.permissions import allowed_actions, visible_to
from motcua.org.models import Role
from motcua.org.services import add_staff
from motcua.payments.models import Invoice

pytestmark = pytest.mark.usefixtures("stub_pdfs")

Action = Callable[[Dossier, Any], Any]

ACTIONS: dict[str, Action] = {
    "accept": lambda d, actor: services.accept(d.pk, actor=actor),
    "refuse": lambda d, actor: services.refuse(d.pk, actor=actor, reason="Sai thẩm quyền."),
    "request_supplement": lambda d, actor: services.request_supplement(
        d.pk, actor=actor, items=["CCCD"], reason="Thiếu CCCD."
    ),
    "start_processing": lambda d, actor: services.start_processing(d.pk, actor=actor),
    "assign": lambda d, actor: services.assign(d.pk, actor=actor, assignee_id=actor.pk),
    "submit_for_approval": lambda d, actor: services.submit_for_approval(
        d.pk, actor=actor, note="Đề nghị cấp."
    ),
    "send_back": lambda d, actor: services.send_back(d.pk, actor=actor, reason="Xem lại."),
    "approve": lambda d, actor: services.approve(d.pk, actor=actor),
    "stop": lambda d, actor: services.stop(d.pk, actor=actor, reason="Không có dữ liệu."),
    "return_result": lambda d, actor: services.return_result(d.pk, actor=actor),
    "record_cash_payment": lambda d, actor: services.record_cash_payment(d.pk, actor=actor),
}


def officer(world: World, name: str) -> Any:
    """ "pleiku.receiver", "quynhon.leader", "outsider", "admin"."""
    if "." not in name:
        return getattr(world, name)
    commune, role = name.split(".")
    return getattr(getattr(world, commune), role)


def snapshot(dossier: Dossier) -> tuple[Any, ...]:
    fresh = Dossier.objects.get(pk=dossier.pk)
    return (
        fresh.state,
        fresh.assignee_id,
        fresh.accepted_at,
        fresh.due_at,
        fresh.closed_at,
        fresh.supplement_count,
        fresh.decision_note,
        fresh.updated_at,
        fresh.events.count(),
        fresh.files.count(),
        fresh.supplements.count(),
        Invoice.objects.get(dossier=fresh).status,
        AuditEntry.objects.count(),
    )


# --- visibility --------------------------------------------------------------------------------


def test_visible_to(world: World) -> None:
    at_pleiku = world.submit(world.pleiku)
    at_quynhon = world.submit(world.quynhon)
    at_bien_ho = services.submit_online(
        procedure_code=PROCEDURE_CODE, center_id=world.outsider_center.pk, form_data=world.form()
    )

    def seen(user: Any) -> set[int]:
        return set(visible_to(user).values_list("pk", flat=True))

    for commune, own in ((world.pleiku, at_pleiku), (world.quynhon, at_quynhon)):
        assert seen(commune.receiver) == {own.pk}
        assert seen(commune.specialist) == {own.pk}
        assert seen(commune.leader) == {own.pk}
    assert seen(world.outsider) == {at_bien_ho.pk}
    assert seen(world.admin) == {at_pleiku.pk, at_quynhon.pk, at_bien_ho.pk}
    assert seen(AnonymousUser()) == set()
    assert seen("applicant") == set()
    lone = add_staff(
        username="khongvaitro",
        full_name="Không vai trò",
        agency=world.pleiku.center,
        role=Role.CLERK,
        password_hash="!",
    )
    lone.memberships.all().delete()
    assert seen(lone) == set()


def test_an_outsider_sees_none_of_the_cast_s_dossiers(world: World) -> None:
    world.submit(world.pleiku)
    world.dossier_in("approved", world.quynhon)

    assert not visible_to(world.outsider).exists()


def test_visible_to_narrows_a_given_queryset(world: World) -> None:
    submitted = world.submit(world.pleiku)
    world.submit(world.quynhon)

    narrowed = visible_to(world.pleiku.receiver, Dossier.objects.filter(state="submitted"))

    assert list(narrowed.values_list("pk", flat=True)) == [submitted.pk]


# --- allowed actions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (
            "submitted",
            {
                # The fee is unpaid: the receiver may also take it in cash at the counter.
                "receiver": ["accept", "refuse", "request_supplement", "record_cash_payment"],
                "specialist": [],
                "leader": [],
            },
        ),
        (
            "awaiting_payment",
            {"receiver": ["record_cash_payment"], "specialist": [], "leader": []},
        ),
        (
            "accepted",
            {"receiver": [], "specialist": ["start_processing"], "leader": ["assign"]},
        ),
        (
            "processing",
            {
                "receiver": [],
                "specialist": ["request_supplement_after_appraisal", "submit_for_approval"],
                "leader": ["assign", "stop"],
            },
        ),
        (
            "awaiting_approval",
            {"receiver": [], "specialist": [], "leader": ["send_back", "approve", "stop"]},
        ),
        ("approved", {"receiver": ["return_result"], "specialist": [], "leader": []}),
        ("returned", {"receiver": [], "specialist": [], "leader": []}),
    ],
)
def test_allowed_actions(world: World, state: str, expected: dict[str, list[str]]) -> None:
    dossier = world.dossier_in(state)

    for role, actions in expected.items():
        assert allowed_actions(getattr(world.pleiku, role), dossier) == actions, role
    for stranger in (world.quynhon.receiver, world.quynhon.leader, world.outsider, world.admin):
        assert allowed_actions(stranger, dossier) == []


# --- refused actions change nothing ------------------------------------------------------------


def assert_refused(
    dossier: Dossier, name: str, actor: Any, error: type[MotcuaError], code: str
) -> None:
    before = snapshot(dossier)

    with pytest.raises(error) as caught:
        ACTIONS[name](dossier, actor)

    assert caught.value.code == code
    assert snapshot(dossier) == before


HIDDEN = [
    ("submitted", "accept", "outsider"),
    ("submitted", "refuse", "quynhon.receiver"),
    ("submitted", "request_supplement", "outsider"),
    ("accepted", "start_processing", "quynhon.specialist"),
    ("accepted", "assign", "quynhon.leader"),
    ("processing", "submit_for_approval", "quynhon.specialist"),
    ("awaiting_approval", "approve", "quynhon.leader"),
    ("awaiting_approval", "stop", "outsider"),
    ("approved", "return_result", "outsider"),
    ("awaiting_payment", "record_cash_payment", "quynhon.receiver"),
]


@pytest.mark.parametrize(("state", "action", "actor"), HIDDEN)
def test_a_dossier_one_cannot_see_answers_not_found(
    world: World, state: str, action: str, actor: str
) -> None:
    dossier = world.dossier_in(state)

    assert_refused(dossier, action, officer(world, actor), NotFound, "dossier_not_found")


WRONG_ROLE = [
    ("submitted", "accept", "pleiku.specialist"),
    ("submitted", "refuse", "pleiku.leader"),
    ("submitted", "request_supplement", "pleiku.specialist"),
    ("submitted", "accept", "admin"),
    ("accepted", "start_processing", "pleiku.receiver"),
    ("accepted", "assign", "pleiku.specialist"),
    ("processing", "submit_for_approval", "pleiku.leader"),
    ("processing", "request_supplement", "pleiku.receiver"),
    ("processing", "stop", "pleiku.specialist"),
    ("awaiting_approval", "approve", "pleiku.specialist"),
    ("awaiting_approval", "send_back", "pleiku.receiver"),
    ("approved", "return_result", "pleiku.specialist"),
    ("awaiting_payment", "record_cash_payment", "pleiku.specialist"),
]


@pytest.mark.parametrize(("state", "action", "actor"), WRONG_ROLE)
def test_the_wrong_role_is_forbidden(world: World, state: str, action: str, actor: str) -> None:
    dossier = world.dossier_in(state)

    assert_refused(dossier, action, officer(world, actor), Forbidden, "wrong_role")


OUT_OF_ORDER = [
    ("submitted", "return_result", "pleiku.receiver"),
    ("submitted", "start_processing", "pleiku.specialist"),
    ("awaiting_payment", "start_processing", "pleiku.specialist"),
    ("accepted", "accept", "pleiku.receiver"),
    ("accepted", "submit_for_approval", "pleiku.specialist"),
    ("processing", "approve", "pleiku.leader"),
    ("processing", "send_back", "pleiku.leader"),
    ("awaiting_approval", "start_processing", "pleiku.specialist"),
    ("approved", "stop", "pleiku.leader"),
    ("returned", "return_result", "pleiku.receiver"),
]


@pytest.mark.parametrize(("state", "action", "actor"), OUT_OF_ORDER)
def test_out_of_order_is_an_invalid_transition(
    world: World, state: str, action: str, actor: str
) -> None:
    dossier = world.dossier_in(state)

    assert_refused(dossier, action, officer(world, actor), InvalidTransition, "invalid_transition")


def test_only_the_assignee_proposes_the_result(world: World) -> None:
    colleague = add_staff(
        username="cv2.phuongpleiku",
        full_name="Chuyên viên thứ hai",
        agency=world.pleiku.committee,
        role=Role.SPECIALIST,
        password_hash="!",
    )
    dossier = world.dossier_in("processing")

    assert_refused(dossier, "submit_for_approval", colleague, InvalidTransition, "not_assignee")


@pytest.mark.parametrize("verb", ["withdraw", "supplement"])
def test_the_applicant_needs_the_access_token(world: World, verb: str) -> None:
    dossier = world.submit()
    services.request_supplement(
        dossier.pk, actor=world.pleiku.receiver, items=["CCCD"], reason="Thiếu CCCD."
    )
    before = snapshot(dossier)

    with pytest.raises(NotFound) as caught:
        if verb == "withdraw":
            services.withdraw(dossier.pk, access_token="doan-bua", reason="Thôi.")
        else:
            services.supplement(dossier.pk, access_token="doan-bua", uploads=[], note="Đây.")

    assert caught.value.code == "dossier_not_found"
    assert snapshot(dossier) == before


def test_a_missing_dossier_is_not_found(world: World) -> None:
    with pytest.raises(NotFound) as caught:
        services.accept(987654, actor=world.pleiku.receiver)

    assert caught.value.code == "dossier_not_found"
