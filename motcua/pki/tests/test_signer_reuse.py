"""What signing prepares once per process: the loaded signers and the stamp font.

Cast: the seal of the service center of Phường Pleiku (``world.pleiku.center``) and the
leader ``world.pleiku.leader``; each test has a PKI of its own, so no signer is cached yet.
"""

from __future__ import annotations

import unicodedata
import zlib
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from fontTools import subset, ttLib
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from motcua.dossiers import pdf
from motcua.dossiers.tests.test_pdf import KHANG_BIRTH_COPY
from motcua.pki import signing, store

pytestmark = pytest.mark.django_db

# Every letter of the Vietnamese alphabet with every tone, upper and lower case (NFC).
VIETNAMESE_LETTERS = (
    "".join(
        unicodedata.normalize("NFC", base + tone)
        for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
        for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    )
    + "đĐ"
)


@pytest.fixture(autouse=True)
def own_pki(settings: Any, tmp_path: Path) -> Path:
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    store.ensure_ca()
    return tmp_path / "pki"


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return pdf.render_civil_status_copy(KHANG_BIRTH_COPY)


def _signed_by(content: bytes) -> list[tuple[int, bool]]:
    """(certificate serial, intact, valid and trusted) of every signature."""
    ca = store.ca_credential().certificate().public_bytes(serialization.Encoding.DER)
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(ca)])
    rows = []
    for embedded in PdfFileReader(BytesIO(content)).embedded_signatures:
        status = validate_pdf_signature(embedded, context)
        rows.append((embedded.signer_cert.serial_number, status.bottom_line))
    return rows


def _serial(credential: store.Credential) -> int:
    return int(credential.certificate().serial_number)


def _count_key_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    loads: list[str] = []
    real = store.load_key

    def counting(credential: store.Credential) -> Any:
        loads.append(credential.key_path.name)
        return real(credential)

    monkeypatch.setattr(store, "load_key", counting)
    return loads


