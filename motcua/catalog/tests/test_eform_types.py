"""The e-form validator against JSON values of the wrong type and dates that only look like dates.

API clients send the form as JSON, so a field may arrive as an object, an array, a boolean or a
number. Strings suit every field, numbers only integer fields (and ward codes); the rest is
refused with the code "type". Dates must read exactly YYYY-MM-DD from 1 January 1900 on.
The form is that of procedure 2.000635 as shipped; no database.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.utils import translation

from motcua.catalog.eform import validate_form_data
from motcua.catalog.loader import PROCEDURES_DIR
from motcua.conftest import CITIZEN_FORM
from motcua.core.errors import InvalidInputs

with (PROCEDURES_DIR / "2.000635.yaml").open(encoding="utf-8") as _handle:
    SCHEMA: list[dict[str, Any]] = yaml.safe_load(_handle)["form"]

NAME = "Họ, chữ đệm và tên người yêu cầu"
COPIES = "Số bản sao yêu cầu"
REGISTERED = "Ngày đăng ký"
BIRTH = "Ngày sinh người yêu cầu"
WARD_SPEC = {"name": "parcel_ward", "type": "ward", "label": {"vi": "Xã, phường nơi có đất"}}


def errors_of(data: dict[str, Any], schema: list[dict[str, Any]] = SCHEMA) -> list[tuple]:
    with pytest.raises(InvalidInputs) as caught:
        validate_form_data(schema, data)
    return [(e.field, e.code, e.message) for e in caught.value.errors]


@pytest.fixture(autouse=True)
def vietnamese() -> Any:
    with translation.override("vi"):
        yield


@pytest.mark.parametrize("value", [{"ho": "Nguyễn"}, ["Nguyễn Văn An"], True, False, 12, 1.5])
def test_a_text_field_takes_only_a_string(value: Any) -> None:
    assert errors_of({**CITIZEN_FORM, "requester_name": value}) == [
        ("requester_name", "type", f"“{NAME}” phải là chuỗi ký tự.")
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("requester_phone", 905123456),
        ("requester_id_number", 64090001234),
        ("registration_date", 20200102),
        ("relationship", ["self"]),
        ("requester_email", {"address": "an@example.vn"}),
    ],
)
def test_other_text_kinds_take_only_a_string(field: str, value: Any) -> None:
    [(name, code, message)] = errors_of({**CITIZEN_FORM, field: value})

    assert (name, code) == (field, "type")
    assert message.endswith("” phải là chuỗi ký tự.")


@pytest.mark.parametrize("value", [True, {"so": 2}, [2], ["2"]])
def test_an_integer_field_refuses_booleans_objects_and_arrays(value: Any) -> None:
    assert errors_of({**CITIZEN_FORM, "copies": value}) == [
        ("copies", "type", f"“{COPIES}” phải là số nguyên.")
    ]


@pytest.mark.parametrize(("value", "cleaned"), [(2, 2), (2.0, 2), ("2", 2), (20, 20)])
def test_an_integer_field_takes_json_numbers_and_strings(value: Any, cleaned: int) -> None:
    assert validate_form_data(SCHEMA, {**CITIZEN_FORM, "copies": value})["copies"] == cleaned


@pytest.mark.parametrize("value", [2.5, 1e20, float("nan")])
def test_a_fractional_or_huge_number_is_out_of_the_integer_range(value: float) -> None:
    assert errors_of({**CITIZEN_FORM, "copies": value}) == [
        ("copies", "integer_range", f"“{COPIES}” phải là số nguyên từ 1 đến 20.")
    ]


def test_a_null_is_a_missing_value() -> None:
    assert errors_of({**CITIZEN_FORM, "requester_name": None}) == [
        ("requester_name", "required", f"“{NAME}” là bắt buộc.")
    ]


@pytest.mark.parametrize("value", [True, [23575], {"code": 23575}])
def test_a_ward_code_refuses_booleans_objects_and_arrays(value: Any) -> None:
    assert errors_of({"parcel_ward": value}, [WARD_SPEC]) == [
        ("parcel_ward", "type", "“Xã, phường nơi có đất” phải là số nguyên.")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("value", [23575, "23575"])
def test_a_ward_code_may_come_as_a_number_as_the_cleaned_form_stores_it(value: Any) -> None:
    assert validate_form_data([WARD_SPEC], {"parcel_ward": value}) == {"parcel_ward": 23575}


@pytest.mark.parametrize("value", ["20200102", "2020W011", "2020-W01-1", "2020-002", "2020-01"])
def test_a_date_must_read_exactly_yyyy_mm_dd(value: str) -> None:
    assert errors_of({**CITIZEN_FORM, "registration_date": value}) == [
        ("registration_date", "date_format", f"“{REGISTERED}” phải là ngày dạng YYYY-MM-DD.")
    ]


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31"])
def test_a_date_before_1900_is_refused(value: str) -> None:
    assert errors_of({**CITIZEN_FORM, "registration_date": value}) == [
        ("registration_date", "date_range", f"“{REGISTERED}” không được trước ngày 01/01/1900.")
    ]


def test_1_january_1900_is_the_earliest_date() -> None:
    cleaned = validate_form_data(SCHEMA, {**CITIZEN_FORM, "registration_date": "1900-01-01"})

    assert cleaned["registration_date"] == "1900-01-01"


def test_every_wrong_type_is_reported_at_once() -> None:
    data = {**CITIZEN_FORM, "requester_name": ["An"], "copies": False, "registration_date": 1}

    assert errors_of(data) == [
        ("requester_name", "type", f"“{NAME}” phải là chuỗi ký tự."),
        ("registration_date", "type", f"“{REGISTERED}” phải là chuỗi ký tự."),
        ("copies", "type", f"“{COPIES}” phải là số nguyên."),
    ]


def test_the_label_and_the_rule_follow_the_language() -> None:
    rule = "“%(label)s” phải là chuỗi ký tự."  # a variable: makemessages must not collect it
    with translation.override("en"):
        [(field, code, message)] = errors_of({**CITIZEN_FORM, "requester_name": {}})
        expected = translation.gettext(rule) % {"label": "Requester's full name"}

    assert (field, code, message) == ("requester_name", "type", expected)
