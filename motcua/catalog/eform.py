"""Validation of e-form data against a procedure's form schema (the ``form:`` list of its file).

Hand-written rather than JSON Schema: every rule must produce a message that names the field
by its Vietnamese label and states the rule in the user's language, which generic validators
do not give.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from motcua.core import clock
from motcua.core.errors import InvalidInput, InvalidInputs
from motcua.core.text import nfc
from motcua.org.idnumbers import validate_id_number

_PHONE = re.compile(r"^(0|\+84)[0-9]{9,10}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Exactly YYYY-MM-DD: date.fromisoformat also takes "20200101" and "2020W011" since Python 3.11.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# No civil-status record or identity document of a living person predates it; year 1 is a typo.
EARLIEST_DATE = date(1900, 1, 1)
FIELD_TYPES = {"text", "id_number", "date", "phone", "email", "choice", "integer", "ward"}


def label_of(spec: dict[str, Any]) -> str:
    labels = spec.get("label", {})
    lang = "en" if translation.get_language() == "en" else "vi"
    return str(labels.get(lang) or labels.get("vi") or spec["name"])


def choice_label(spec: dict[str, Any], value: str) -> str:
    lang = "en" if translation.get_language() == "en" else "vi"
    for choice in spec.get("choices", []):
        if choice["value"] == value:
            return str(choice.get(lang) or choice["vi"])
    return value


def validate_form_data(schema: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """Return cleaned values (dates as ISO strings, integers as int) or raise ``InvalidInputs``
    listing every field that breaks a rule."""
    cleaned: dict[str, Any] = {}
    errors: list[InvalidInput] = []
    # ID numbers are checked last: their rule needs the cleaned birth date.
    for spec in sorted(schema, key=lambda spec: spec["type"] == "id_number"):
        try:
            value = _clean_field(spec, data.get(spec["name"]), cleaned)
        except InvalidInput as error:
            errors.append(error)
            continue
        if value not in (None, ""):
            cleaned[spec["name"]] = value
    unknown = sorted(set(data) - {spec["name"] for spec in schema})
    errors.extend(
        InvalidInput(_("Trường không có trong biểu mẫu."), field=name, code="unknown_field")
        for name in unknown
    )
    if errors:
        raise InvalidInputs(errors)
    return cleaned


def _clean_field(spec: dict[str, Any], raw: Any, cleaned: dict[str, Any]) -> Any:
    name, label = spec["name"], label_of(spec)
    text = nfc(_as_text(spec, raw)) if raw is not None else ""
    if text == "":
        if spec.get("required"):
            raise InvalidInput(
                _("“%(label)s” là bắt buộc."), field=name, code="required", label=label
            )
        return None
    # NUL and other control characters: PostgreSQL refuses NUL outright, and none of them
    # belongs in a form value (tabs and line breaks excepted).
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
        raise _invalid(spec, _("“%(label)s” chứa ký tự điều khiển không hợp lệ."), "control_chars")
    cleaner = _CLEANERS[spec["type"]]
    return cleaner(spec, text, cleaned)


def _as_text(spec: dict[str, Any], raw: Any) -> str:
    """``raw`` as the text the cleaners read; InvalidInput "type" for a JSON value of the wrong
    type. Strings suit every field; JSON numbers suit integer fields (and ward codes, which the
    cleaned form stores as numbers); objects, arrays and booleans suit none."""
    if isinstance(raw, str):
        return raw
    numeric = spec["type"] in ("integer", "ward")
    if numeric and isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    if spec["type"] == "integer" and isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else str(raw)
    if numeric:
        raise _invalid(spec, _("“%(label)s” phải là số nguyên."), "type")
    raise _invalid(spec, _("“%(label)s” phải là chuỗi ký tự."), "type")


def _invalid(spec: dict[str, Any], message: str, code: str, **params: Any) -> InvalidInput:
    return InvalidInput(message, field=spec["name"], code=code, label=label_of(spec), **params)


def _clean_text(spec: dict[str, Any], text: str, cleaned: dict[str, Any]) -> str:
    limit = int(spec.get("max_length", 255))
    if len(text) > limit:
        raise _invalid(spec, _("“%(label)s” dài quá %(limit)s ký tự."), "max_length", limit=limit)
    return text


def _clean_date(spec: dict[str, Any], text: str, cleaned: dict[str, Any]) -> str:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        value = date.fromisoformat(text)
    except ValueError:
        raise _invalid(
            spec, _("“%(label)s” phải là ngày dạng YYYY-MM-DD."), "date_format"
        ) from None
    if value < EARLIEST_DATE:
        raise _invalid(
            spec,
            _("“%(label)s” không được trước ngày %(earliest)s."),
            "date_range",
            earliest=EARLIEST_DATE.strftime("%d/%m/%Y"),
        )
    if spec.get("past") and value > clock.localtime(clock.now()).date():
        raise _invalid(spec, _("“%(label)s” không được sau ngày hôm nay."), "date_future")
    return value.isoformat()


def _clean_integer(spec: dict[str, Any], text: str, cleaned: dict[str, Any]) -> int:
    low, high = int(spec.get("min", 0)), int(spec.get("max", 10**9))
    if not re.fullmatch(r"[0-9]+", text) or not low <= int(text) <= high:
        raise _invalid(
            spec,
            _("“%(label)s” phải là số nguyên từ %(low)s đến %(high)s."),
            "integer_range",
            low=low,
            high=high,
        )
    return int(text)


def _clean_choice(spec: dict[str, Any], text: str, cleaned: dict[str, Any]) -> str:
    values = [choice["value"] for choice in spec.get("choices", [])]
    if text not in values:
        raise _invalid(
            spec, _("“%(label)s” phải là một trong các lựa chọn của biểu mẫu."), "choice"
        )
    return text


def _clean_phone(spec: dict[str, Any], text: str, cleaned: dict[str, Any]) -> str:
    compact = re.sub(r"[\s.\-]", "", text)
    if not _PHONE.match(compact):
        raise _invalid(
            spec,
            _("“%(label)s” phải là số điện thoại Việt Nam (bắt đầu bằng 0 hoặc +84, 10–11 số)."),
            "phone_format",
        )
    return compact


def _clean_email(spec: dict[str, Any], text: str, cleaned: dict[str, Any]) -> str:
    if not _EMAIL.match(text) or len(text) > 254:
        raise _invalid(spec, _("“%(label)s” không phải địa chỉ thư điện tử hợp lệ."), "email")
    return text


def _clean_id_number(spec: dict[str, Any], text: str, cleaned: dict[str, Any]) -> str:
    birth = cleaned.get(spec.get("birth_date_field", ""))
    birth_date = date.fromisoformat(birth) if birth else None
    return validate_id_number(text, field=spec["name"], birth_date=birth_date)


def _clean_ward(spec: dict[str, Any], text: str, cleaned: dict[str, Any]) -> int:
    """A commune or ward of the installation's province, by its code."""
    from django.conf import settings

    from motcua.org.models import Ward

    code = int(text) if text.isdigit() else -1
    wards = Ward.objects.filter(code=code)
    if not spec.get("other_provinces"):
        # A field marked ``other_provinces`` (a land parcel's ward) may lie in another province:
        # routing then hands the dossier to the peer installation serving it.
        wards = wards.filter(province_id=settings.MOTCUA_PROVINCE_CODE)
    if not wards.exists():
        raise _invalid(
            spec, _("“%(label)s” phải là một xã, phường của tỉnh (theo mã đơn vị)."), "ward"
        )
    return code


_CLEANERS = {
    "ward": _clean_ward,
    "text": _clean_text,
    "date": _clean_date,
    "integer": _clean_integer,
    "choice": _clean_choice,
    "phone": _clean_phone,
    "email": _clean_email,
    "id_number": _clean_id_number,
}
