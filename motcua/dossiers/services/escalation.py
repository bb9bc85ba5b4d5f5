"""Escalation: in-app notices (and e-mail) for dossiers due soon, overdue dossiers and overdue
consultations.

Decree 61/2018 Art. 19: a late dossier must be announced, with an apology, at least one day
before its due date, and late answers to a consultation are escalated to the head of the
one-stop unit. ``escalate`` warns the people who can act: the leaders of the competent unit and
of the receiving center (its head); once overdue, also the center's receivers, who face the
applicant. It is idempotent: each due time is announced once, so it can run every few minutes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.core import audit, clock
from motcua.core.errors import NotFound
from motcua.dossiers.models import Dossier, Notice, SubStep, SubStepKind
from motcua.dossiers.states import OPEN_FOR_PROCESSING, State
from motcua.org.models import Membership, Role, User

logger = logging.getLogger(__name__)

# While the tax authority assesses the obligations the clock does not run (Đồng Tháp Decision
# 138/2025/QĐ-UBND, Art. 5(3): that time is governed by tax law).
CLOCK_RUNNING = frozenset(OPEN_FOR_PROCESSING - {State.AWAITING_OBLIGATIONS})

DUE_SOON, OVERDUE, CONSULTATION_OVERDUE = "due_soon", "overdue", "consultation_overdue"
NOTICE_KINDS = {
    DUE_SOON: gettext_lazy("Sắp đến hạn"),
    OVERDUE: gettext_lazy("Quá hạn"),
    CONSULTATION_OVERDUE: gettext_lazy("Xin ý kiến quá hạn"),
}


@dataclass(frozen=True)
class EscalationSummary:
    """What one run did: dossiers (or consultations) escalated, notices created, mails sent."""

    due_soon: int = 0
    overdue: int = 0
    consultations: int = 0
    notices: int = 0
    emails: int = 0


def escalate(now: datetime | None = None) -> EscalationSummary:
    """Create the notices that are due at ``now`` (default: the clock) and e-mail them.

    * a dossier whose clock runs and whose due time is within ``MOTCUA_DUE_SOON_HOURS``: one
      "due_soon" notice to each leader of the competent unit and of the receiving center;
    * a dossier past its due time: one "overdue" notice to the same leaders and the receiving
      center's receivers;
    * an unanswered consultation past its due time: one "consultation_overdue" notice to the
      officers of the consulted agency and to the specialist who asked.

    Each due time is announced once (a new due time, after a restart of the clock or a
    rescheduling, is announced again). Each dossier's notices, their audit rows and its flag
    are written in one transaction. With ``MOTCUA_ESCALATION_EMAIL`` each notified officer who
    has an e-mail address gets one mail listing this run's notices.
    """
    now = now or clock.now()
    lead = timedelta(hours=settings.MOTCUA_DUE_SOON_HOURS)
    created: list[Notice] = []
    counts: dict[str, int] = defaultdict(int)
    with translation.override(settings.LANGUAGE_CODE):
        for dossier_id in _due_soon(now, lead).values_list("pk", flat=True):
            notices = _notify_dossier(dossier_id, DUE_SOON, now, lead)
            counts[DUE_SOON] += notices is not None
            created += notices or []
        for dossier_id in _overdue(now).values_list("pk", flat=True):
            notices = _notify_dossier(dossier_id, OVERDUE, now, lead)
            counts[OVERDUE] += notices is not None
            created += notices or []
        for step_id in _late_consultations(now).values_list("pk", flat=True):
            notices = _notify_consultation(step_id, now)
            counts[CONSULTATION_OVERDUE] += notices is not None
            created += notices or []
        emails = _send_mails(created) if settings.MOTCUA_ESCALATION_EMAIL else 0
    summary = EscalationSummary(
        due_soon=counts[DUE_SOON],
        overdue=counts[OVERDUE],
        consultations=counts[CONSULTATION_OVERDUE],
        notices=len(created),
        emails=emails,
    )
    logger.info(
        "dossiers.escalated due_soon=%s overdue=%s consultations=%s notices=%s emails=%s",
        summary.due_soon, summary.overdue, summary.consultations, summary.notices, emails,
    )  # fmt: skip
    return summary


# --- what is due ---------------------------------------------------------------------------------


def _due_soon(now: datetime, lead: timedelta) -> QuerySet[Dossier]:
    """Running dossiers due within ``lead`` whose current due time was not announced yet: never
    announced, or announced before this due time came within reach (the clock restarted)."""
    return Dossier.objects.filter(
        Q(due_soon_notified_at__isnull=True) | Q(due_soon_notified_at__lt=F("due_at") - lead),
        state__in=CLOCK_RUNNING,
        due_at__gte=now,
        due_at__lte=now + lead,
    ).order_by("due_at", "pk")


def _overdue(now: datetime) -> QuerySet[Dossier]:
    """Running dossiers past their due time, not announced since that due time passed."""
    return Dossier.objects.filter(
        Q(overdue_notified_at__isnull=True) | Q(overdue_notified_at__lt=F("due_at")),
        state__in=CLOCK_RUNNING,
        due_at__lt=now,
    ).order_by("due_at", "pk")


def _late_consultations(now: datetime) -> QuerySet[SubStep]:
    return SubStep.objects.filter(
        kind=SubStepKind.CONSULTATION,
        answered_at__isnull=True,
        reminded_at__isnull=True,
        due_at__lt=now,
        dossier__state__in=OPEN_FOR_PROCESSING,
    ).order_by("due_at", "pk")


# --- notices -------------------------------------------------------------------------------------


def _notify_dossier(
    dossier_id: int, kind: str, now: datetime, lead: timedelta
) -> list[Notice] | None:
    """Announce one dossier's due time; None when another run announced it meanwhile."""
    with transaction.atomic():
        pending = _due_soon(now, lead) if kind == DUE_SOON else _overdue(now)
        dossier = pending.select_for_update().filter(pk=dossier_id).first()
        if dossier is None:
            return None
        roles = [(dossier.competent_agency_id, Role.LEADER)]
        roles.append((dossier.receiving_agency_id, Role.LEADER))
        if kind == OVERDUE:
            roles.append((dossier.receiving_agency_id, Role.RECEIVER))
        message = _dossier_message(dossier, kind)
        notices = _create_notices(_officers(roles), dossier, kind, message, now)
        flag = "due_soon_notified_at" if kind == DUE_SOON else "overdue_notified_at"
        Dossier.objects.filter(pk=dossier.pk).update(**{flag: now})
    return notices


