"""Dossiers filed on the national portal: signed, stored first, registered once, answered with
the dossier code; every bad input named by the request's own field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from motcua.catalog.models import FeeItem
from motcua.conftest import World
from motcua.dossiers.models import Dossier, FileKind
from motcua.dossiers.states import Channel, State
from motcua.exchange.dvcqg.models import PortalFiling
from motcua.exchange.dvcqg.tests.conftest import Post, filing
from motcua.exchange.models import InboxMessage, InboxState, Peer, PeerKind
from motcua.payments.models import InvoiceStatus, PaymentChannel

pytestmark = pytest.mark.django_db


def fee_of_two_copies(world: World) -> int:
    item = FeeItem.objects.get(procedure=world.procedure, key="phi_khai_thac_ho_tich")
    return 2 * item.amount


def test_a_filing_is_registered_at_the_chosen_center_and_answered_with_its_code(
    world: World, portal: Peer, post_filing: Post
) -> None:
    response = post_filing(filing(world), "qg-msg-1")

    assert response.status_code == 201, response.json()
    dossier = Dossier.objects.get()
    body = response.json()
    assert body["MaHoSo"] == dossier.code
    assert dossier.code.startswith(world.pleiku.center.code + "-")
    assert body["MaGiaoDich"] == "qg-msg-1"
    assert body["TrangThaiHoSo"] == 1
    assert body["TongLePhi"] == fee_of_two_copies(world) == 16000
    assert dossier.receiving_agency == world.pleiku.center
    assert dossier.competent_agency == world.pleiku.committee
    assert dossier.channel == Channel.ONLINE
    assert dossier.state == State.SUBMITTED
    assert dossier.applicant_name == "Nguyễn Văn An"
    assert dossier.form_data["copies"] == 2
    attachment = dossier.files.get(kind=FileKind.ATTACHMENT)
    assert attachment.component_key == "identity_document"
    link = PortalFiling.objects.get(dossier=dossier)
    assert (link.message_id, link.portal_reference, link.paid_on_portal) == (
        "qg-msg-1",
        "QG-000123",
        False,
    )
    stored = InboxMessage.objects.get(message_id="qg-msg-1")
    assert stored.state == InboxState.PROCESSED
    assert stored.result["MaHoSo"] == dossier.code


def test_the_center_may_be_chosen_by_its_commune_or_ward(
    world: World, portal: Peer, post_filing: Post
) -> None:
    body = filing(world, MaDonViTiepNhan="", MaXaPhuong=world.quynhon.ward.code)

    response = post_filing(body, "qg-by-ward")

    assert response.status_code == 201, response.json()
    dossier = Dossier.objects.get()
    assert dossier.receiving_agency == world.quynhon.center
    assert response.json()["MaHoSo"].startswith(world.quynhon.center.code + "-")


def test_the_same_message_again_answers_the_same_code_and_creates_nothing(
    world: World, portal: Peer, post_filing: Post
) -> None:
    first = post_filing(filing(world), "qg-msg-2")
    again = post_filing(filing(world), "qg-msg-2")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Dossier.objects.count() == 1
    assert InboxMessage.objects.get(message_id="qg-msg-2").duplicates == 1


def test_a_fee_paid_on_the_portal_is_settled_and_the_dossier_accepted_straight_away(
    world: World, portal: Peer, post_filing: Post, stub_pdfs: bytes
) -> None:
    from motcua.dossiers import services

    amount = fee_of_two_copies(world)
    body = filing(
        world,
        DuocThanhToanTrucTuyen=1,
        DanhSachLePhi=[{"MaPhiLePhi": "phi_khai_thac_ho_tich", "Gia": amount}],
    )
    response = post_filing(body, "qg-msg-3")

    assert response.status_code == 201, response.json()
    dossier = Dossier.objects.get()
    assert dossier.invoice.status == InvoiceStatus.PAID
    assert dossier.invoice.channel == PaymentChannel.ONLINE
    assert services.accept(dossier.pk, actor=world.pleiku.receiver).state == State.ACCEPTED


def error_fields(response: Any) -> dict[str, str]:
    body = response.json()
    items = body.get("errors") or [body]
    return {item.get("field", ""): item["code"] for item in items}


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"MaTTHC": "9.999999"}, "MaTTHC", "unknown_procedure"),
        ({"MaDonViTiepNhan": "H99.00.01"}, "MaDonViTiepNhan", "unknown_center"),
        ({"MaDonViTiepNhan": ""}, "MaDonViTiepNhan", "required"),
        ({"MaDonViTiepNhan": "", "MaXaPhuong": 1}, "MaXaPhuong", "unknown_ward"),
        ({"ChuHoSo": {"HoTen": "An"}}, "ChuHoSo.SoDinhDanh", "required"),
        ({"DuocThanhToanTrucTuyen": 3}, "DuocThanhToanTrucTuyen", "choice"),
        (
            {"TaiLieuNop": [{"TenTepDinhKem": "a.pdf", "NoiDungBase64": "***"}]},
            "TaiLieuNop[0].NoiDungBase64",
            "base64",
        ),
        (
            {"TaiLieuNop": [{"TenTepDinhKem": "a.txt", "NoiDungBase64": "aGVsbG8="}]},
            "TaiLieuNop[0]",
            "file_type",
        ),
        (
            {"DuocThanhToanTrucTuyen": 1, "DanhSachLePhi": [{"MaPhiLePhi": "x", "Gia": 5000}]},
            "DanhSachLePhi",
            "fee_mismatch",
        ),
    ],
)
def test_bad_input_names_the_field_and_keeps_nothing(
    world: World,
    portal: Peer,
    post_filing: Post,
    changes: dict[str, Any],
    field: str,
    code: str,
    media_root: Path,
) -> None:
    response = post_filing(filing(world, **changes), f"bad-{field}")

    assert response.status_code == 422, response.json()
    assert error_fields(response).get(field) == code, response.json()
    assert Dossier.objects.count() == 0
    assert PortalFiling.objects.count() == 0
    assert [path for path in media_root.rglob("*") if path.is_file()] == []


def test_bad_e_form_values_are_named_under_the_e_form_and_the_applicant_in_english_too(
    world: World, portal: Peer, post_filing: Post
) -> None:
    body = filing(world)
    body["DuLieuBieuMau"]["copies"] = "0"
    body["ChuHoSo"]["SoDienThoai"] = "12"

    response = post_filing(body, "qg-bad-form", language="en")

    assert response.status_code == 422
    errors = {item["field"]: item["message"] for item in response.json()["errors"]}
    assert set(errors) >= {"DuLieuBieuMau.copies", "ChuHoSo.SoDienThoai"}
    assert errors["DuLieuBieuMau.copies"].startswith("“Number of copies” must be")
    assert errors["ChuHoSo.SoDienThoai"].startswith("“Phone number” must be")


def test_a_rejected_filing_sent_again_is_rejected_again_and_still_creates_nothing(
    world: World, portal: Peer, post_filing: Post
) -> None:
    body = filing(world, MaTTHC="9.999999")
    first = post_filing(body, "qg-msg-rejected")
    fixed = post_filing(filing(world), "qg-msg-rejected")

    assert (first.status_code, fixed.status_code) == (422, 422)
    assert fixed.json() == first.json()
    assert Dossier.objects.count() == 0
    assert InboxMessage.objects.get(message_id="qg-msg-rejected").state == InboxState.REJECTED


def test_only_the_portal_signed_with_its_secret_may_file(
    world: World, portal: Peer, post_filing: Post
) -> None:
    Peer.objects.create(
        code="tinh-binh-dinh",
        name="Tỉnh bạn",
        kind=PeerKind.PROVINCE,
        base_url="http://127.0.0.1:9",
        secret="bi-mat-tinh-ban",  # noqa: S106 (test secret)
    )
    forged = post_filing(filing(world), "qg-msg-4", secret="sai-bi-mat")  # noqa: S106
    other = post_filing(
        filing(world), "qg-msg-5", secret="bi-mat-tinh-ban", sender="tinh-binh-dinh"
    )  # noqa: S106

    assert forged.status_code == 401
    assert forged.json()["field"] == "X-Motcua-Signature"
    assert other.status_code == 401
    assert (other.json()["code"], other.json()["field"]) == ("peer_not_allowed", "X-Motcua-Peer")
    assert Dossier.objects.count() == 0
    assert InboxMessage.objects.count() == 0


def test_a_message_id_as_long_as_the_inbox_takes_is_kept(
    world: World, portal: Peer, post_filing: Post
) -> None:
    message_id = "qg-" + "7" * 97

    response = post_filing(filing(world), message_id)

    assert response.status_code == 201, response.json()
    assert PortalFiling.objects.get().message_id == message_id


def test_a_filing_replayed_after_its_inbox_record_was_pruned_gets_the_same_code(
    world: World, portal: Peer, post_filing: Post
) -> None:
    first = post_filing(filing(world), "qg-old")
    InboxMessage.objects.filter(message_id="qg-old").delete()  # what exchange.prune does

    replay = post_filing(filing(world), "qg-old")

    assert replay.status_code in (200, 201), replay.json()
    assert replay.json()["MaHoSo"] == first.json()["MaHoSo"]
    assert Dossier.objects.count() == 1
    assert PortalFiling.objects.count() == 1
