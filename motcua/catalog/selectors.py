"""Reads of the procedure catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import DeadlineKind, FeeItem, Procedure
from motcua.core import refcache
from motcua.core.errors import NotFound


def list_current_procedures() -> QuerySet[Procedure]:
    return Procedure.objects.filter(is_current=True).order_by("code")


def get_current_procedure(code: str) -> Procedure:
    """The version in force of ``code``, with its required documents and fee items loaded.

    A per-process copy (``motcua.core.refcache``), shared and read-only: every change of the
    catalog outdates it.
    """
    procedure = refcache.cached("procedure", code, lambda: _load_current_procedure(code))
    if procedure is None:
        raise NotFound(
            _("Không có thủ tục mã “%(value)s”."),
            field="procedure",
            code="unknown_procedure",
            value=code,
        )
    return procedure


def _load_current_procedure(code: str) -> Procedure | None:
    return (
        Procedure.objects.filter(code=code, is_current=True)
        .prefetch_related("steps", "documents", "fee_items")
        .first()
    )


def get_deadline_rule(code: str) -> tuple[str, Decimal | None]:
    """("same_day", None) or ("working_days", N) for the current version of ``code``."""
    procedure = get_current_procedure(code)
    if procedure.deadline_kind == DeadlineKind.SAME_DAY:
        return ("same_day", None)
    return ("working_days", procedure.statutory_days)


@dataclass(frozen=True)
class FeeLine:
    key: str
    name_vi: str
    name_en: str
    unit_amount: int
    quantity: int
    is_example: bool

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


def fee_items_in_force(procedure: Procedure, on: date, province_code: int) -> list[FeeItem]:
    """Fee items valid on ``on``; a province's own item replaces the national one of its key."""
    # Filtered here rather than in SQL: the items of a cached procedure are already loaded.
    items = [
        item
        for item in procedure.fee_items.all()
        if item.province_code in (None, province_code)
        and item.valid_from <= on
        and (item.valid_to is None or item.valid_to >= on)
    ]
    chosen: dict[str, FeeItem] = {}
    for item in sorted(items, key=lambda i: (i.province_code is not None, i.valid_from)):
        chosen[item.key] = item
    return list(chosen.values())


def compute_fees(
    procedure: Procedure, form_data: dict[str, Any], on: date, province_code: int
) -> list[FeeLine]:
    return [
        FeeLine(
            key=item.key,
            name_vi=item.name_vi,
            name_en=item.name_en,
            unit_amount=item.amount,
            quantity=item.quantity_for(form_data),
            is_example=item.is_example,
        )
        for item in fee_items_in_force(procedure, on, province_code)
    ]
