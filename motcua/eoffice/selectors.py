"""Reads of the electronic office: the outgoing list, the incoming register, search, and the
actions an officer may take on a document now. Every list goes through ``permissions``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.core import clock
from motcua.core.errors import NotFound
from motcua.core.text import search_key
from motcua.deadlines.calendar import default_calendar
from motcua.dossiers.permissions import is_province_admin
from motcua.eoffice import permissions
from motcua.eoffice.models import (
    DispatchStatus,
    DocumentState,
    IncomingEntry,
    OfficialDocument,
)
from motcua.org.models import Role


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise


OUTGOING_TABS = (
    Tab("drafts", _("Dự thảo")),
    Tab("pending", _("Chờ duyệt, ký, phát hành")),
    Tab("issued", _("Đã phát hành")),
)
_OUTGOING_STATES = {
    "drafts": (DocumentState.DRAFT,),
    "pending": (DocumentState.IN_REVIEW, DocumentState.APPROVED, DocumentState.SIGNED),
    "issued": (DocumentState.ISSUED, DocumentState.REVOKED, DocumentState.REPLACED),
}
INCOMING_TABS = (
    Tab("new", _("Chờ vào sổ")),
    Tab("registered", _("Đã vào sổ")),
    Tab("mine", _("Tôi xử lý")),
    Tab("closed", _("Đã xong, từ chối")),
)


def _search(queryset: QuerySet[Any], query: str, prefix: str = "") -> QuerySet[Any]:
    """Summaries matching ``query`` with or without diacritics ("chung thuc" finds
    "chứng thực")."""
    key = search_key(query)
    return queryset.filter(**{f"{prefix}search_key__contains": key}) if key else queryset


def _outgoing_base(user: Any) -> QuerySet[OfficialDocument]:
    queryset = permissions.visible_to(user).exclude(origin="external")
    if not is_province_admin(user):
        queryset = queryset.filter(issuer_id__in=permissions.agency_ids_of(user))
    return queryset


def list_outgoing(user: Any, tab: str, query: str = "") -> QuerySet[OfficialDocument]:
    queryset = _outgoing_base(user).filter(state__in=_OUTGOING_STATES[tab])
    queryset = _search(queryset, query).select_related("issuer")
    return queryset.annotate(recipients=Count("dispatches")).order_by("-updated_at", "-pk")


def count_outgoing(user: Any, query: str = "") -> dict[str, int]:
    rows = _search(_outgoing_base(user), query).values("state").annotate(n=Count("pk"))
    by_state = {row["state"]: row["n"] for row in rows}
    return {
        tab: sum(by_state.get(s, 0) for s in states) for tab, states in _OUTGOING_STATES.items()
    }


def _incoming_filter(user: Any, tab: str) -> Q:
    return {
        "new": Q(dispatch__status=DispatchStatus.RECEIVED),
        "registered": Q(dispatch__status__in=(DispatchStatus.ACCEPTED, DispatchStatus.PROCESSING)),
        "mine": Q(handler_id=user.pk)
        & Q(dispatch__status__in=(DispatchStatus.ACCEPTED, DispatchStatus.PROCESSING)),
        "closed": Q(dispatch__status__in=(DispatchStatus.DONE, DispatchStatus.REJECTED)),
    }[tab]


def _incoming_base(user: Any) -> QuerySet[IncomingEntry]:
    return IncomingEntry.objects.filter(dispatch__in=permissions.dispatches_visible_to(user))


def list_incoming(user: Any, tab: str, query: str = "") -> QuerySet[IncomingEntry]:
    queryset = _search(_incoming_base(user), query, "dispatch__document__")
    return (
        queryset.filter(_incoming_filter(user, tab))
        .select_related("dispatch__document", "agency", "handler")
        .order_by("-arrived_at", "-pk")
    )


def count_incoming(user: Any, query: str = "") -> dict[str, int]:
    queryset = _search(_incoming_base(user), query, "dispatch__document__")
    counts = queryset.aggregate(
        **{tab.key: Count("pk", filter=_incoming_filter(user, tab.key)) for tab in INCOMING_TABS}
    )
    return {key: int(value) for key, value in counts.items()}


def get_document(user: Any, pk: int) -> OfficialDocument:
    document = (
        permissions.visible_to(user)
        .select_related("issuer", "signer", "replaces", "created_by")
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise NotFound(code="document_not_found")
    return document


def document_actions(user: Any, document: OfficialDocument) -> list[str]:
    """The outgoing actions ``user`` may take on ``document`` now (buttons on its page)."""
    issuer = document.issuer_id

    def role(*roles: str) -> bool:
        return permissions.has_role_in(user, issuer, *roles)

    state = document.state
    actions = []
    if state == DocumentState.DRAFT and role(Role.SPECIALIST, Role.CLERK, Role.LEADER):
        actions.append("edit")
    if state == DocumentState.DRAFT and role(Role.SPECIALIST, Role.CLERK):
        actions.append("submit")
    if state == DocumentState.IN_REVIEW and role(Role.LEADER):
        actions += ["approve", "send_back"]
    if state == DocumentState.APPROVED and role(Role.LEADER):
        actions += ["sign", "send_back"]
    if state == DocumentState.SIGNED and role(Role.CLERK):
        actions.append("issue")
    if state == DocumentState.ISSUED and role(Role.CLERK):
        sent = document.dispatches.filter(agency__isnull=False).values("agency_id")
        pending = document.addressees.exclude(pk__in=sent)
        if pending.exists():
            actions.append("dispatch")
    if state == DocumentState.ISSUED and role(Role.CLERK):
        actions.append("send_to_peer")
    if state == DocumentState.ISSUED and role(Role.CLERK, Role.LEADER):
        actions += ["update", "replace", "revoke"]
    return actions


def entry_actions(user: Any, entry: IncomingEntry) -> list[str]:
    """The incoming actions ``user`` may take on a register entry now."""
    status = entry.dispatch.status
    if entry.dispatch.document.state == DocumentState.REVOKED:
        return []
    clerk = permissions.has_role_in(user, entry.agency_id, Role.CLERK)
    assigner = permissions.has_role_in(user, entry.agency_id, Role.CLERK, Role.LEADER)
    actions = []
    if status == DispatchStatus.RECEIVED and clerk:
        actions += ["register", "reject"]
    if status in (DispatchStatus.ACCEPTED, DispatchStatus.PROCESSING) and assigner:
        actions.append("assign")
    if status == DispatchStatus.ACCEPTED and entry.handler_id == user.pk:
        actions.append("start")
    if status in (DispatchStatus.ACCEPTED, DispatchStatus.PROCESSING) and (
        entry.handler_id == user.pk
    ):
        actions.append("complete")
    return actions


def entries_for(user: Any, document: OfficialDocument) -> list[IncomingEntry]:
    """The register entries of ``document`` in the user's agencies."""
    return list(
        _incoming_base(user)
        .filter(dispatch__document=document)
        .select_related("dispatch__document", "agency", "handler")
    )


def registration_due(entry: IncomingEntry) -> datetime:
    """When the clerk must have registered an arrived document: the same day, at the latest the
    next working day (Decree 30/2020/NĐ-CP Art. 4); an urgent one (Khẩn, Thượng khẩn, Hỏa tốc)
    the day it arrives. The end of that working day's office hours."""
    calendar = default_calendar()
    arrived = clock.localtime(entry.arrived_at)
    day = arrived.date()
    if entry.dispatch.document.urgency != "thuong" and calendar.is_working_day(day):
        due_day = day
    else:
        due_day = calendar.next_working_day(day)
    return datetime.combine(due_day, calendar.hours.afternoon_close, tzinfo=arrived.tzinfo)
