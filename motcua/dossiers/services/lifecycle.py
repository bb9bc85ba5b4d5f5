"""The one place where a dossier's state changes: lock, check, change, record.

Every verb runs ``act``: in one transaction it locks the dossier (as the actor may see it),
checks the transition and the actor's role and unit, applies the change, writes the history
row and the audit row, and sends ``dossier_transitioned`` so that outbound work joins the
same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core import audit, clock, inserts
from motcua.core.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from motcua.dossiers import permissions
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.signals import dossier_transitioned
from motcua.dossiers.states import ACTION_LABELS, TRANSITIONS, State
from motcua.org.models import Agency

logger = logging.getLogger(__name__)
APPLICANT = "applicant"
SYSTEM = "system"


def act(
    dossier_id: int,
    action: str,
    *,
    actor: Any,
    change: Callable[[Dossier, datetime], str],
    note: str = "",
    data: dict[str, Any] | None = None,
    access_token: str | None = None,
) -> Dossier:
    transition = TRANSITIONS[action]
    with transaction.atomic():
        dossier = lock_dossier(dossier_id, actor, access_token)
        if transition.role is not None:
            permissions.check_officer_may(actor, dossier, transition)
        if dossier.state not in transition.sources:
            raise InvalidTransition(
                _("Không thể “%(action)s” khi hồ sơ đang ở trạng thái “%(state)s”."),
                code="invalid_transition",
                action=action_label(action),
                state=State(dossier.state).label,
            )
        from_state, now = dossier.state, clock.now()
        dossier.state = change(dossier, now)
        dossier.save()
        event = record_event(dossier, action, from_state, actor, now, note=note, data=data)
    logger.info("dossier.%s id=%s from=%s to=%s", action, dossier.pk, from_state, dossier.state)
    del event
    return dossier


def lock_dossier(dossier_id: int, actor: Any, access_token: str | None) -> Dossier:
    queryset = Dossier.objects.select_for_update(of=("self",)).select_related(
        "procedure", "receiving_agency", "competent_agency"
    )
    if access_token is not None:
        queryset = queryset.filter(access_token=access_token)
    elif actor not in (SYSTEM,):
        queryset = permissions.visible_to(actor, queryset)
    dossier = queryset.filter(pk=dossier_id).first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ."), code="dossier_not_found")
    return dossier


def record_event(
    dossier: Dossier,
    action: str,
    from_state: str,
    actor: Any,
    now: datetime,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> DossierEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    agency = acting_agency(actor, dossier) if user else None
    event = inserts.insert(
        DossierEvent(
            dossier=dossier,
            at=now,
            action=action,
            from_state=from_state,
            to_state=dossier.state,
            actor=user,
            actor_label=audit.actor_label(actor),
            agency=agency,
            note=note,
            data=data or {},
        )
    )
    audit.record(
        f"dossier.{action}",
        dossier,
        actor=actor,
        data={"from": from_state, "to": dossier.state, **(data or {})},
    )
    dossier_transitioned.send(
        sender=Dossier, dossier=dossier, action=action, from_state=from_state, event=event
    )
    return event


def acting_agency(user: Any, dossier: Dossier) -> Agency | None:
    """The unit in whose name ``user`` acts: the receiving or competent unit, else an agency
    asked for its part (a consulted agency answering)."""
    ids = {dossier.receiving_agency_id, dossier.competent_agency_id}
    memberships = permissions.memberships_of(user)
    for membership in memberships:
        if membership.agency_id in ids:
            return membership.agency
    asked = set(dossier.substeps.values_list("agency_id", flat=True))
    return next((m.agency for m in memberships if m.agency_id in asked), None)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def require_text(value: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(_("Cần ghi rõ lý do."), field=field, code="required")
    return text
