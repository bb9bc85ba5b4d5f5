"""A paper-file dossier is processed only once its file has reached the competent unit."""

import pytest

from motcua.core.errors import InvalidTransition
from motcua.dossiers import permissions, services
from motcua.dossiers.tests.land import SPLIT, Land, land  # noqa: F401, F811  (fixture)


def test_the_branch_cannot_take_a_dossier_whose_file_is_still_in_transit(
    land: Land,  # noqa: F811  (the fixture)
) -> None:
    dossier = land.receive(SPLIT)
    transfer = services.send_file(dossier.pk, actor=land.world.pleiku.receiver, means="courier")
    specialist = land.quynhon.specialist
    dossier.refresh_from_db()

    assert "start_processing" not in permissions.allowed_actions(specialist, dossier)
    with pytest.raises(InvalidTransition) as caught:
        services.start_processing(dossier.pk, actor=specialist)
    assert caught.value.code == "file_not_received"

    services.receive_file(transfer.pk, actor=specialist)
    dossier.refresh_from_db()
    assert "start_processing" in permissions.allowed_actions(specialist, dossier)
    assert services.start_processing(dossier.pk, actor=specialist).state == "processing"


def test_a_change_registration_is_not_proposed_before_the_obligations_are_met(
    land: Land,  # noqa: F811  (the fixture)
) -> None:
    from motcua.dossiers.tests.land import CHANGE

    dossier = land.receive(CHANGE)
    land.forward(dossier)
    branch = land.branch_of(dossier)
    services.start_processing(dossier.pk, actor=branch.specialist)

    with pytest.raises(InvalidTransition) as caught:
        services.submit_for_approval(dossier.pk, actor=branch.specialist, note="Đủ điều kiện")
    assert caught.value.code == "obligations_not_met"

    services.send_to_tax(dossier.pk, actor=branch.specialist, note="Phiếu số 19")
    services.record_obligations_met(dossier.pk, actor=branch.specialist, note="Chứng từ 0012")
    with pytest.raises(InvalidTransition) as again:
        services.send_to_tax(dossier.pk, actor=branch.specialist, note="Lần hai")
    assert again.value.code == "tax_already_sent"
    proposed = services.submit_for_approval(dossier.pk, actor=branch.specialist, note="Đủ")
    assert proposed.state == "awaiting_approval"
