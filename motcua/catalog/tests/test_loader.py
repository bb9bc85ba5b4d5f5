"""The procedure catalog: loading data files, rejecting bad ones whole, fees and deadline rules.

Expected values are read from the shipped file with ``yaml`` here, or taken from the law
(Circular 281/2016/TT-BTC: 8,000 VND per copy of a civil-status extract).
"""

from __future__ import annotations

import copy
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from motcua.catalog.loader import PROCEDURES_DIR, load_catalog, validate_procedure_data
from motcua.catalog.models import FeeItem, Procedure, ProcedureStep, RequiredDocument
from motcua.catalog.selectors import compute_fees, get_current_procedure, get_deadline_rule
from motcua.core.errors import InvalidInput, NotFound

pytestmark = pytest.mark.django_db

SHIPPED = PROCEDURES_DIR / "2.000635.yaml"


def shipped() -> dict[str, Any]:
    with SHIPPED.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def catalog_snapshot() -> list[tuple[Any, ...]]:
    return [
        *Procedure.objects.values_list("code", "version", "is_current", "name_vi", "source_file"),
        *ProcedureStep.objects.values_list("procedure__code", "key", "budget_days"),
        *RequiredDocument.objects.values_list("procedure__code", "key", "required"),
        *FeeItem.objects.values_list("procedure__code", "key", "amount", "valid_from"),
    ]


def test_shipped_civil_status_copy_procedure_loads() -> None:
    data = shipped()

    loaded = load_catalog()

    assert ("2.000635", 1) in [(p.code, p.version) for p in loaded]
    procedure = get_current_procedure("2.000635")
    assert procedure.name_vi == "Cấp bản sao trích lục hộ tịch"
    assert procedure.field_vi == "Hộ tịch"
    assert procedure.competent_kind == "commune_pc"
    assert procedure.deadline_kind == "same_day"
    assert procedure.statutory_days == Decimal("1")
    assert procedure.source_file == "2.000635.yaml"
    steps = list(procedure.steps.values_list("order", "key", "role", "unit", "budget_days"))
    assert steps == [
        (1, "receive", "receiver", "receiving", Decimal("0.25")),
        (2, "process", "specialist", "competent", Decimal("0.5")),
        (3, "approve", "leader", "competent", Decimal("0.125")),
        (4, "return", "receiver", "receiving", Decimal("0.125")),
    ]
    # Stored budgets still add up to the statutory time (no rounding of the eighths of a day).
    assert sum(s[4] for s in steps) == procedure.statutory_days
    assert [Decimal(str(s["budget_days"])) for s in data["steps"]] == [s[4] for s in steps]
    assert list(procedure.documents.values_list("key", "required", "upload")) == [
        ("request_form", True, "none"),
        ("identity_document", True, "optional"),
        ("authorisation", False, "optional"),
    ]
    assert [f["name"] for f in procedure.form_schema] == [f["name"] for f in data["form"]]
    fee = procedure.fee_items.get()
    assert (fee.key, fee.amount, fee.quantity_field, fee.valid_from, fee.is_example) == (
        "phi_khai_thac_ho_tich",
        8000,
        "copies",
        date(2017, 1, 1),
        False,
    )


def test_loading_twice_changes_nothing() -> None:
    load_catalog()
    before = catalog_snapshot()

    again = load_catalog()

    files = sorted(path.stem for path in PROCEDURES_DIR.glob("*.yaml"))
    assert [(p.code, p.version, p.created) for p in again] == [(code, 1, False) for code in files]
    assert catalog_snapshot() == before


def test_step_budgets_that_do_not_add_up_reject_the_file(tmp_path: Path) -> None:
    data = shipped()
    data["steps"][1]["budget_days"] = 0.75  # 0.25 + 0.75 + 0.125 + 0.125 = 1.25 ≠ 1

    with pytest.raises(InvalidInput) as caught:
        validate_procedure_data(data, "2.000635.yaml")

    assert caught.value.code == "catalog_invalid"
    assert caught.value.field == "2.000635.yaml"
    assert caught.value.message == (
        "Tệp thủ tục 2.000635.yaml: tổng thời gian các bước (1.250 ngày) "
        "khác thời hạn giải quyết (1 ngày)."
    )


def test_a_bad_file_leaves_the_catalog_unchanged(tmp_path: Path) -> None:
    load_catalog()
    before = catalog_snapshot()
    good = shipped()
    good["version"] = 2
    good["name"]["vi"] = "Cấp bản sao trích lục hộ tịch (phiên bản 2)"
    good["fees"][0]["amount"] = 9000
    bad = copy.deepcopy(shipped())
    bad["code"] = "9.999999"
    bad["steps"][0]["budget_days"] = 1
    write(tmp_path, "a-good.yaml", good)
    write(tmp_path, "b-bad.yaml", bad)

    with pytest.raises(InvalidInput) as caught:
        load_catalog(tmp_path)

    assert (caught.value.code, caught.value.field) == ("catalog_invalid", "b-bad.yaml")
    assert catalog_snapshot() == before
    assert get_current_procedure("2.000635").version == 1


