"""Loading procedure data files into the catalog, with validation.

A procedure file is rejected whole (nothing written) when a rule fails: unknown keys, step
budgets that do not add up to the statutory time, a form field of an unknown type, a fee
without an effective date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from motcua.catalog.eform import FIELD_TYPES
from motcua.catalog.models import (
    STEP_UNITS,
    DeadlineKind,
    FeeItem,
    Procedure,
    ProcedureStep,
    RequiredDocument,
)
from motcua.core import refcache
from motcua.core.errors import InvalidInput
from motcua.org.models import AgencyKind, Role

logger = logging.getLogger(__name__)
PROCEDURES_DIR = Path(__file__).parent / "data" / "procedures"


@dataclass(frozen=True)
class LoadedProcedure:
    code: str
    version: int
    created: bool


def _fail(source: str, message: str, **params: Any) -> InvalidInput:
    return InvalidInput(
        _("Tệp thủ tục %(source)s: ") % {"source": source} + message % params,
        field=source,
        code="catalog_invalid",
    )


def validate_procedure_data(data: dict[str, Any], source: str) -> None:
    """Check a parsed procedure file; raise ``InvalidInput`` naming the file and the rule."""
    for key in ("code", "version", "name", "field", "deadline", "steps", "documents", "form"):
        if key not in data:
            raise _fail(source, _("thiếu mục “%(key)s”."), key=key)
    _validate_budgets(data, source)
    roles = set(Role.values)
    for step in data["steps"]:
        if step.get("role") not in roles or step.get("unit") not in STEP_UNITS:
            raise _fail(
                source,
                _("bước “%(step)s” có vai trò hoặc đơn vị không hợp lệ."),
                step=step.get("key"),
            )
    if data.get("competent_kind") not in AgencyKind.values:
        raise _fail(source, _("cơ quan có thẩm quyền không hợp lệ."))
    _validate_routing(data, source)
    _validate_rules(data, source)
    for spec in data["form"]:
        if spec.get("type") not in FIELD_TYPES:
            raise _fail(source, _("trường “%(name)s” có kiểu không hỗ trợ."), name=spec.get("name"))
    for fee in data.get("fees", []):
        if not isinstance(fee.get("valid_from"), date) or int(fee.get("amount", -1)) < 0:
            raise _fail(
                source,
                _("khoản phí “%(key)s” thiếu ngày hiệu lực hoặc số tiền."),
                key=fee.get("key"),
            )


def _validate_budgets(data: dict[str, Any], source: str) -> None:
    statutory = Decimal(str(data["deadline"]["statutory_days"]))
    budgets = []
    for step in data["steps"]:
        budget = _days(step.get("budget_days"))
        if budget is None:
            raise _fail(
                source,
                _("bước “%(step)s”: thời gian phải là số ngày, tối đa 3 chữ số thập phân."),
                step=step.get("key"),
            )
        if step.get("counted", True):
            budgets.append(budget)
    total = sum(budgets, Decimal(0))
    if total != statutory:
        raise _fail(
            source,
            _("tổng thời gian các bước (%(total)s ngày) khác thời hạn giải quyết (%(days)s ngày)."),
            total=total,
            days=statutory,
        )
    if data["deadline"]["kind"] not in DeadlineKind.values:
        raise _fail(source, _("loại thời hạn không hợp lệ."))


def _validate_routing(data: dict[str, Any], source: str) -> None:
    """Parcel routing needs a form field of type "ward" naming the parcel's commune."""
    routing = data.get("routing", "receiving")
    if routing not in ("receiving", "parcel"):
        raise _fail(source, _("cách xác định cơ quan giải quyết không hợp lệ."))
    if routing == "parcel":
        field = data.get("parcel_field", "")
        types = {spec.get("name"): spec.get("type") for spec in data["form"]}
        if types.get(field) != "ward":
            raise _fail(
                source,
                _("trường vị trí thửa đất “%(field)s” phải có kiểu “ward”."),
                field=field,
            )


def _validate_rules(data: dict[str, Any], source: str) -> None:
    fields = {spec.get("name") for spec in data["form"]}
    documents = {document.get("key") for document in data["documents"]}
    for rule in data.get("rules", []):
        ok = rule.get("when", {}).get("field") in fields and (
            rule.get("require_document") in documents
            or {rule.get("same_as", {}).get("field"), rule.get("same_as", {}).get("other")}
            <= fields - {None}
        )
        if not ok:
            raise _fail(
                source, _("quy tắc “%(rule)s” tham chiếu trường hoặc giấy tờ không có."), rule=rule
            )


