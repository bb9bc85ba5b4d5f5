"""Escalation: officers are warned once of dossiers due soon, of overdue dossiers and of overdue
consultations, in the app and by e-mail (Decree 61/2018 Art. 19).

The cast is the shared one (``motcua/conftest.py``) plus Hồ Thị Mai, head of the Pleiku ward's
service center, and the land cast (``land.py``) for the tax step and consultations. Nguyễn Văn
An's civil-status copy is received at 09:00 on Monday 5 October 2026 and due at 17:00 the same
day (Law on Civil Status Art. 5(3)).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from motcua.conftest import World
from motcua.core.models import AuditEntry
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, Notice, SubStep
from motcua.dossiers.services.escalation import EscalationSummary, escalate
from motcua.dossiers.tests.land import (
    CHANGE,
    Land,
    at,
    land,
    land_stub_pdfs,
    working_days_due,
)
from motcua.org.models import Role, User
from motcua.org.services import add_staff

__all__ = ["land", "land_stub_pdfs"]  # fixtures

MONDAY = date(2026, 10, 5)
DUE = at(MONDAY, 17)
NOTHING = EscalationSummary()


@pytest.fixture
def head(world: World) -> User:
    """Hồ Thị Mai, head (leader) of the Pleiku ward's service center."""
    return add_staff(
        username="gd.ttpvhcc-23575",
        full_name="Hồ Thị Mai",
        agency=world.pleiku.center,
        role=Role.LEADER,
        password_hash=world.pleiku.receiver.password,
    )


@pytest.fixture
def emails(world: World, head: User) -> dict[str, User]:
    """Addresses for the Pleiku leader, the center head and the receiver; none for others."""
    cast = {
        "leader": world.pleiku.leader,
        "head": head,
        "receiver": world.pleiku.receiver,
        "other leader": world.quynhon.leader,
    }
    for user in cast.values():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@gialai.gov.vn")
        user.refresh_from_db()
    return cast


@pytest.fixture
def copy_request(world: World, set_now: Any, stub_pdfs: bytes) -> Dossier:
    """An's dossier, received at 09:00 on Monday and taken by the specialist: due at 17:00."""
    set_now(at(MONDAY, 9))
    dossier: Dossier = world.dossier_in("processing")
    assert dossier.due_at == DUE
    return dossier


def notified(kind: str | None = None) -> list[tuple[str, str]]:
    notices = Notice.objects.select_related("user").order_by("user__username", "kind")
    if kind:
        notices = notices.filter(kind=kind)
    return [(n.user.username, n.kind) for n in notices]


# --- due soon and overdue ----------------------------------------------------------------------


def test_due_soon_fires_once_at_the_lead_time(
    world: World, head: User, copy_request: Dossier, settings: Any
) -> None:
    settings.MOTCUA_DUE_SOON_HOURS = 4

    assert escalate(at(MONDAY, 12, 59)) == NOTHING
    summary = escalate(at(MONDAY, 13))

    assert summary == EscalationSummary(due_soon=1, notices=2)
    assert notified() == [("gd.ttpvhcc-23575", "due_soon"), ("ld.phuongpleiku", "due_soon")]
    copy_request.refresh_from_db()
    assert (copy_request.due_soon_notified_at, copy_request.overdue_notified_at) == (
        at(MONDAY, 13),
        None,
    )
    notice = Notice.objects.get(user=world.pleiku.leader)
    assert (
        notice.message
        == f"Hồ sơ {copy_request.code} sắp đến hạn trả kết quả: hạn 17:00 05/10/2026."
    )
    assert (notice.dossier_id, notice.created_at, notice.read_at) == (
        copy_request.pk,
        at(MONDAY, 13),
        None,
    )
    assert escalate(at(MONDAY, 16)) == NOTHING
    assert escalate(DUE) == NOTHING  # due, not yet overdue
    assert Notice.objects.count() == 2


