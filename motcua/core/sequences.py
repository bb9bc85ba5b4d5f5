"""Gap-free counters shared by every app."""

from django.db import transaction
from django.db.models import F

from motcua.core.models import Counter


def next_value(key: str) -> int:
    """Take the next number of sequence ``key``; call inside the transaction that uses it.

    The UPDATE holds the row lock until commit (PostgreSQL), and SQLite transactions begin
    IMMEDIATE (settings), so concurrent callers queue and never see the same number.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value must run inside transaction.atomic()")
    Counter.objects.bulk_create([Counter(key=key, value=0)], ignore_conflicts=True)
    Counter.objects.filter(key=key).update(value=F("value") + 1)
    return Counter.objects.values_list("value", flat=True).get(key=key)
