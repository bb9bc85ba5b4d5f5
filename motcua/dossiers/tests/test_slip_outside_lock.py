"""A cash payment renders and seals the receipt slip before its transaction, then only stores it.

Cast: the citizen's dossier at Phường Pleiku, accepted by ``world.pleiku.receiver`` on Friday
13 February 2026 and held for its fee; the same receiver takes the fee in cash at 09:20.
``world.pleiku.specialist`` and ``world.outsider`` may not take it. With a PKI of the test's own,
so the slip is sealed by the service centre and registered.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from motcua.core.errors import Forbidden, NotFound
from motcua.dossiers import documents, services
from motcua.dossiers.models import Dossier, FileKind
from motcua.dossiers.tests.test_pdf import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_pki")]

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FRIDAY = date(2026, 2, 13)
ACCEPTED = datetime(2026, 2, 13, 9, 0, tzinfo=VN)
PAID = datetime(2026, 2, 13, 9, 20, tzinfo=VN)


@pytest.fixture
def held(world: Any, set_now: Any) -> Dossier:
    """The dossier accepted at 09:00 and held for its fee, the clock then at 09:20."""
    set_now(ACCEPTED)
    dossier = world.dossier_in("awaiting_payment")
    set_now(PAID)
    return dossier


def stored_slip(dossier: Dossier) -> bytes:
    (slip,) = dossier.files.filter(kind=FileKind.RECEIPT_SLIP)
    return bytes(slip.file.read())


def slip_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "slip.pdf"
    path.write_bytes(content)
    return pdf_text(path)


def in_between(monkeypatch: pytest.MonkeyPatch, change: Any) -> list[documents.PreparedSlip]:
    """Run ``change()`` after the slip is prepared and before the payment's transaction."""
    prepared: list[documents.PreparedSlip] = []
    real = documents.prepare_receipt_slip

    def preparing(dossier_id: int, *, actor: Any, now: datetime) -> Any:
        slip = real(dossier_id, actor=actor, now=now)
        assert slip is not None
        prepared.append(slip)
        change()
        return slip

    monkeypatch.setattr(documents, "prepare_receipt_slip", preparing)
    return prepared


def test_the_slip_is_rendered_before_the_transaction_and_stored_in_it(
    world: Any, held: Dossier, slip_renders: list[tuple[int, bytes]], tmp_path: Path
) -> None:
    paid = services.record_cash_payment(held.pk, actor=world.pleiku.receiver)

    assert paid.state == "accepted"
    assert [depth for depth, _ in slip_renders] == [0]
    content = stored_slip(paid)
    assert content == slip_renders[0][1]
    assert content.count(b"/ByteRange") == 1
    text = slip_text(content, tmp_path)
    # Received at the payment, due at the 17:00 close the same day (before 15:00 on a working
    # day), the fee paid; signed off by the officer who accepted the dossier.
    assert "2. Thời gian nhận hồ sơ: 09 giờ 20, ngày 13 tháng 02 năm 2026" in text
    assert "3. Thời gian trả kết quả: 17 giờ 00, ngày 13 tháng 02 năm 2026" in text
    assert "(đã nộp)" in text
    assert world.pleiku.receiver.full_name in text


def test_a_change_in_between_renders_the_slip_again(
    world: Any,
    held: Dossier,
    slip_renders: list[tuple[int, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    prepared = in_between(
        monkeypatch,
        lambda: Dossier.objects.filter(pk=held.pk).update(applicant_phone="0912 345 678"),
    )

    paid = services.record_cash_payment(held.pk, actor=world.pleiku.receiver)

    assert [depth > 0 for depth, _ in slip_renders] == [False, True]
    content = stored_slip(paid)
    assert content == slip_renders[1][1] != prepared[0].content
    assert "Điện thoại: 0912 345 678" in slip_text(content, tmp_path)


@pytest.mark.parametrize(("later", "again"), [(timedelta(seconds=40), False),
                                              (timedelta(minutes=1), True)])  # fmt: skip
def test_the_slip_is_rendered_again_only_if_the_printed_minute_moved(
    world: Any,
    held: Dossier,
    slip_renders: list[tuple[int, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    set_now: Any,
    tmp_path: Path,
    later: timedelta,
    again: bool,
) -> None:
    prepared = in_between(monkeypatch, lambda: set_now(PAID + later))

    paid = services.record_cash_payment(held.pk, actor=world.pleiku.receiver)

    assert len(slip_renders) == (2 if again else 1)
    content = stored_slip(paid)
    assert (content == prepared[0].content) is not again
    minute = (PAID + later).strftime("%H giờ %M")
    assert f"2. Thời gian nhận hồ sơ: {minute}, ngày 13 tháng 02" in slip_text(content, tmp_path)


@pytest.mark.parametrize(("who", "refusal"), [("specialist", Forbidden), ("outsider", NotFound)])
def test_nothing_is_rendered_for_whoever_may_not_take_the_fee(
    world: Any, held: Dossier, slip_renders: list[tuple[int, bytes]], who: str, refusal: type
) -> None:
    actor = world.pleiku.specialist if who == "specialist" else world.outsider

    assert documents.prepare_receipt_slip(held.pk, actor=actor, now=PAID) is None
    with pytest.raises(refusal):
        services.record_cash_payment(held.pk, actor=actor)
    assert slip_renders == []
    assert not held.files.filter(kind=FileKind.RECEIPT_SLIP).exists()


def test_nothing_is_rendered_for_a_dossier_not_held_for_its_fee(
    world: Any, slip_renders: list[tuple[int, bytes]]
) -> None:
    submitted = world.dossier_in("submitted")

    assert (
        documents.prepare_receipt_slip(submitted.pk, actor=world.pleiku.receiver, now=PAID) is None
    )
    assert slip_renders == []


def test_a_prepared_slip_serves_its_own_dossier_and_signing_only(world: Any, held: Dossier) -> None:
    prepared = documents.prepare_receipt_slip(held.pk, actor=world.pleiku.receiver, now=PAID)
    assert prepared is not None and prepared.signed

    slip = prepared.slip
    assert prepared.content_for(held.pk, slip, signed=True) is prepared.content
    assert prepared.content_for(held.pk + 1, slip, signed=True) is None
    assert prepared.content_for(held.pk, slip, signed=False) is None
