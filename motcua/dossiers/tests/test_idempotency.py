"""A reused idempotency key never hands one applicant's dossier to another."""

import pytest

from motcua.conftest import World
from motcua.core.errors import Conflict
from motcua.dossiers.models import Dossier


def test_a_key_reused_by_another_applicant_is_refused(world: World) -> None:
    first = world.submit(idempotency_key="portal-77aa")
    other = world.form(requester_id_number="064190004321", requester_birth_date="1990-03-03")

    with pytest.raises(Conflict) as caught:
        world.submit(form=other, idempotency_key="portal-77aa")

    assert (caught.value.field, caught.value.code) == ("idempotency_key", "idempotency_key_reused")
    assert Dossier.objects.filter(idempotency_key="portal-77aa").get().pk == first.pk


def test_the_same_applicant_gets_the_first_dossier_back(world: World) -> None:
    first = world.submit(idempotency_key="portal-77ab")

    again = world.submit(idempotency_key="portal-77ab")

    assert again.pk == first.pk