def test_a_seal_is_loaded_once_for_many_signatures(
    world: Any, unsigned: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential, _ = store.ensure_agency_certificate(world.pleiku.center)
    seal = signing.ServerKeySigner(None, signing.SigningParty(credential, "Trung tâm"))
    loads = _count_key_loads(monkeypatch)

    documents = [seal.sign(unsigned, reason=f"Phiếu {number}") for number in range(3)]

    assert loads == [credential.key_path.name]
    assert [_signed_by(content) for content in documents] == [[(_serial(credential), True)]] * 3


def test_a_replaced_certificate_signs_from_the_next_signature_on(
    world: Any, unsigned: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential, _ = store.ensure_agency_certificate(world.pleiku.center)
    seal = signing.ServerKeySigner(None, signing.SigningParty(credential, "Trung tâm"))
    loads = _count_key_loads(monkeypatch)
    before = seal.sign(unsigned, reason="Trước khi thay chứng thư")
    old_serial = _serial(credential)

    credential.cert_path.unlink()
    credential.key_path.unlink()
    renewed, created = store.ensure_agency_certificate(world.pleiku.center)
    after = seal.sign(unsigned, reason="Sau khi thay chứng thư")

    assert created is True and _serial(renewed) != old_serial
    # The CA key signed the new certificate; the seal's key is loaded again for the signature.
    assert loads == [credential.key_path.name, store.CA_KEY, credential.key_path.name]
    assert _signed_by(before) == [(old_serial, True)]
    assert _signed_by(after) == [(_serial(renewed), True)]


def test_another_passphrase_loads_the_key_again(
    world: Any, unsigned: bytes, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential, _ = store.ensure_agency_certificate(world.pleiku.center)
    party = signing.SigningParty(credential, "Trung tâm")
    signing.ServerKeySigner(None, party).sign(unsigned, reason="Lần đầu")
    settings.MOTCUA_PKI_PASSPHRASE = "not-the-passphrase-of-these-keys"

    with pytest.raises(ValueError):
        signing.ServerKeySigner(None, party).sign(unsigned, reason="Sai mật khẩu")


def test_the_stamp_font_has_every_vietnamese_letter() -> None:
    font = ttLib.TTFont(BytesIO(signing._stamp_font_subset()))
    cmap = font.getBestCmap()

    missing = [c for c in VIETNAMESE_LETTERS + "—₫0123456789:/.,()" if ord(c) not in cmap]

    assert missing == []
    assert "GPOS" not in font and "GSUB" not in font
    assert len(signing._stamp_font_subset()) < signing.STAMP_FONT.stat().st_size // 5


def test_stamp_letters_are_as_wide_as_drawn() -> None:
    """PDF widths are thousandths of an em: "a" of DejaVu Sans is 1255/2048 em wide."""
    whole = ttLib.TTFont(signing.STAMP_FONT)
    for cut in (signing._stamp_font_subset(), signing._whole_stamp_font()):
        font = ttLib.TTFont(BytesIO(cut))
        advance, _lsb = font["hmtx"][font.getBestCmap()[ord("a")]]

        assert font["head"].unitsPerEm == 1000
        assert advance == round(1000 * whole["hmtx"]["a"][0] / whole["head"].unitsPerEm) == 613


@pytest.mark.parametrize(
    ("name", "whole_font"),
    [
        ("Nguyễn Thị Hoa", False),
        # NFD input is composed first: the same letters, the same cut of the font.
        (unicodedata.normalize("NFD", "Lê Thị Mỹ Duyên"), False),
        # Bahnar writes a breve over ơ and ư, which has no precomposed letter.
        ("Đinh Thị Hơ\u0306n", True),
        ("王小明", True),
    ],
)
def test_text_outside_the_cut_is_stamped_in_the_whole_font(name: str, whole_font: bool) -> None:
    texts = [unicodedata.normalize("NFC", name)]

    style, shown = signing._stamp_style(texts)

    font = style.text_box_style.font.font  # type: ignore[union-attr]
    expected = signing._whole_stamp_font() if whole_font else signing._stamp_font_subset()
    assert font is expected
    assert shown(texts[0]) == texts[0]


def test_a_leader_with_a_bahnar_name_signs_a_valid_result(
    world: Any, unsigned: bytes, tmp_path: Path
) -> None:
    leader = world.pleiku.leader
    leader.full_name = "Đinh Thị Hơ\u0306n"
    leader.save(update_fields=["full_name"])
    committee = world.pleiku.committee
    person = signing.SigningParty(store.ensure_person_certificate(leader, committee)[0], "Chủ tịch")
    seal = signing.SigningParty(store.ensure_agency_certificate(committee)[0], committee.name)

    signed = signing.ServerKeySigner(person, seal).sign(unsigned, reason="Bản sao trích lục")

    assert [ok for _serial_number, ok in _signed_by(signed)] == [True, True]


def test_a_signers_stamps_embed_one_font_subset(
    world: Any, unsigned: bytes, monkeypatch: pytest.MonkeyPatch, set_now: Any
) -> None:
    """Stamps of one signer at other times use the same glyphs (every digit is kept), so the
    font is subset once; the kept subset is byte for byte what subsetting gives again."""
    center = world.pleiku.center
    seal = signing.SigningParty(store.ensure_agency_certificate(center)[0], center.name)
    signing._stamp_font_subset()  # the cut of the font, made once per process
    subsets: list[int] = []
    real = subset.Subsetter.subset

    def counting(self: subset.Subsetter, font: Any) -> None:
        subsets.append(1)
        real(self, font)

    monkeypatch.setattr(subset.Subsetter, "subset", counting)
    monkeypatch.setattr(signing, "_font_programs", {})
    # fontTools stamps a subset's "modified" with the wall clock: both subsets below must be
    # made at the same second to compare byte for byte.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764900000")

    def sign(at: datetime) -> bytes:
        set_now(at)
        return signing.ServerKeySigner(None, seal).sign(unsigned, reason="Phiếu")

    first = sign(datetime(2026, 12, 4, 2, 30, tzinfo=UTC))
    second = sign(datetime(2026, 12, 4, 3, 47, 58, tzinfo=UTC))

    assert len(subsets) == 1
    (program,) = signing._font_programs.values()
    assert zlib.compress(program) in first
    assert zlib.compress(program) in second
    assert [ok for _serial_number, ok in _signed_by(first) + _signed_by(second)] == [True, True]

    signing._font_programs.clear()
    sign(datetime(2026, 12, 5, 8, 15, 9, tzinfo=UTC))
    assert len(subsets) == 2
    assert list(signing._font_programs.values()) == [program]
