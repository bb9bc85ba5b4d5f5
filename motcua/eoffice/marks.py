"""Document types, urgency and secrecy marks (Decree 30/2020/NĐ-CP Arts. 7–8), loaded from
``data/document-marks.yaml`` and validated like the procedure catalog: a file that breaks a
rule is refused whole with an error naming the entry and the rule.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

from motcua.core.errors import InvalidInput

MARKS_PATH = Path(__file__).parent / "data" / "document-marks.yaml"
TYPE_COUNT = 29  # Decree 30/2020/NĐ-CP Art. 7 lists 29 administrative document types.
SYMBOL_FORMS = ("typed", "letter")


@dataclass(frozen=True)
class DocumentType:
    key: str
    code: int
    name: str
    abbreviation: str
    symbol: str

    @property
    def is_letter(self) -> bool:
        """Công văn style: the symbol is issuer-drafting unit, with no type part."""
        return self.symbol == "letter"


@dataclass(frozen=True)
class Mark:
    key: str
    name: str
    priority: int = 0


@dataclass(frozen=True)
class Marks:
    types: dict[str, DocumentType]
    urgency: dict[str, Mark]
    secrecy: dict[str, Mark]

    def type_by_code(self, code: int) -> DocumentType | None:
        return next((t for t in self.types.values() if t.code == code), None)

    def urgency_by_priority(self, priority: int) -> Mark | None:
        return next((m for m in self.urgency.values() if m.priority == priority), None)


def _fail(source: str, message: str, **params: Any) -> InvalidInput:
    return InvalidInput(
        _("Tệp danh mục văn bản %(source)s: ") % {"source": source} + message % params,
        field=source,
        code="marks_invalid",
    )


def parse_marks(data: Any, source: str) -> Marks:
    """Validate parsed YAML and build the registry; raise ``InvalidInput`` on the first rule
    broken (29 types, unique keys, codes and abbreviations, a symbol form per type, an
    abbreviation for every typed document, urgency priorities 0–3)."""
    if not isinstance(data, dict):
        raise _fail(source, _("không phải một bảng YAML."))
    for section in ("types", "urgency", "secrecy"):
        if not isinstance(data.get(section), list) or not data[section]:
            raise _fail(source, _("thiếu mục “%(key)s”."), key=section)
    types = _parse_types(data["types"], source)
    urgency = _parse_marks(data["urgency"], source, "urgency")
    secrecy = _parse_marks(data["secrecy"], source, "secrecy")
    if sorted(m.priority for m in urgency.values()) != list(range(len(urgency))):
        raise _fail(source, _("độ khẩn phải có mức ưu tiên 0, 1, 2, … không trùng."))
    return Marks(types=types, urgency=urgency, secrecy=secrecy)


def _parse_types(rows: list[Any], source: str) -> dict[str, DocumentType]:
    types: dict[str, DocumentType] = {}
    abbreviations: set[str] = set()
    codes: set[int] = set()
    for row in rows:
        key = str(row.get("key", "")) if isinstance(row, dict) else ""
        if not key or not row.get("name") or row.get("symbol") not in SYMBOL_FORMS:
            raise _fail(source, _("loại văn bản “%(key)s” thiếu tên hoặc dạng ký hiệu."), key=key)
        abbreviation = str(row.get("abbreviation") or "")
        if row["symbol"] == "typed" and not abbreviation:
            raise _fail(source, _("loại văn bản “%(key)s” thiếu chữ viết tắt."), key=key)
        code = row.get("code")
        duplicate = (
            key in types or code in codes or (abbreviation and abbreviation in abbreviations)
        )
        if not isinstance(code, int) or duplicate:
            raise _fail(
                source, _("loại văn bản “%(key)s” trùng khóa, mã hoặc chữ viết tắt."), key=key
            )
        codes.add(code)
        if abbreviation:
            abbreviations.add(abbreviation)
        types[key] = DocumentType(key, code, str(row["name"]), abbreviation, row["symbol"])
    if len(types) != TYPE_COUNT:
        raise _fail(
            source, _("cần đủ %(count)s loại văn bản, có %(found)s."), count=TYPE_COUNT,
            found=len(types),
        )  # fmt: skip
    return types


def _parse_marks(rows: list[Any], source: str, section: str) -> dict[str, Mark]:
    marks: dict[str, Mark] = {}
    for row in rows:
        key = str(row.get("key", "")) if isinstance(row, dict) else ""
        if not key or not row.get("name") or key in marks:
            raise _fail(source, _("mục “%(key)s” của “%(section)s” không hợp lệ."), key=key,
                        section=section)  # fmt: skip
        marks[key] = Mark(key, str(row["name"]), int(row.get("priority", 0)))
    return marks


def load_marks(path: Path = MARKS_PATH) -> Marks:
    with path.open(encoding="utf-8") as handle:
        return parse_marks(yaml.safe_load(handle), path.name)


@functools.cache
def marks() -> Marks:
    """The shipped registry, read once per process."""
    return load_marks()


def document_type(key: str) -> DocumentType:
    """The type ``key``; raise ``InvalidInput`` on field ``doc_type`` when unknown."""
    found = marks().types.get(key)
    if found is None:
        raise InvalidInput(
            _("Loại văn bản “%(key)s” không có trong danh mục (Nghị định 30/2020/NĐ-CP, Điều 7)."),
            field="doc_type",
            code="unknown_type",
            key=key,
        )
    return found
