"""Which dossiers a signed-in citizen may see: those filed in their own ID number."""

from __future__ import annotations

from django.db.models import QuerySet

from motcua.citizens.models import Citizen
from motcua.dossiers.models import Dossier


def visible_to_citizen(
    citizen: Citizen, queryset: QuerySet[Dossier] | None = None
) -> QuerySet[Dossier]:
    """The query-level filter every citizen list uses."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    return queryset.filter(applicant_id_number=citizen.id_number)


def my_dossiers(citizen: Citizen) -> QuerySet[Dossier]:
    """The citizen's dossiers, newest first, with what the list shows."""
    return visible_to_citizen(citizen).select_related("procedure").order_by("-submitted_at", "-pk")