def test_the_default_lead_time_is_24_hours(
    world: World, set_now: Any, stub_pdfs: bytes, settings: Any
) -> None:
    assert settings.MOTCUA_DUE_SOON_HOURS == 24
    set_now(at(MONDAY, 16))  # after 15:00: due at 17:00 the next working day
    dossier = world.dossier_in("accepted")
    assert dossier.due_at == at(date(2026, 10, 6), 17)

    assert escalate(at(MONDAY, 16, 59)) == NOTHING
    assert escalate(at(MONDAY, 17)).due_soon == 1
    assert notified() == [("ld.phuongpleiku", "due_soon")]


def test_overdue_fires_once_to_the_leaders_and_the_center_s_receivers(
    world: World, head: User, copy_request: Dossier
) -> None:
    escalate(at(MONDAY, 9, 30))  # due soon (24 hours ahead)
    Notice.objects.all().delete()

    summary = escalate(DUE + timedelta(minutes=1))

    assert summary == EscalationSummary(overdue=1, notices=3)
    assert notified() == [
        ("gd.ttpvhcc-23575", "overdue"),
        ("ld.phuongpleiku", "overdue"),
        ("tn.phuongpleiku", "overdue"),
    ]
    notice = Notice.objects.get(user=world.pleiku.receiver)
    assert (
        notice.message
        == f"Hồ sơ {copy_request.code} đã quá hạn trả kết quả (hạn 17:00 05/10/2026)."
    )
    copy_request.refresh_from_db()
    assert copy_request.overdue_notified_at == DUE + timedelta(minutes=1)
    assert escalate(at(date(2026, 10, 6), 9)) == NOTHING
    assert escalate(at(date(2026, 10, 20), 9)) == NOTHING


def test_no_one_outside_the_dossier_s_units_is_warned(
    world: World, head: User, copy_request: Dossier
) -> None:
    quynhon = world.dossier_in("processing", commune=world.quynhon)

    escalate(at(MONDAY, 10))
    escalate(at(MONDAY, 18))

    by_dossier = {
        code: sorted({u for u, _ in notified_for(code)})
        for code in (copy_request.code, quynhon.code)
    }
    assert by_dossier == {
        copy_request.code: ["gd.ttpvhcc-23575", "ld.phuongpleiku", "tn.phuongpleiku"],
        quynhon.code: ["ld.phuongquynhon", "tn.phuongquynhon"],
    }
    for user in (world.outsider, world.pleiku.specialist, world.quynhon.specialist, world.admin):
        assert not Notice.objects.filter(user=user).exists()


def notified_for(code: str) -> list[tuple[str, str]]:
    notices = Notice.objects.filter(dossier__code=code).select_related("user")
    return sorted((n.user.username, n.kind) for n in notices)


def test_a_second_run_at_the_same_time_sends_nothing(
    world: World, head: User, emails: dict[str, User], copy_request: Dossier
) -> None:
    first = escalate(DUE + timedelta(hours=1))
    count, audits, sent = Notice.objects.count(), AuditEntry.objects.count(), len(mail.outbox)

    second = escalate(DUE + timedelta(hours=1))

    assert (first.overdue, first.notices, first.emails) == (1, 3, 3)
    assert second == NOTHING
    assert (Notice.objects.count(), AuditEntry.objects.count(), len(mail.outbox)) == (
        count,
        audits,
        sent,
    )


def test_finished_and_paused_dossiers_are_not_escalated(
    world: World, set_now: Any, stub_pdfs: bytes
) -> None:
    set_now(at(MONDAY, 9))
    approved = world.dossier_in("approved")
    submitted = world.dossier_in("submitted")
    assert approved.due_at == DUE and submitted.due_at is None

    assert escalate(at(MONDAY, 18)) == NOTHING


def test_each_notice_is_audited_with_ids_only(
    world: World, head: User, copy_request: Dossier
) -> None:
    escalate(at(MONDAY, 10))

    entries = AuditEntry.objects.filter(action="notice.created").order_by("pk")
    notices = Notice.objects.order_by("pk")
    assert [(e.object_type, e.object_id, e.actor_id, e.actor_label) for e in entries] == [
        ("dossiers.notice", str(n.pk), None, "system") for n in notices
    ]
    assert [e.data for e in entries] == [
        {"dossier": copy_request.pk, "user": n.user_id, "kind": "due_soon"} for n in notices
    ]


