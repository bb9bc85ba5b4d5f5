"""Gap-free named counters (``motcua.core.sequences.next_value``).

Dossier codes and fee receipt numbers take their numbers here: a number is taken inside the
transaction that uses it, so a rolled-back transaction leaves no gap, and concurrent callers
never share a number.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet

from motcua.core.models import Counter
from motcua.core.refcache import STAMP_KEY
from motcua.core.sequences import next_value


class Boom(Exception):
    pass


def sequences() -> QuerySet[Counter]:
    """The counters but the reference stamp (``motcua.core.refcache``), which shares the table."""
    return Counter.objects.exclude(key=STAMP_KEY)


@pytest.mark.django_db
def test_numbers_start_at_one_and_increase_per_key() -> None:
    with transaction.atomic():
        first = [next_value("dossier:H52.23575.01:260213") for _ in range(3)]
        other = next_value("receipt:H52.23575:2026")
        fourth = next_value("dossier:H52.23575.01:260213")

    assert first == [1, 2, 3]
    assert other == 1
    assert fourth == 4
    assert dict(sequences().values_list("key", "value")) == {
        "dossier:H52.23575.01:260213": 4,
        "receipt:H52.23575:2026": 1,
    }


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="inside transaction.atomic"):
        next_value("dossier:H52.23575.01:260213")

    assert sequences().count() == 0


@pytest.mark.django_db
def test_a_rolled_back_transaction_leaves_no_gap() -> None:
    with transaction.atomic():
        assert next_value("k") == 1
    with pytest.raises(Boom), transaction.atomic():
        assert next_value("k") == 2
        raise Boom
    with transaction.atomic():
        after = next_value("k")

    assert after == 2
    assert Counter.objects.get(key="k").value == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_never_share_a_number() -> None:
    """8 threads × 25 numbers of one key, each number in its own transaction."""
    threads_count, per_thread = 8, 25
    barrier = threading.Barrier(threads_count)
    taken: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def take() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(per_thread):
                with transaction.atomic():
                    number = next_value("receipt:H52.23575:2026")
                with lock:
                    taken.append(number)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(taken) == list(range(1, threads_count * per_thread + 1))
    assert Counter.objects.get(key="receipt:H52.23575:2026").value == threads_count * per_thread
