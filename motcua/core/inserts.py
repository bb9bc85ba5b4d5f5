"""New rows in one prepared statement, for the hot paths (a submission writes five rows).

``Model.save()`` builds its INSERT anew each time (about 0.1 ms of CPU for a dossier's row on
top of the statement itself); ``insert`` builds it once per model and database and does the
rest of what ``save(force_insert=True)`` does for a new row: related objects' ids, the
``pre_save``/``post_save`` signals, ``auto_now`` fields, the new id set on the instance.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar, cast

from django.db import connections, models, router
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=models.Model)


def insert(instance: M) -> M:
    """Write ``instance`` as a new row, like ``instance.save(force_insert=True)``; returns it.

    For models without parents whose only column the database fills is an auto-increment
    primary key (``TypeError`` otherwise). Runs in the caller's transaction, if any.
    """
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    fields, sql = _statement(model, alias)
    # What save() checks first: no unsaved related object, ids of objects saved since set.
    instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    pre_save.send(sender=model, instance=instance, raw=False, using=alias, update_fields=None)
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = alias
    post_save.send(
        sender=model, instance=instance, created=True, update_fields=None, raw=False, using=alias
    )
    return instance


@functools.cache
def _statement(model: type[models.Model], alias: str) -> tuple[list[Any], str]:
    meta = model._meta
    if meta.parents or not isinstance(meta.pk, models.AutoField):
        raise TypeError(f"insert: {meta.label} has parents or no auto-increment primary key")
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    if any(field.has_db_default() or field.generated for field in fields):
        raise TypeError(f"insert: {meta.label} has columns the database fills")
    quote = connections[alias].ops.quote_name
    # Concrete fields always have a column (the stubs allow None for others).
    columns = ", ".join(quote(cast(str, field.column)) for field in fields)
    values = ", ".join(["%s"] * len(fields))
    table, pk = quote(meta.db_table), quote(cast(str, meta.pk.column))
    # Names from the model's metadata only; every value is a bound parameter.
    return fields, f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {pk}"  # noqa: S608
