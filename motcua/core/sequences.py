"""Gap-free counters shared by every app."""

from django.db import transaction

from motcua.core.models import Counter


def next_value(key: str) -> int:
    """Take the next number of sequence ``key``; call inside the transaction that uses it.

    One statement creates the row or increments it and returns the new value. It holds the
    row lock until commit (PostgreSQL), and SQLite transactions begin IMMEDIATE (settings), so
    concurrent callers queue and never see the same number.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("next_value must run inside transaction.atomic()")
    table = Counter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("key", "value") VALUES (%s, 1) '  # noqa: S608
            f'ON CONFLICT ("key") DO UPDATE SET "value" = {table}."value" + 1 RETURNING "value"',
            [key],
        )
        row = cursor.fetchone()
    return int(row[0])