def test_one_log_line_per_run_with_counts(
    world: World, copy_request: Dossier, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="motcua.dossiers.services.escalation"):
        escalate(at(MONDAY, 18))

    lines = [r.getMessage() for r in caplog.records if r.name.endswith("escalation")]
    assert lines == ["dossiers.escalated due_soon=0 overdue=1 consultations=0 notices=2 emails=0"]
    assert copy_request.applicant_id_number not in caplog.text


# --- e-mail ------------------------------------------------------------------------------------


def test_one_mail_per_officer_per_run_with_the_code_and_no_id_number(
    world: World, emails: dict[str, User], copy_request: Dossier, set_now: Any
) -> None:
    second = world.dossier_in("processing")

    summary = escalate(DUE + timedelta(minutes=5))

    assert (summary.overdue, summary.notices, summary.emails) == (2, 6, 3)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "gd.ttpvhcc-23575@gialai.gov.vn",
        "ld.phuongpleiku@gialai.gov.vn",
        "tn.phuongpleiku@gialai.gov.vn",
    ]
    message = next(m for m in mail.outbox if m.to == ["ld.phuongpleiku@gialai.gov.vn"])
    assert message.subject == "[Một cửa] 2 thông báo về hạn giải quyết hồ sơ"
    assert message.body == (
        "Kính gửi đồng chí,\n\n"
        "Hệ thống Một cửa điện tử xin thông báo:\n\n"
        f"- Hồ sơ {copy_request.code} đã quá hạn trả kết quả (hạn 17:00 05/10/2026).\n"
        f"  http://127.0.0.1:8000/mot-cua/ho-so/{copy_request.pk}/\n"
        f"- Hồ sơ {second.code} đã quá hạn trả kết quả (hạn 17:00 05/10/2026).\n"
        f"  http://127.0.0.1:8000/mot-cua/ho-so/{second.pk}/\n\n"
        "Xem tất cả thông báo: http://127.0.0.1:8000/mot-cua/thong-bao/\n"
    )
    for sent in mail.outbox:
        assert copy_request.applicant_id_number not in sent.body + sent.subject
        assert copy_request.applicant_name not in sent.body + sent.subject
    assert set(Notice.objects.values_list("user__username", "emailed")) == {
        ("gd.ttpvhcc-23575", True),
        ("ld.phuongpleiku", True),
        ("tn.phuongpleiku", True),
    }


def test_an_officer_without_an_address_gets_notices_only(
    world: World, copy_request: Dossier
) -> None:
    summary = escalate(at(MONDAY, 10))

    assert (summary.notices, summary.emails, mail.outbox) == (1, 0, [])
    assert list(Notice.objects.values_list("emailed", flat=True)) == [False]


def test_mail_can_be_switched_off(
    emails: dict[str, User], copy_request: Dossier, settings: Any
) -> None:
    settings.MOTCUA_ESCALATION_EMAIL = False

    summary = escalate(at(MONDAY, 10))

    assert (summary.notices, summary.emails, mail.outbox) == (2, 0, [])


# --- the clock of land dossiers and consultations ----------------------------------------------


def test_no_warning_while_the_tax_authority_has_the_dossier_then_the_new_due_time_is_warned(
    land: Land, set_now: Any, land_stub_pdfs: bytes
) -> None:
    branch = land.pleiku
    set_now(at(MONDAY, 9))
    dossier = land.receive(CHANGE)
    land.forward(dossier)
    services.start_processing(dossier.pk, actor=branch.specialist)
    first = working_days_due(at(MONDAY, 9), 5)

    assert escalate(first - timedelta(hours=1)).due_soon == 1  # first appointment near
    set_now(first - timedelta(minutes=30))
    services.send_to_tax(dossier.pk, actor=branch.specialist, note="Phiếu số 19/2026")
    assert escalate(first + timedelta(days=3)) == NOTHING  # the tax authority's time

    proof = at(date(2026, 10, 15), 9)
    set_now(proof)
    services.record_obligations_met(dossier.pk, actor=branch.specialist, note="Đã nộp thuế")
    second = working_days_due(proof, 3)

    assert escalate(second - timedelta(hours=25)) == NOTHING
    assert escalate(second - timedelta(hours=23)).due_soon == 1
    assert escalate(second + timedelta(minutes=1)).overdue == 1
    assert notified_for(dossier.code) == [
        ("ld.cn-vpdkdd-pleiku", "due_soon"),
        ("ld.cn-vpdkdd-pleiku", "due_soon"),
        ("ld.cn-vpdkdd-pleiku", "overdue"),
        ("tn.phuongpleiku", "overdue"),
    ]


