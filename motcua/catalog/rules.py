"""Cross-field rules of a procedure's data file (``rules:``), checked at registration.

Two kinds, each conditioned on a choice field's value:

* ``require_document``: a component that becomes mandatory (a power of attorney when the
  requester acts as an authorised person, Law on Civil Status Art. 6);
* ``same_as``: two fields that must agree (the requester is the subject when acting for
  themselves).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from motcua.catalog.eform import label_of
from motcua.core.errors import InvalidInput
from motcua.core.text import search_key


def check_rules(
    procedure: Any, cleaned: dict[str, Any], components: Iterable[str]
) -> list[InvalidInput]:
    """Every broken rule of ``procedure`` for this form data and these attached components."""
    given = set(components)
    errors = []
    for rule in procedure.rules:
        condition = rule.get("when", {})
        if cleaned.get(condition.get("field")) != condition.get("equals"):
            continue
        error = _check(procedure, rule, cleaned, given)
        if error is not None:
            errors.append(error)
    return errors


def _check(
    procedure: Any, rule: dict[str, Any], cleaned: dict[str, Any], given: set[str]
) -> InvalidInput | None:
    document_key = rule.get("require_document")
    if document_key and document_key not in given:
        document = procedure.documents.filter(key=document_key).first()
        return InvalidInput(
            _("Cần đính kèm “%(name)s” trong trường hợp này."),
            field=f"component:{document_key}",
            code="component_required",
            name=document.name if document else document_key,
        )
    pair = rule.get("same_as")
    if pair and search_key(str(cleaned.get(pair["field"], ""))) != search_key(
        str(cleaned.get(pair["other"], ""))
    ):
        specs = {spec["name"]: spec for spec in procedure.form_schema}
        return InvalidInput(
            _("“%(label)s” phải trùng với “%(other)s” trong trường hợp này."),
            field=pair["field"],
            code="must_match",
            label=label_of(specs[pair["field"]]),
            other=label_of(specs[pair["other"]]),
        )
    return None
