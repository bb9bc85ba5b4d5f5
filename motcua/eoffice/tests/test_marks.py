"""The document-type and mark data file: shipped content and the rules that refuse a bad one."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from motcua.core.errors import InvalidInput
from motcua.eoffice.marks import MARKS_PATH, document_type, marks, parse_marks


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MARKS_PATH.read_text(encoding="utf-8"))
    return data


def test_the_29_types_of_decree_30_with_their_abbreviations() -> None:
    registry = marks()

    assert len(registry.types) == 29
    assert [registry.types[k].abbreviation for k in ("quyet-dinh", "quy-dinh", "to-trinh")] == [
        "QĐ", "QyĐ", "TTr"
    ]  # fmt: skip
    assert registry.types["cong-van"].is_letter and registry.types["cong-van"].abbreviation == ""
    assert [m.name for m in registry.urgency.values()] == [
        "Thường",
        "Khẩn",
        "Thượng khẩn",
        "Hỏa tốc",
    ]
    assert [m.name for m in registry.secrecy.values()] == ["Thường", "Mật", "Tối mật", "Tuyệt mật"]
    assert registry.type_by_code(2) == registry.types["quyet-dinh"]


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda d: d["types"].pop(), "cần đủ 29 loại văn bản, có 28"),
        (lambda d: d["types"][1].update(abbreviation=""), "“quyet-dinh” thiếu chữ viết tắt"),
        (lambda d: d["types"][2].update(abbreviation="QĐ"), "“chi-thi” trùng khóa, mã"),
        (lambda d: d["types"][0].update(symbol="other"), "“nghi-quyet” thiếu tên hoặc dạng"),
        (lambda d: d.pop("secrecy"), "thiếu mục “secrecy”"),
        (lambda d: d["urgency"][3].update(priority=7), "mức ưu tiên 0, 1, 2"),
    ],
)
def test_a_broken_file_is_refused_naming_the_rule(change: Any, rule: str) -> None:
    data = copy.deepcopy(shipped())
    change(data)

    with pytest.raises(InvalidInput) as caught:
        parse_marks(data, "document-marks.yaml")

    assert caught.value.code == "marks_invalid"
    assert caught.value.message.startswith("Tệp danh mục văn bản document-marks.yaml: ")
    assert rule in caught.value.message


def test_an_unknown_type_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        document_type("thu-tay")

    assert (caught.value.field, caught.value.code) == ("doc_type", "unknown_type")
