"""Agency electronic identifiers (Decision 20/2020/QĐ-TTg)."""

import re

from django.utils.translation import gettext_lazy as _

from motcua.core.errors import InvalidInput

# Level-1 code first (a letter A–Y and two digits), then dot-separated groups of digits and
# upper-case letters, at most 35 characters in all.
_AGENCY_CODE = re.compile(r"^[A-Y][0-9]{2}(\.[0-9A-Z]+)*$")


def validate_agency_code(code: str) -> str:
    if len(code) > 35 or not _AGENCY_CODE.match(code):
        raise InvalidInput(
            _(
                "Mã định danh “%(value)s” không đúng cấu trúc Quyết định 20/2020/QĐ-TTg "
                "(nhóm cấp 1 gồm một chữ và hai số, các nhóm ngăn bởi dấu chấm, tối đa 35 ký tự)."
            ),
            field="code",
            code="agency_code_format",
            value=code,
        )
    return code


def placeholder_commune_pc_code(level1: str, ward_code: int) -> str:
    """A placeholder in the right shape until the province supplies its code table."""
    return f"{level1}.{ward_code}"


def placeholder_center_code(level1: str, ward_code: int) -> str:
    return f"{level1}.{ward_code}.01"