def test_a_rescheduled_due_time_is_warned_again(
    world: World, head: User, set_now: Any, land: Land, land_stub_pdfs: bytes
) -> None:
    set_now(at(MONDAY, 9))
    dossier = land.receive("1.012784")
    due = working_days_due(at(MONDAY, 9), 12)
    escalate(due - timedelta(hours=20))
    set_now(due - timedelta(hours=20))  # 21:00 the day before: still one working day ahead
    moved = services.reschedule(
        dossier.pk, actor=land.quynhon.leader, new_date=date(2026, 10, 26), reason="Đo đạc."
    )

    assert escalate(due + timedelta(hours=1)) == NOTHING
    assert escalate(moved.due_at - timedelta(hours=2)).due_soon == 1
    assert [kind for _, kind in notified_for(dossier.code)].count("due_soon") == 4


def test_an_overdue_consultation_reminds_the_consulted_agency_and_the_asker_once(
    land: Land, set_now: Any, land_stub_pdfs: bytes
) -> None:
    world, branch = land.world, land.quynhon
    committee = world.quynhon.committee
    set_now(at(MONDAY, 9))
    dossier = land.receive("1.012784")
    land.forward(dossier)
    services.start_processing(dossier.pk, actor=branch.specialist)
    step = services.request_consultation(
        dossier.pk, actor=branch.specialist, agency_id=committee.pk, question="Quy hoạch?", days=2
    )
    answered = services.request_consultation(
        dossier.pk, actor=branch.specialist, agency_id=committee.pk, question="Tranh chấp?", days=1
    )
    set_now(at(date(2026, 10, 6), 10))
    services.answer_consultation(answered.pk, actor=world.quynhon.leader, answer="Không có.")
    assert step.due_at == at(date(2026, 10, 7), 17)

    assert escalate(step.due_at).consultations == 0
    summary = escalate(step.due_at + timedelta(minutes=1))

    assert summary == EscalationSummary(consultations=1, notices=3)
    assert sorted(notified("consultation_overdue")) == [
        ("cv.cn-vpdkdd-quy-nhon", "consultation_overdue"),
        ("cv.phuongquynhon", "consultation_overdue"),
        ("ld.phuongquynhon", "consultation_overdue"),
    ]
    messages = set(Notice.objects.filter(kind="consultation_overdue").values_list("message"))
    assert messages == {
        (
            f"Yêu cầu xin ý kiến Ủy ban nhân dân Phường Quy Nhơn về hồ sơ {dossier.code} đã quá "
            "hạn trả lời (hạn 17:00 07/10/2026).",
        )
    }
    step.refresh_from_db()
    assert step.reminded_at == step.due_at + timedelta(minutes=1)
    assert SubStep.objects.get(pk=answered.pk).reminded_at is None
    assert escalate(step.due_at + timedelta(hours=2)).consultations == 0


# --- the command --------------------------------------------------------------------------------


def test_the_command_runs_once_and_prints_the_counts(
    world: World, head: User, copy_request: Dossier, set_now: Any
) -> None:
    set_now(at(MONDAY, 18))
    out = StringIO()

    call_command("escalate", stdout=out)

    assert out.getvalue() == (
        "Sắp đến hạn: 0 hồ sơ; quá hạn: 1 hồ sơ; xin ý kiến quá hạn: 0; "
        "thông báo: 3; thư điện tử: 0.\n"
    )
    call_command("escalate", stdout=out)
    assert out.getvalue().endswith("thông báo: 0; thư điện tử: 0.\n")
