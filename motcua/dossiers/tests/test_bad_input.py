"""Bad submissions: each error names the field and the rule, and nothing is written.

"Nothing" means: no dossier, invoice, file row, history or audit row, no number taken from
the day's sequence, and no file in MEDIA_ROOT (a fresh temporary folder per test).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from motcua.conftest import PDF_BYTES, PROCEDURE_CODE, World
from motcua.core.errors import InvalidInput, InvalidInputs, NotFound
from motcua.core.models import AuditEntry, Counter
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierEvent, DossierFile
from motcua.dossiers.uploads import Upload
from motcua.org.models import Agency, AgencyKind, Ward
from motcua.payments.models import Invoice, InvoiceLine

pytestmark = pytest.mark.usefixtures("stub_pdfs")

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
TEXT = "Đây là một tệp văn bản, không phải PDF.".encode()
MIB = 1024 * 1024


def footprint(media_root: Path) -> tuple[Any, ...]:
    return (
        Dossier.objects.count(),
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        DossierFile.objects.count(),
        DossierEvent.objects.count(),
        AuditEntry.objects.count(),
        sorted(Counter.objects.values_list("key", "value")),
        sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file()),
    )


@pytest.fixture
def unchanged(world: World, media_root: Path) -> Any:
    """Asserts at the end of the test that nothing was written."""
    before = footprint(media_root)
    yield
    assert footprint(media_root) == before


def rejected(world: World, **kwargs: Any) -> list[tuple[str | None, str]]:
    """Submit at Pleiku with the citizen's form changed by ``kwargs``; the (field, code) list."""
    kwargs.setdefault("form", world.form())
    with pytest.raises(InvalidInputs) as caught:
        world.submit(**kwargs)
    for error in caught.value.errors:
        assert error.message.strip(), error
    return [(e.field, e.code) for e in caught.value.errors]


# --- the e-form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("06409000123", "id_format"),
        ("0640900012345", "id_format"),
        ("06409000123O", "id_format"),
        ("003090001234", "id_province"),
        ("099090001234", "id_province"),
        ("064091001234", "id_birth_year"),  # digits 5–6 say 1991, born 1990
        ("064290001234", "id_birth_year"),  # digit 4 says the 2000s
    ],
)
def test_invalid_id_numbers(world: World, unchanged: None, number: str, code: str) -> None:
    errors = rejected(world, form=world.form(requester_id_number=number))

    assert errors == [("requester_id_number", code)]


def test_missing_fields(world: World, unchanged: None) -> None:
    errors = rejected(world, form=world.form(requester_name=None, requester_phone="", copies=None))

    assert errors == [
        ("requester_name", "required"),
        ("requester_phone", "required"),
        ("copies", "required"),
    ]


def test_null_characters_are_refused(world: World, unchanged: None) -> None:
    errors = rejected(world, form=world.form(requester_address="Tổ 1\x00; DROP"))

    assert errors == [("requester_address", "control_chars")]


# --- where and what -----------------------------------------------------------------------------


def other_province_center() -> Agency:
    ward = Ward.objects.exclude(province_id=52).order_by("code").first()
    assert ward is not None
    return Agency.objects.create(
        code=f"H99.{ward.code}.01",
        slug=f"ttpvhcc-{ward.code}",
        name=f"Trung tâm Phục vụ hành chính công {ward.name}",
        kind=AgencyKind.COMMUNE_CENTER,
        province_id=ward.province_id,
        ward=ward,
        search_key="x",
    )


@pytest.mark.parametrize(
    "center", ["committee", "other_province", "missing", "nonsense", "negative"]
)
def test_unknown_center(world: World, media_root: Path, center: str) -> None:
    # The other province's center is created first, so that it counts in "before".
    ids = {
        "committee": world.pleiku.committee.pk,
        "other_province": other_province_center().pk,
        "missing": 987654321,
        "nonsense": "ttpvhcc-khong-co",
        "negative": "-1",
    }
    before = footprint(media_root)

    with pytest.raises(InvalidInput) as caught:
        services.submit_online(
            procedure_code=PROCEDURE_CODE, center_id=ids[center], form_data=world.form()
        )

    assert (caught.value.field, caught.value.code) == ("center", "unknown_center")
    assert caught.value.message == (
        "Không có Trung tâm Phục vụ hành chính công nào như đã chọn trong tỉnh."
    )
    assert footprint(media_root) == before


def test_unknown_procedure(world: World, unchanged: None) -> None:
    with pytest.raises(NotFound) as caught:
        services.submit_online(
            procedure_code="9.999999", center_id=world.pleiku.center.pk, form_data=world.form()
        )

    assert (caught.value.field, caught.value.code) == ("procedure", "unknown_procedure")


