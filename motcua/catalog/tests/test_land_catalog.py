"""The two land procedures as data: 1.012784 (split or merge plots, 12 working days) and
1.013831 (registration of changes, 8 working days as two appointments around the tax step).

Expected values come from the shipped files read with ``yaml`` here, from the statutory times of
the land procedures (12 and 8 working days: Đồng Tháp Decision 138/2025/QĐ-UBND, Art. 16 and
30) and from the example fees of Đồng Nai Decision 2228/QĐ-UBND (838,000 VND service price and
100,000 VND certificate charge per certificate for a split).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from motcua.catalog.loader import PROCEDURES_DIR, load_catalog
from motcua.catalog.models import FeeItem, Procedure, ProcedureStep
from motcua.catalog.selectors import compute_fees, get_current_procedure
from motcua.core.errors import InvalidInput

pytestmark = pytest.mark.django_db

SPLIT, CHANGE = "1.012784", "1.013831"
GIA_LAI = 52


def shipped(code: str) -> dict[str, Any]:
    with (PROCEDURES_DIR / f"{code}.yaml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def snapshot() -> list[tuple[Any, ...]]:
    return [
        *Procedure.objects.values_list("code", "version", "is_current", "routing", "paper_file"),
        *ProcedureStep.objects.values_list("procedure__code", "key", "budget_days", "counted"),
        *FeeItem.objects.values_list("procedure__code", "key", "amount", "is_example"),
    ]


def test_both_land_procedures_load() -> None:
    loaded = load_catalog()

    assert {(p.code, p.version) for p in loaded} >= {(SPLIT, 1), (CHANGE, 1)}
    for code in (SPLIT, CHANGE):
        procedure = get_current_procedure(code)
        data = shipped(code)
        assert (procedure.name_vi, procedure.source_file) == (data["name"]["vi"], f"{code}.yaml")
        assert (procedure.competent_kind, procedure.routing, procedure.parcel_field) == (
            "land_branch",
            "parcel",
            "parcel_ward",
        )
        assert (procedure.paper_file, procedure.result_kind, procedure.deadline_kind) == (
            True,
            "land_result",
            "working_days",
        )
        assert procedure.supplement_window_days == 3
        assert [d.key for d in procedure.documents.all()] == [d["key"] for d in data["documents"]]
    assert get_current_procedure(SPLIT).statutory_days == Decimal(12)
    assert get_current_procedure(CHANGE).statutory_days == Decimal(8)


@pytest.mark.parametrize(
    ("code", "steps"),
    [
        (SPLIT, [
            ("receive", "0.500", True, None),
            ("appraise", "10.000", True, None),
            ("approve", "1.500", True, None),
            ("return", "0.000", True, None),
        ]),
        (CHANGE, [
            ("receive", "0.500", True, None),
            ("appraise", "4.500", True, 1),
            ("tax", "0.000", False, None),
            ("update", "2.000", True, None),
            ("approve", "1.000", True, None),
            ("return", "0.000", True, None),
        ]),
    ],
)  # fmt: skip
def test_counted_step_budgets_add_up_to_the_statutory_time(
    code: str, steps: list[tuple[str, str, bool, int | None]]
) -> None:
    procedure = get_current_procedure(code)
    stored = list(procedure.steps.values_list("key", "budget_days", "counted", "appointment"))

    assert stored == [(key, Decimal(days), counted, cut) for key, days, counted, cut in steps]
    counted_total = sum((days for _, days, counted, _ in stored if counted), Decimal(0))
    assert counted_total == procedure.statutory_days


def test_the_tax_step_s_time_is_not_counted(tmp_path: Path) -> None:
    """An uncounted step (the tax authority's) may take any time; counted, its days would
    push the total past the 8 statutory days and the file is rejected."""
    data = shipped(CHANGE)
    tax = next(step for step in data["steps"] if step["key"] == "tax")
    tax["budget_days"] = 5
    write(tmp_path, f"{CHANGE}.yaml", data)

    load_catalog(tmp_path)  # an uncounted step may take any time
    tax["counted"] = True
    write(tmp_path, f"{CHANGE}.yaml", data)
    before = snapshot()

    with pytest.raises(InvalidInput) as caught:
        load_catalog(tmp_path)

    assert caught.value.code == "catalog_invalid"
    assert snapshot() == before


def test_budgets_that_do_not_add_up_reject_the_file(tmp_path: Path) -> None:
    data = shipped(SPLIT)
    data["steps"][1]["budget_days"] = 9.5
    write(tmp_path, f"{SPLIT}.yaml", data)
    before = snapshot()

    with pytest.raises(InvalidInput) as caught:
        load_catalog(tmp_path)

    assert (caught.value.code, caught.value.field) == ("catalog_invalid", f"{SPLIT}.yaml")
    assert caught.value.message == (
        f"Tệp thủ tục {SPLIT}.yaml: tổng thời gian các bước (11.5 ngày) khác thời hạn giải "
        "quyết (12 ngày)."
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.update(parcel_field=""), id="no parcel field"),
        pytest.param(lambda d: d.update(parcel_field="parcel_number"), id="a text field"),
        pytest.param(
            lambda d: d.update(form=[f for f in d["form"] if f["name"] != "parcel_ward"]),
            id="field missing from the form",
        ),
    ],
)
def test_parcel_routing_needs_a_ward_field(tmp_path: Path, change: Any) -> None:
    data = shipped(SPLIT)
    change(data)
    write(tmp_path, f"{SPLIT}.yaml", data)
    before = snapshot()

    with pytest.raises(InvalidInput) as caught:
        load_catalog(tmp_path)

    assert caught.value.code == "catalog_invalid"
    assert "phải có kiểu “ward”" in caught.value.message
    assert snapshot() == before


def test_land_fees_are_marked_as_examples() -> None:
    for code in (SPLIT, CHANGE):
        items = list(get_current_procedure(code).fee_items.all())
        assert items, code
        assert all(item.is_example for item in items)
        assert all(item.province_code == GIA_LAI for item in items)
        assert all("VÍ DỤ" in item.name_vi for item in items)


@pytest.mark.parametrize("certificates", [1, 2, 5])
def test_split_fee_is_service_price_plus_charge_per_certificate(certificates: int) -> None:
    procedure = get_current_procedure(SPLIT)
    rows = {item.key: item for item in procedure.fee_items.all()}
    assert {key: (r.amount, r.quantity_field) for key, r in rows.items()} == {
        "gia_dich_vu_tach_hop_thua": (838_000, "certificates"),
        "le_phi_cap_giay_chung_nhan": (100_000, "certificates"),
    }

    lines = compute_fees(procedure, {"certificates": certificates}, date(2026, 10, 5), GIA_LAI)

    assert sorted((line.key, line.quantity, line.amount) for line in lines) == [
        ("gia_dich_vu_tach_hop_thua", certificates, 838_000 * certificates),
        ("le_phi_cap_giay_chung_nhan", certificates, 100_000 * certificates),
    ]
    assert sum(line.amount for line in lines) == (838_000 + 100_000) * certificates
    assert all(line.is_example for line in lines)


def test_land_fees_apply_only_from_july_2025_in_gia_lai() -> None:
    procedure = get_current_procedure(SPLIT)

    assert compute_fees(procedure, {"certificates": 1}, date(2025, 6, 30), GIA_LAI) == []
    assert compute_fees(procedure, {"certificates": 1}, date(2025, 7, 1), 1) == []