def _days(value: Any) -> Decimal | None:
    """``value`` as a non-negative number of days in thousandths (what the column keeps,
    anything finer would be rounded away on save), or None."""
    try:
        days = Decimal(str(value))
        exact = days.is_finite() and days >= 0 and days == days.quantize(Decimal("0.001"))
    except ArithmeticError:
        return None
    return days if exact and not isinstance(value, bool) else None


def read_procedure_file(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise _fail(path.name, _("không đọc được YAML (%(error)s)."), error=error) from None
    if not isinstance(data, dict):
        raise _fail(path.name, _("nội dung phải là một bảng các mục."))
    validate_procedure_data(data, path.name)
    return data


@transaction.atomic
def load_procedure(data: dict[str, Any], source: str = "") -> LoadedProcedure:
    """Create or refresh one procedure version from validated data."""
    procedure, created = Procedure.objects.update_or_create(
        code=data["code"],
        version=int(data["version"]),
        defaults=_procedure_fields(data, source),
    )
    # The highest version is the current one, whatever order the files are loaded in.
    versions = Procedure.objects.filter(code=procedure.code)
    latest = versions.order_by("-version").values_list("pk", flat=True)[0]
    versions.exclude(pk=latest).update(is_current=False)
    versions.filter(pk=latest).update(is_current=True)
    _replace_children(procedure, data)
    refcache.bump()  # the updates and bulk inserts above send no model signals
    logger.info("catalog.procedure_loaded code=%s version=%s", procedure.code, procedure.version)
    return LoadedProcedure(procedure.code, procedure.version, created)


def _procedure_fields(data: dict[str, Any], source: str) -> dict[str, Any]:
    return {
        "is_current": True,
        "name_vi": data["name"]["vi"],
        "name_en": data["name"]["en"],
        "field_vi": data["field"]["vi"],
        "field_en": data["field"]["en"],
        "level": data.get("level", "commune"),
        "competent_kind": data["competent_kind"],
        "boundaryless": bool(data.get("boundaryless", True)),
        "deadline_kind": data["deadline"]["kind"],
        "statutory_days": Decimal(str(data["deadline"]["statutory_days"])),
        "online_level": data.get("online_level", "full"),
        "legal_basis": data.get("legal_basis", ""),
        "form_schema": data["form"],
        "routing": data.get("routing", "receiving"),
        "parcel_field": data.get("parcel_field", ""),
        "supplement_window_days": int(data.get("supplement_window_days", 3)),
        "paper_file": bool(data.get("paper_file", False)),
        "result_kind": data.get("result_kind", "civil_status_copy"),
        "rules": data.get("rules", []),
        "source_file": source,
    }


def _replace_children(procedure: Procedure, data: dict[str, Any]) -> None:
    procedure.steps.all().delete()
    procedure.documents.all().delete()
    procedure.fee_items.all().delete()
    ProcedureStep.objects.bulk_create(
        ProcedureStep(
            procedure=procedure,
            order=i,
            key=s["key"],
            name_vi=s["name"]["vi"],
            name_en=s["name"]["en"],
            role=s["role"],
            unit=s["unit"],
            budget_days=Decimal(str(s["budget_days"])),
            counted=bool(s.get("counted", True)),
            appointment=s.get("appointment"),
        )
        for i, s in enumerate(data["steps"], start=1)
    )
    RequiredDocument.objects.bulk_create(
        RequiredDocument(
            procedure=procedure,
            order=i,
            key=d["key"],
            name_vi=d["name"]["vi"],
            name_en=d["name"]["en"],
            form_number=d.get("form_number", ""),
            quantity=d.get("quantity", ""),
            required=bool(d.get("required", True)),
            upload=d.get("upload", "optional"),
        )
        for i, d in enumerate(data["documents"], start=1)
    )
    FeeItem.objects.bulk_create(
        FeeItem(
            procedure=procedure,
            key=f["key"],
            name_vi=f["name"]["vi"],
            name_en=f["name"]["en"],
            kind=f.get("kind", "phi"),
            amount=int(f["amount"]),
            quantity_field=f.get("per", ""),
            province_code=f.get("province"),
            valid_from=f["valid_from"],
            valid_to=f.get("valid_to"),
            is_example=bool(f.get("example", False)),
            legal_basis=f.get("legal_basis", ""),
        )
        for f in data.get("fees", [])
    )


@transaction.atomic
def load_catalog(directory: Path = PROCEDURES_DIR) -> list[LoadedProcedure]:
    """Validate every file first, then load them all: a bad file leaves the catalog untouched."""
    files = sorted(directory.glob("*.yaml"))
    parsed = [(path.name, read_procedure_file(path)) for path in files]
    return [load_procedure(data, source) for source, data in parsed]