# --- files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "label"), [(EXE, "exe"), (TEXT, "text")], ids=["exe", "text"])
def test_disguised_file(world: World, unchanged: None, content: bytes, label: str) -> None:
    upload = Upload(name="cccd.pdf", content=content, component_key="identity_document")

    with pytest.raises(InvalidInputs) as caught:
        world.submit(uploads=[upload])

    (error,) = caught.value.errors
    assert (error.field, error.code) == ("files[0]", "file_type")
    assert error.message == (
        "Tệp “cccd.pdf” không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp)."
    )


def test_oversized_file(world: World, unchanged: None, settings: Any) -> None:
    settings.MOTCUA_UPLOAD_MAX_BYTES = MIB
    big = Upload(
        name="cccd.pdf",
        content=PDF_BYTES + b"\n" * (MIB + 1 - len(PDF_BYTES)),
        component_key="identity_document",
    )

    with pytest.raises(InvalidInputs) as caught:
        world.submit(uploads=[world.pdf("ok.pdf"), big])

    (error,) = caught.value.errors
    assert (error.field, error.code) == ("files[1]", "file_too_large")
    assert error.message == "Tệp “cccd.pdf” vượt quá dung lượng cho phép 1 MB."


def test_a_file_at_the_limit_is_accepted(world: World, settings: Any, media_root: Path) -> None:
    settings.MOTCUA_UPLOAD_MAX_BYTES = MIB
    exact = Upload(
        name="cccd.pdf",
        content=PDF_BYTES + b"\n" * (MIB - len(PDF_BYTES)),
        component_key="identity_document",
    )

    dossier = world.submit(uploads=[exact])

    (stored,) = dossier.files.all()
    assert stored.size == MIB
    assert Path(stored.file.path).stat().st_size == MIB


def test_empty_file(world: World, unchanged: None) -> None:
    errors = rejected(world, uploads=[Upload("cccd.pdf", b"", "identity_document")])

    assert errors == [("files[0]", "file_empty")]


def test_unknown_component(world: World, unchanged: None) -> None:
    errors = rejected(world, uploads=[world.pdf(component_key="giay_khai_sinh_cua_ca_tinh")])

    assert errors == [("files[0]", "unknown_component")]


def test_a_path_in_the_file_name_is_dropped(world: World, media_root: Path) -> None:
    upload = Upload("../../../etc/cron.d/cccd.pdf", PDF_BYTES, "identity_document")

    dossier = world.submit(uploads=[upload])

    (stored,) = dossier.files.all()
    assert stored.original_name == "cccd.pdf"
    assert Path(stored.file.path).resolve().is_relative_to(media_root.resolve())


# --- several errors at once --------------------------------------------------------------------


def test_every_error_of_form_and_files_is_reported_at_once(world: World, unchanged: None) -> None:
    form = world.form(
        requester_name=None,
        requester_id_number="003090001234",
        requester_email="an@",
        copies="21",
        hobby="câu cá",
    )
    uploads = [
        world.pdf("ok.pdf"),
        Upload("virus.pdf", EXE, "identity_document"),
        world.pdf(component_key="khong_co"),
    ]

    errors = rejected(world, form=form, uploads=uploads)

    assert errors == [
        ("requester_name", "required"),
        ("requester_email", "email"),
        ("copies", "integer_range"),
        ("requester_id_number", "id_province"),
        ("hobby", "unknown_field"),
        ("files[1]", "file_type"),
        ("files[2]", "unknown_component"),
    ]


# --- repeated submission ------------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_first_dossier(world: World, media_root: Path) -> None:
    before = footprint(media_root)

    first = world.submit(uploads=[world.pdf()], idempotency_key="portal-3f9a1c")
    again = world.submit(
        form=world.form(copies="5"), uploads=[world.pdf()], idempotency_key="portal-3f9a1c"
    )

    assert again.pk == first.pk
    assert again.code == first.code
    assert Dossier.objects.get(pk=first.pk).form_data["copies"] == 2
    after = footprint(media_root)
    assert after[:6] == (
        before[0] + 1,  # dossier
        before[1] + 1,  # invoice
        before[2] + 1,  # invoice line
        before[3] + 1,  # attachment
        before[4] + 1,  # history: "submit"
        before[5] + 1,  # audit: "dossier.submit"
    )
    assert len(after[7]) == len(before[7]) + 1


@pytest.mark.parametrize("key", ["k" * 65, "khóa-có-dấu", "tab\tkey"])
def test_a_malformed_idempotency_key_is_refused(world: World, unchanged: None, key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        world.submit(idempotency_key=key)

    assert (caught.value.field, caught.value.code) == ("idempotency_key", "idempotency_key")
