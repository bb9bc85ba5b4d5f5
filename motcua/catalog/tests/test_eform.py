"""The e-form validator, against the form of procedure 2.000635 as shipped.

No database: the schema is read from the data file. Each rule is checked for the field it
names, its machine code and its Vietnamese message. ID numbers are built here from the rule
of Circular 07/2016/TT-BCA (digits 1–3 birth province, 4 century and sex, 5–6 year mod 100).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.utils import translation

from motcua.catalog.eform import validate_form_data
from motcua.catalog.loader import PROCEDURES_DIR
from motcua.conftest import CITIZEN_FORM
from motcua.core.errors import InvalidInputs

VN = ZoneInfo("Asia/Ho_Chi_Minh")
with (PROCEDURES_DIR / "2.000635.yaml").open(encoding="utf-8") as _handle:
    SCHEMA: list[dict[str, Any]] = yaml.safe_load(_handle)["form"]

NAME = "Họ, chữ đệm và tên người yêu cầu"
ID = "Số định danh cá nhân (CCCD) của người yêu cầu"
BIRTH = "Ngày sinh người yêu cầu"
COPIES = "Số bản sao yêu cầu"


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = dict(CITIZEN_FORM)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def id_number(province: int, birth: date, female: bool, serial: str = "001234") -> str:
    """An ID number by Circular 07/2016/TT-BCA: 1900s → 0 male / 1 female, 2000s → 2 / 3, …"""
    century_digit = 2 * (birth.year // 100 - 19) + (1 if female else 0)
    return f"{province:03d}{century_digit}{birth.year % 100:02d}{serial}"


def errors_of(data: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    with pytest.raises(InvalidInputs) as caught:
        validate_form_data(SCHEMA, data)
    return [(e.field, e.code, e.message) for e in caught.value.errors]


def only_error(data: dict[str, Any]) -> tuple[str | None, str, str]:
    errors = errors_of(data)
    assert len(errors) == 1, errors
    return errors[0]


@pytest.fixture(autouse=True)
def vietnamese() -> Any:
    with translation.override("vi"):
        yield


def test_a_valid_form_is_cleaned() -> None:
    cleaned = validate_form_data(
        SCHEMA,
        form(
            requester_phone="0905 123 456",
            requester_email="an.nguyen@example.vn",
            requester_name="  Nguyễn Văn An ",
            copies=" 3 ",
        ),
    )

    assert cleaned == {
        "requester_name": "Nguyễn Văn An",
        "requester_id_number": "064090001234",
        "requester_birth_date": "1990-05-01",
        "requester_phone": "0905123456",
        "requester_email": "an.nguyen@example.vn",
        "requester_address": "Tổ 1, Phường Pleiku",
        "subject_name": "Nguyễn Văn An",
        "relationship": "self",
        "event_type": "birth",
        "registration_ref": "12/2020",
        "registration_date": "2020-01-02",
        "registration_place": "UBND phường Hội Thương",
        "copies": 3,
    }


@pytest.mark.parametrize("blank", [None, "", "   "], ids=["missing", "empty", "spaces"])
def test_required(blank: str | None) -> None:
    assert only_error(form(requester_name=blank)) == (
        "requester_name",
        "required",
        f"“{NAME}” là bắt buộc.",
    )


def test_optional_fields_may_be_left_out() -> None:
    cleaned = validate_form_data(SCHEMA, form(requester_email="", purpose=None))

    assert "requester_email" not in cleaned and "purpose" not in cleaned


def test_max_length_counts_composed_characters() -> None:
    at_limit = "Ễ" * 100
    decomposed = unicodedata.normalize("NFD", at_limit)  # 300 code points, 100 letters
    assert len(decomposed) == 300

    assert validate_form_data(SCHEMA, form(requester_name=decomposed))["requester_name"] == at_limit
    assert only_error(form(requester_name="A" * 101)) == (
        "requester_name",
        "max_length",
        f"“{NAME}” dài quá 100 ký tự.",
    )


@pytest.mark.parametrize("value", ["01/05/1990", "1990-02-30", "1990-5-1x", "hôm qua"])
def test_date_format(value: str) -> None:
    # The ID number is then checked without the birth date: only the date is reported.
    assert only_error(form(requester_birth_date=value)) == (
        "requester_birth_date",
        "date_format",
        f"“{BIRTH}” phải là ngày dạng YYYY-MM-DD.",
    )


def test_future_date_is_judged_by_the_service_clock(set_now: Any) -> None:
    set_now(datetime(2026, 2, 13, 23, 30, tzinfo=VN))  # 16:30 UTC, still 13 February in Vietnam

    assert validate_form_data(SCHEMA, form(registration_date="2026-02-13"))["registration_date"]
    assert only_error(form(registration_date="2026-02-14")) == (
        "registration_date",
        "date_future",
        "“Ngày đăng ký” không được sau ngày hôm nay.",
    )


@pytest.mark.parametrize("value", ["0", "21", "-1", "2.5", "hai", "1e1"])
def test_integer_range(value: str) -> None:
    assert only_error(form(copies=value)) == (
        "copies",
        "integer_range",
        f"“{COPIES}” phải là số nguyên từ 1 đến 20.",
    )


@pytest.mark.parametrize(("value", "cleaned"), [("1", 1), ("20", 20), (7, 7)])
def test_integer_bounds_are_inclusive(value: Any, cleaned: int) -> None:
    assert validate_form_data(SCHEMA, form(copies=value))["copies"] == cleaned


def test_choice() -> None:
    assert only_error(form(relationship="friend")) == (
        "relationship",
        "choice",
        "“Quan hệ với người được cấp trích lục” phải là một trong các lựa chọn của biểu mẫu.",
    )


@pytest.mark.parametrize("value", ["12345", "0905-123-45", "84905123456", "090512345678", "abc"])
def test_phone(value: str) -> None:
    assert only_error(form(requester_phone=value)) == (
        "requester_phone",
        "phone_format",
        "“Số điện thoại” phải là số điện thoại Việt Nam (bắt đầu bằng 0 hoặc +84, 10–11 số).",
    )


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("+84905123456", "+84905123456"),
        ("0905.123.456", "0905123456"),
        ("02693822123", "02693822123"),
    ],
)
def test_phone_accepted_forms(value: str, cleaned: str) -> None:
    assert validate_form_data(SCHEMA, form(requester_phone=value))["requester_phone"] == cleaned


@pytest.mark.parametrize("value", ["an@", "an@example", "a n@example.vn", "a" * 250 + "@x.vn"])
def test_email(value: str) -> None:
    assert only_error(form(requester_email=value)) == (
        "requester_email",
        "email",
        "“Thư điện tử” không phải địa chỉ thư điện tử hợp lệ.",
    )


def test_unknown_field() -> None:
    assert only_error(form(hobby="câu cá")) == (
        "hobby",
        "unknown_field",
        "Trường không có trong biểu mẫu.",
    )


def test_control_characters_are_refused() -> None:
    assert only_error(form(requester_address="Tổ 1\x00")) == (
        "requester_address",
        "control_chars",
        "“Nơi cư trú” chứa ký tự điều khiển không hợp lệ.",
    )


# --- personal ID numbers ---------------------------------------------------------------------


def test_id_numbers_are_built_by_the_rule() -> None:
    assert id_number(64, date(1990, 5, 1), female=False) == CITIZEN_FORM["requester_id_number"]


@pytest.mark.parametrize(
    ("province", "birth", "female"),
    [
        (64, date(1990, 5, 1), False),
        (64, date(1990, 5, 1), True),
        (52, date(1999, 12, 31), True),
        (52, date(2000, 1, 1), False),
        (1, date(2005, 7, 15), False),
        (79, date(2005, 7, 15), True),
    ],
    ids=["male-1990", "female-1990", "female-1999", "male-2000", "male-2005", "female-2005"],
)
def test_valid_id_numbers(province: int, birth: date, female: bool) -> None:
    number = id_number(province, birth, female)
    data = form(requester_id_number=number, requester_birth_date=birth.isoformat())

    assert validate_form_data(SCHEMA, data)["requester_id_number"] == number


def test_id_number_with_spaces_is_compacted() -> None:
    data = form(requester_id_number="064 090 001 234")

    assert validate_form_data(SCHEMA, data)["requester_id_number"] == "064090001234"


@pytest.mark.parametrize(
    "value", ["06409000123", "0640900012345", "06409000123A", "064-090-001-23"]
)
def test_id_number_must_be_twelve_digits(value: str) -> None:
    assert only_error(form(requester_id_number=value)) == (
        "requester_id_number",
        "id_format",
        "Số định danh cá nhân phải gồm đúng 12 chữ số.",
    )


@pytest.mark.parametrize("prefix", ["003", "000", "097", "063"])
def test_id_number_province_must_be_a_birth_registration_province(prefix: str) -> None:
    assert only_error(form(requester_id_number=f"{prefix}090001234")) == (
        "requester_id_number",
        "id_province",
        f"Ba số đầu “{prefix}” không phải mã tỉnh nơi đăng ký khai sinh.",
    )


@pytest.mark.parametrize(
    ("birth", "number", "year"),
    [
        # digits 5–6 say 1990, the birth date says 1991
        (date(1991, 5, 1), id_number(64, date(1990, 5, 1), False), 1990),
        # digit 4 says the 2000s (2 = male), digits 5–6 say 90: 2090, not 1990
        (date(1990, 5, 1), "064290001234", 2090),
        # a woman born in 2005 carries 3; 1 (female, 1900s) reads as 1905
        (date(2005, 7, 15), "064105001234", 1905),
    ],
    ids=["year-digits", "century-digit", "female-century"],
)
def test_id_number_must_match_the_birth_year(birth: date, number: str, year: int) -> None:
    data = form(requester_id_number=number, requester_birth_date=birth.isoformat())

    assert only_error(data) == (
        "requester_id_number",
        "id_birth_year",
        "Số định danh cá nhân không khớp năm sinh: chữ số thứ 4–6 cho năm "
        f"{year}, ngày sinh khai là năm {birth.year}.",
    )


def test_every_error_is_reported_at_once() -> None:
    data = form(
        requester_name=None,
        requester_id_number="003090001234",
        requester_phone="12345",
        relationship="friend",
        copies="0",
        hobby="x",
    )

    assert [(field, code) for field, code, _message in errors_of(data)] == [
        ("requester_name", "required"),
        ("requester_phone", "phone_format"),
        ("relationship", "choice"),
        ("copies", "integer_range"),
        ("requester_id_number", "id_province"),
        ("hobby", "unknown_field"),
    ]


def test_english_messages_name_the_field_by_its_english_label() -> None:
    # The English catalog is compiled later; the label comes from the procedure file.
    with translation.override("en"):
        errors = errors_of(form(requester_name=None, copies="0"))
        rendered = [(field, code, message) for field, code, message in errors]

    assert [(field, code) for field, code, _m in rendered] == [
        ("requester_name", "required"),
        ("copies", "integer_range"),
    ]
    assert "Requester's full name" in rendered[0][2]
    assert "Number of copies" in rendered[1][2]
    assert all(message.strip() for _f, _c, message in rendered)
