"""The 12-digit personal identification number (số định danh cá nhân), Decree
137/2015/NĐ-CP and Circular 07/2016/TT-BCA.

Positions 1–3: province where the birth was registered (the 63 pre-2025 codes: the number is
lifelong); 4: century and sex; 5–6: last two digits of the birth year; 7–12: sequence.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext_lazy as _

from motcua.core.errors import InvalidInput

BIRTH_PROVINCE_CODES = frozenset(
    {
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35,
        36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70,
        72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    }
)  # fmt: skip
_TWELVE_DIGITS = re.compile(r"^[0-9]{12}$")


def validate_id_number(value: str, *, field: str, birth_date: date | None = None) -> str:
    """Check structure (and consistency with ``birth_date`` when given); return the number."""
    number = value.strip().replace(" ", "")
    if not _TWELVE_DIGITS.match(number):
        raise InvalidInput(
            _("Số định danh cá nhân phải gồm đúng 12 chữ số."), field=field, code="id_format"
        )
    if int(number[:3]) not in BIRTH_PROVINCE_CODES:
        raise InvalidInput(
            _("Ba số đầu “%(prefix)s” không phải mã tỉnh nơi đăng ký khai sinh."),
            field=field,
            code="id_province",
            prefix=number[:3],
        )
    if birth_date is not None:
        _check_birth_year(number, field, birth_date)
    return number


def _check_birth_year(number: str, field: str, birth_date: date) -> None:
    century = 1900 + 100 * (int(number[3]) // 2)
    year = century + int(number[4:6])
    if year != birth_date.year:
        raise InvalidInput(
            _(
                "Số định danh cá nhân không khớp năm sinh: chữ số thứ 4–6 cho năm %(year)s, "
                "ngày sinh khai là năm %(birth_year)s."
            ),
            field=field,
            code="id_birth_year",
            year=year,
            birth_year=birth_date.year,
        )


def mask_id_number(number: str) -> str:
    """Keep the first 4 and last 3 digits, e.g. ``0640*****123``."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 7) + number[-3:]
