"""Competence comes from rules, not from the receiving officer's choice."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Procedure
from motcua.core import refcache
from motcua.core.errors import InvalidInput
from motcua.exchange.federation.coverage import require_peer_for
from motcua.org.models import SERVICE_CENTER_KINDS, Agency, AgencyKind, Coverage, Ward


def get_receiving_center(center_id: int | str) -> Agency:
    """A service center of the installation's province, by id or slug: a per-process copy
    (``motcua.core.refcache``), shared and read-only, outdated by any change of the units."""
    center = refcache.cached("center", str(center_id), lambda: _load_center(center_id))
    if center is None:
        raise InvalidInput(
            _("Không có Trung tâm Phục vụ hành chính công nào như đã chọn trong tỉnh."),
            field="center",
            code="unknown_center",
        )
    return center


def _load_center(center_id: int | str) -> Agency | None:
    queryset = Agency.objects.filter(
        kind__in=SERVICE_CENTER_KINDS, province_id=settings.MOTCUA_PROVINCE_CODE
    ).select_related("parent", "ward")
    lookup = {"pk": int(center_id)} if str(center_id).isdigit() else {"slug": center_id}
    return queryset.filter(**lookup).first()


def competent_agency_for(procedure: Procedure, center: Agency, form_data: dict[str, Any]) -> Agency:
    """The agency that decides the dossier.

    Commune-level procedures (civil-status copies): any commune People's Committee can issue
    from the national electronic civil-status database (Law on Civil Status Arts. 63–64:
    "regardless of residence"), so the committee of the receiving commune decides. A dossier
    received at the provincial center goes to the provincial Department of Justice.

    Parcel-routed procedures (land): the agency of the procedure's kind that covers the
    parcel's commune in the coverage table, wherever the dossier was received. A parcel in
    another province served by a peer installation (``motcua.exchange.federation``) stays with
    the receiving center, which hands the dossier over once it is accepted.
    """
    if procedure.routing == "parcel":
        return _covering_agency(procedure, form_data, center)
    if procedure.competent_kind == AgencyKind.COMMUNE_PC:
        if center.kind == AgencyKind.COMMUNE_CENTER and center.parent is not None:
            return center.parent
        justice = Agency.objects.filter(
            province_id=center.province_id,
            kind=AgencyKind.DEPARTMENT,
            slug__startswith="so-tu-phap",
        ).first()
        if justice is not None:
            return justice
    raise InvalidInput(
        _("Chưa có quy tắc xác định cơ quan giải quyết thủ tục %(procedure)s tại nơi này."),
        field="center",
        code="no_competent_agency",
        procedure=procedure.code,
    )


def _covering_agency(procedure: Procedure, form_data: dict[str, Any], center: Agency) -> Agency:
    ward_code = int(form_data.get(procedure.parcel_field) or 0)
    ward = Ward.objects.filter(pk=ward_code).select_related("province").first()
    if ward is not None and ward.province_id != settings.MOTCUA_PROVINCE_CODE:
        require_peer_for(ward, procedure.parcel_field)
        return center
    coverage = (
        Coverage.objects.filter(kind=procedure.competent_kind, ward_id=ward_code)
        .select_related("agency")
        .first()
    )
    if coverage is None:
        raise InvalidInput(
            _("Chưa có cơ quan nào phụ trách địa bàn của thửa đất cho thủ tục %(procedure)s."),
            field=procedure.parcel_field,
            code="no_competent_agency",
            procedure=procedure.code,
        )
    return coverage.agency
