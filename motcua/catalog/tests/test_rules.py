"""Cross-field rules of 2.000635: a proxy needs a power of attorney; "self" means the same name."""

import pytest

from motcua.conftest import World
from motcua.core.errors import InvalidInputs
from motcua.dossiers.models import Dossier


def test_an_authorised_person_must_attach_the_power_of_attorney(world: World) -> None:
    before = Dossier.objects.count()
    form = world.form(relationship="authorised", subject_name="Nguyễn Thị Hoa")

    with pytest.raises(InvalidInputs) as caught:
        world.submit(form=form)

    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("component:authorisation", "component_required")
    ]
    assert "Văn bản ủy quyền" in caught.value.errors[0].message
    assert Dossier.objects.count() == before


def test_with_the_power_of_attorney_the_proxy_is_received(world: World) -> None:
    form = world.form(relationship="authorised", subject_name="Nguyễn Thị Hoa")

    dossier = world.submit(form=form, uploads=[world.pdf("uy-quyen.pdf", "authorisation")])

    assert dossier.state == "submitted"


def test_self_with_another_name_is_refused(world: World) -> None:
    with pytest.raises(InvalidInputs) as caught:
        world.submit(form=world.form(relationship="self", subject_name="Lê Văn Tám"))

    error = caught.value.errors[0]
    assert (error.field, error.code) == ("subject_name", "must_match")
    assert error.message == (
        "“Họ tên người được cấp trích lục” phải trùng với "
        "“Họ, chữ đệm và tên người yêu cầu” trong trường hợp này."
    )


def test_self_matches_names_without_regard_to_case_or_spacing(world: World) -> None:
    form = world.form(relationship="self", subject_name="nguyễn  văn an")

    assert world.submit(form=form).state == "submitted"