def test_good_files_from_another_folder_load(tmp_path: Path) -> None:
    shutil.copy(SHIPPED, tmp_path / "2.000635.yaml")
    newer = shipped()
    newer["version"] = 2
    write(tmp_path, "2.000635-v2.yaml", newer)

    loaded = load_catalog(tmp_path)

    assert sorted((p.code, p.version) for p in loaded) == [("2.000635", 1), ("2.000635", 2)]
    assert get_current_procedure("2.000635").version == 2
    assert Procedure.objects.get(code="2.000635", version=1).is_current is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["form"][0].update(type="signature"),
            "trường “requester_name” có kiểu không hỗ trợ.",
        ),
        (lambda d: d.pop("steps"), "thiếu mục “steps”."),
        (
            lambda d: d["steps"][0].update(role="mayor"),
            "bước “receive” có vai trò hoặc đơn vị không hợp lệ.",
        ),
        (
            lambda d: d["steps"][0].update(unit="elsewhere"),
            "bước “receive” có vai trò hoặc đơn vị không hợp lệ.",
        ),
        (lambda d: d.update(competent_kind="ministry"), "cơ quan có thẩm quyền không hợp lệ."),
        (lambda d: d["deadline"].update(kind="weeks"), "loại thời hạn không hợp lệ."),
        (
            lambda d: d["steps"][0].update(budget_days="nửa ngày"),
            "bước “receive”: thời gian phải là số ngày, tối đa 3 chữ số thập phân.",
        ),
        (
            lambda d: d["steps"][0].update(budget_days=0.2505),
            "bước “receive”: thời gian phải là số ngày, tối đa 3 chữ số thập phân.",
        ),
        (
            lambda d: d["fees"][0].pop("valid_from"),
            "khoản phí “phi_khai_thac_ho_tich” thiếu ngày hiệu lực hoặc số tiền.",
        ),
        (
            lambda d: d["fees"][0].update(amount=-1),
            "khoản phí “phi_khai_thac_ho_tich” thiếu ngày hiệu lực hoặc số tiền.",
        ),
    ],
    ids=[
        "unknown-field-type",
        "missing-section",
        "unknown-role",
        "unknown-unit",
        "unknown-competent-kind",
        "unknown-deadline-kind",
        "budget-not-a-number",
        "budget-finer-than-thousandths",
        "fee-without-date",
        "negative-fee",
    ],
)
def test_each_rule_rejects_the_file_with_catalog_invalid(
    tmp_path: Path, change: Any, message: str
) -> None:
    load_catalog()
    before = catalog_snapshot()
    data = shipped()
    change(data)
    write(tmp_path, "2.000635.yaml", data)

    with pytest.raises(InvalidInput) as caught:
        load_catalog(tmp_path)

    assert caught.value.code == "catalog_invalid"
    assert caught.value.field == "2.000635.yaml"
    assert caught.value.message == f"Tệp thủ tục 2.000635.yaml: {message}"
    assert catalog_snapshot() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code: [unclosed\n", "không đọc được YAML"),
        ("- just\n- a list\n", "nội dung phải là một bảng các mục."),
        ("", "nội dung phải là một bảng các mục."),
    ],
    ids=["broken-yaml", "a-list", "empty"],
)
def test_unreadable_files_are_rejected_with_catalog_invalid(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "x.yaml").write_text(text, encoding="utf-8")

    with pytest.raises(InvalidInput) as caught:
        load_catalog(tmp_path)

    assert (caught.value.code, caught.value.field) == ("catalog_invalid", "x.yaml")
    assert caught.value.message.startswith("Tệp thủ tục x.yaml: ")
    assert message in caught.value.message


@pytest.mark.parametrize("copies", [1, 2, 3, 20])
def test_fee_is_8000_per_copy_from_the_fee_item(copies: int) -> None:
    load_catalog()
    procedure = get_current_procedure("2.000635")
    unit = FeeItem.objects.get(procedure=procedure, key="phi_khai_thac_ho_tich").amount

    lines = compute_fees(procedure, {"copies": copies}, date(2026, 2, 13), 52)

    assert unit == 8000
    assert [(line.key, line.unit_amount, line.quantity, line.amount) for line in lines] == [
        ("phi_khai_thac_ho_tich", 8000, copies, 8000 * copies)
    ]


def test_fee_items_follow_their_dates_and_the_province() -> None:
    load_catalog()
    procedure = get_current_procedure("2.000635")
    national = procedure.fee_items.get()
    FeeItem.objects.create(
        procedure=procedure,
        key=national.key,
        name_vi=national.name_vi,
        name_en=national.name_en,
        kind="phi",
        amount=5000,
        quantity_field="copies",
        province_code=52,
        valid_from=date(2026, 3, 1),
    )
    # A procedure read from the catalog is a snapshot: read it again after the change.
    procedure = get_current_procedure("2.000635")
    form = {"copies": 2}

    before_validity = compute_fees(procedure, form, date(2016, 12, 31), 52)
    national_rate = compute_fees(procedure, form, date(2026, 2, 28), 52)
    provincial_rate = compute_fees(procedure, form, date(2026, 3, 1), 52)
    other_province = compute_fees(procedure, form, date(2026, 3, 1), 1)

    assert before_validity == []
    assert [line.amount for line in national_rate] == [16000]
    assert [line.amount for line in provincial_rate] == [10000]
    assert [line.amount for line in other_province] == [16000]


def test_deadline_rule(tmp_path: Path) -> None:
    load_catalog()
    five_days = shipped()
    five_days.update(code="1.000001", deadline={"kind": "working_days", "statutory_days": 5})
    for step, days in zip(five_days["steps"], [0.5, 3, 1, 0.5], strict=True):
        step["budget_days"] = days
    write(tmp_path, "1.000001.yaml", five_days)
    load_catalog(tmp_path)

    assert get_deadline_rule("2.000635") == ("same_day", None)
    assert get_deadline_rule("1.000001") == ("working_days", Decimal("5"))
    with pytest.raises(NotFound) as caught:
        get_deadline_rule("0.000000")
    assert (caught.value.code, caught.value.field) == ("unknown_procedure", "procedure")
