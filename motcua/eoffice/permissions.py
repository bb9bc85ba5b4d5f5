"""Who may see and act on an official document: one policy, used by every list and page.

A document is seen by the officers of its issuing agency (drafts included) and by those of
every agency it was sent to (from the moment it was sent); a provincial administrator sees
all. A forbidden document answers like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from motcua.dossiers.permissions import is_province_admin, memberships_of
from motcua.eoffice.models import Dispatch, DocumentHistory, OfficialDocument
from motcua.org.models import Agency, Role

# Roles that work in the electronic office (Decree 30/2020/NĐ-CP: clerks register and issue,
# specialists draft and handle, leaders approve and sign).
EOFFICE_ROLES = (Role.CLERK, Role.SPECIALIST, Role.LEADER)


def agency_ids_of(user: Any) -> set[int]:
    return {m.agency_id for m in memberships_of(user)}


def has_role_in(user: Any, agency_id: int | None, *roles: str) -> bool:
    return agency_id is not None and any(
        m.agency_id == agency_id and m.role in roles for m in memberships_of(user)
    )


def uses_eoffice(user: Any) -> bool:
    """Whether the navigation shows "Văn bản" to ``user``."""
    return is_province_admin(user) or any(m.role in EOFFICE_ROLES for m in memberships_of(user))


def drafting_agencies(user: Any) -> list[Agency]:
    """Agencies on whose behalf ``user`` may draft (specialist, clerk or leader there)."""
    seen: dict[int, Agency] = {}
    for membership in memberships_of(user):
        if membership.role in EOFFICE_ROLES:
            seen.setdefault(membership.agency_id, membership.agency)
    return sorted(seen.values(), key=lambda agency: agency.name)


def visible_to(
    user: Any, queryset: QuerySet[OfficialDocument] | None = None
) -> QuerySet[OfficialDocument]:
    queryset = OfficialDocument.objects.all() if queryset is None else queryset
    if is_province_admin(user):
        return queryset
    agency_ids = agency_ids_of(user)
    if not agency_ids:
        return queryset.none()
    sent_here = Dispatch.objects.filter(document_id=OuterRef("pk"), agency_id__in=agency_ids)
    return queryset.filter(Q(issuer_id__in=agency_ids) | Exists(sent_here))


def dispatches_visible_to(user: Any) -> QuerySet[Dispatch]:
    """Incoming documents of the user's agencies (the incoming register)."""
    queryset = Dispatch.objects.all()
    if is_province_admin(user):
        return queryset.filter(agency__isnull=False)
    return queryset.filter(agency_id__in=agency_ids_of(user))


def history_visible_to(user: Any, document: OfficialDocument) -> QuerySet[DocumentHistory]:
    """The issuer's own staff (and province administrators) see the whole history; a recipient
    sees it from the issue on, and of the dispatches only its own: the sender's drafting,
    review and names of its staff stay inside the issuing agency."""
    history = DocumentHistory.objects.filter(document=document)
    agency_ids = agency_ids_of(user)
    if is_province_admin(user) or document.issuer_id in agency_ids:
        return history
    if document.issued_at is None:
        return history.none()
    return history.filter(at__gte=document.issued_at).filter(
        Q(dispatch__isnull=True) | Q(dispatch__agency_id__in=agency_ids)
    )