def _notify_consultation(step_id: int, now: datetime) -> list[Notice] | None:
    with transaction.atomic():
        step = (
            _late_consultations(now)
            .select_for_update(of=("self",))
            .select_related("dossier", "agency")
            .filter(pk=step_id)
            .first()
        )
        if step is None:
            return None
        users = _officers([(step.agency_id, None)])
        if step.requested_by_id not in {user.pk for user in users}:
            users += list(User.objects.filter(pk=step.requested_by_id, is_active=True))
        message = _(
            "Yêu cầu xin ý kiến %(agency)s về hồ sơ %(code)s đã quá hạn trả lời (hạn %(due)s)."
        ) % {"agency": step.agency.name, "code": step.dossier.code, "due": _when(step.due_at)}
        notices = _create_notices(users, step.dossier, CONSULTATION_OVERDUE, message, now)
        SubStep.objects.filter(pk=step.pk).update(reminded_at=now)
    return notices


def _dossier_message(dossier: Dossier, kind: str) -> str:
    values = {"code": dossier.code, "due": _when(dossier.due_at)}
    if kind == DUE_SOON:
        return _("Hồ sơ %(code)s sắp đến hạn trả kết quả: hạn %(due)s.") % values
    return _("Hồ sơ %(code)s đã quá hạn trả kết quả (hạn %(due)s).") % values


def _officers(roles: Iterable[tuple[int, str | None]]) -> list[User]:
    """Active officers holding ``role`` (any role when None) in each agency, each once."""
    query = Q(pk__in=[])
    for agency_id, role in roles:
        query |= Q(agency_id=agency_id, role=role) if role else Q(agency_id=agency_id)
    memberships = (
        Membership.objects.filter(query, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    return list({m.user_id: m.user for m in memberships}.values())


def _create_notices(
    users: Iterable[User], dossier: Dossier, kind: str, message: str, now: datetime
) -> list[Notice]:
    notices = []
    for user in users:
        notice = Notice.objects.create(
            user=user, dossier=dossier, kind=kind, message=message[:500], created_at=now
        )
        audit.record(
            "notice.created",
            notice,
            actor="system",
            data={"dossier": dossier.pk, "user": user.pk, "kind": kind},
        )
        notices.append(notice)
    return notices


def _when(moment: datetime | None) -> str:
    return clock.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else ""


# --- e-mail --------------------------------------------------------------------------------------


def _send_mails(notices: list[Notice]) -> int:
    """One mail per officer with an address, listing their notices of this run."""
    by_user: dict[int, list[Notice]] = defaultdict(list)
    for notice in notices:
        by_user[notice.user_id].append(notice)
    users = User.objects.filter(pk__in=by_user).exclude(email="").only("pk", "email")
    sent = 0
    for user in users:
        mine = by_user[user.pk]
        try:
            send_mail(_subject(mine), _body(mine), None, [user.email])
        except OSError:
            # smtplib's errors are OSErrors; the notices stay in the app and unmarked.
            logger.warning("dossiers.escalation_mail_failed user=%s", user.pk, exc_info=True)
            continue
        Notice.objects.filter(pk__in=[notice.pk for notice in mine]).update(emailed=True)
        sent += 1
    return sent


def _subject(notices: list[Notice]) -> str:
    return _("[Một cửa] %(count)s thông báo về hạn giải quyết hồ sơ") % {"count": len(notices)}


def _body(notices: list[Notice]) -> str:
    base = settings.MOTCUA_PUBLIC_URL
    lines = [_("Kính gửi đồng chí,"), "", _("Hệ thống Một cửa điện tử xin thông báo:"), ""]
    for notice in notices:
        desk = base + reverse("backoffice:desk", args=[notice.dossier_id])
        lines += [f"- {notice.message}", f"  {desk}"]
    lines += [
        "",
        _("Xem tất cả thông báo: %(url)s") % {"url": base + reverse("backoffice:notices")},
    ]
    return "\n".join(lines) + "\n"


# --- reading notices -----------------------------------------------------------------------------


def list_notices(user: Any) -> QuerySet[Notice]:
    """``user``'s own notices, unread first, newest first."""
    return (
        Notice.objects.filter(user_id=user.pk)
        .select_related("dossier")
        .order_by(
            Case(When(read_at__isnull=True, then=Value(0)), default=Value(1)),
            "-created_at",
            "-pk",
        )
    )


def count_unread(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notice.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def mark_read(*, actor: Any, notice_id: int | None = None) -> int:
    """Mark one of ``actor``'s notices read (or all when ``notice_id`` is None); returns how
    many changed. Another officer's notice answers like a missing one."""
    mine = Notice.objects.filter(user_id=actor.pk)
    if notice_id is not None:
        mine = mine.filter(pk=notice_id)
        if not mine.exists():
            raise NotFound(_("Không tìm thấy thông báo."), code="notice_not_found")
    return mine.filter(read_at__isnull=True).update(read_at=clock.now())
