"""Loading the real units: 34 provinces and 3,321 communes of the 2025 map, and Gia Lai's agencies.

Expected numbers are counted here from the ``vietnam_provinces`` package and the province's
data file, not copied from the loader. Since the 2025 merger Gia Lai (52) holds the former
Bình Định (ward codes below 23000) and the former Gia Lai.

The test database holds what ``load_units`` loaded at the start of the session (see
``motcua/conftest.py``); some tests load again on top of it.
"""

from __future__ import annotations

from collections import Counter

import pytest
from vietnam_provinces import Province as VnProvince
from vietnam_provinces import Ward as VnWard

from motcua.org.codes import validate_agency_code
from motcua.org.models import Agency, AgencyKind, FormerProvince, Province, Ward
from motcua.org.services import load_province_config, load_units

GIA_LAI = 52

pytestmark = pytest.mark.django_db

PACKAGE_WARDS = list(VnWard.iter_all())
PACKAGE_GIA_LAI = [w for w in PACKAGE_WARDS if int(w.province_code) == GIA_LAI]
PROVINCE_LEVEL_AGENCIES = len(load_province_config(GIA_LAI)["agencies"])


def test_package_counts_are_the_2025_map() -> None:
    assert len(list(VnProvince.iter_all())) == 34
    assert len(PACKAGE_WARDS) == 3321
    assert len(PACKAGE_GIA_LAI) == 135
    assert sum(int(w.code) < 23000 for w in PACKAGE_GIA_LAI) == 58
    assert sum(int(w.code) >= 23000 for w in PACKAGE_GIA_LAI) == 77


def test_load_units_loads_every_province_and_commune() -> None:
    summary = load_units()

    assert summary.provinces == Province.objects.count() == 34
    assert summary.wards == Ward.objects.count() == len(PACKAGE_WARDS)
    assert summary.province_wards == len(PACKAGE_GIA_LAI) == 135
    assert summary.agencies == 2 * 135 + PROVINCE_LEVEL_AGENCIES
    assert set(Ward.objects.values_list("code", flat=True)) == {int(w.code) for w in PACKAGE_WARDS}
    per_province = Counter(int(w.province_code) for w in PACKAGE_WARDS)
    assert dict(Counter(Ward.objects.values_list("province_id", flat=True))) == per_province


def test_gia_lai_communes_are_tagged_with_their_former_province() -> None:
    expected_binh_dinh = {int(w.code) for w in PACKAGE_GIA_LAI if int(w.code) < 23000}
    expected_gia_lai = {int(w.code) for w in PACKAGE_GIA_LAI if int(w.code) >= 23000}
    gia_lai = Ward.objects.filter(province_id=GIA_LAI)

    binh_dinh = set(
        gia_lai.filter(former_province=FormerProvince.BINH_DINH).values_list("code", flat=True)
    )
    former_gia_lai = set(
        gia_lai.filter(former_province=FormerProvince.GIA_LAI).values_list("code", flat=True)
    )
    assert binh_dinh == expected_binh_dinh and len(binh_dinh) == 58
    assert former_gia_lai == expected_gia_lai and len(former_gia_lai) == 77
    assert not Ward.objects.exclude(province_id=GIA_LAI).exclude(former_province="").exists()
    assert Ward.objects.get(code=23575).former_province == FormerProvince.GIA_LAI
    assert Ward.objects.get(code=21583).former_province == FormerProvince.BINH_DINH


def test_every_gia_lai_commune_has_a_committee_and_a_service_center() -> None:
    committees = Agency.objects.filter(kind=AgencyKind.COMMUNE_PC)
    centers = Agency.objects.filter(kind=AgencyKind.COMMUNE_CENTER).select_related("parent")
    province_pc = Agency.objects.get(kind=AgencyKind.PROVINCE_PC, province_id=GIA_LAI)
    codes = {int(w.code) for w in PACKAGE_GIA_LAI}

    assert sorted(committees.values_list("ward_id", flat=True)) == sorted(codes)
    assert sorted(centers.values_list("ward_id", flat=True)) == sorted(codes)
    for center in centers:
        assert center.parent is not None
        assert center.parent.kind == AgencyKind.COMMUNE_PC
        assert center.parent.ward_id == center.ward_id
        assert center.parent.parent_id == province_pc.pk
        assert center.is_service_center
    pleiku_center = Agency.objects.get(slug="ttpvhcc-23575")
    assert pleiku_center.name == "Trung tâm Phục vụ hành chính công Phường Pleiku"
    assert pleiku_center.code == "H52.23575.01"
    assert pleiku_center.former_province == FormerProvince.GIA_LAI
    quynhon_pc = Agency.objects.get(slug="ubnd-21583")
    assert quynhon_pc.name == "Ủy ban nhân dân Phường Quy Nhơn"
    assert quynhon_pc.code == "H52.21583"
    assert quynhon_pc.former_province == FormerProvince.BINH_DINH


def test_agency_codes_are_valid_unique_and_flagged_as_placeholders() -> None:
    agencies = list(Agency.objects.all())

    for agency in agencies:
        assert validate_agency_code(agency.code) == agency.code
        assert agency.code_is_placeholder, agency.slug
    assert len({a.code for a in agencies}) == len(agencies)
    assert Agency.objects.filter(province_id=GIA_LAI).count() == len(agencies)


def test_load_units_is_idempotent() -> None:
    first = load_units()
    pleiku_center_pk = Agency.objects.get(slug="ttpvhcc-23575").pk
    counts = (Province.objects.count(), Ward.objects.count(), Agency.objects.count())

    second = load_units()

    assert second == first
    assert (Province.objects.count(), Ward.objects.count(), Agency.objects.count()) == counts
    assert Agency.objects.get(slug="ttpvhcc-23575").pk == pleiku_center_pk
    assert Agency.objects.values("code").distinct().count() == counts[2]


def test_reloading_restores_names_changed_by_hand() -> None:
    load_units()
    Ward.objects.filter(code=23575).update(name="Pleiku (sửa tay)", former_province="")
    Agency.objects.filter(slug="ubnd-23575").update(name="Sai tên")

    load_units()

    ward = Ward.objects.get(code=23575)
    assert (ward.name, ward.former_province, ward.search_key) == (
        "Phường Pleiku",
        "gia_lai",
        "phuongpleiku",
    )
    assert Agency.objects.get(slug="ubnd-23575").name == "Ủy ban nhân dân Phường Pleiku"
