"""Real signatures on dossier documents, checked with pyHanko and with poppler's pdfsig.

Cast: the citizen's civil-status copy approved by ``world.pleiku.leader`` at the People's
Committee of Phường Pleiku, and his receipt slip sealed by the ward's service center. One
temporary PKI per module; only the certificates a test needs are created.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from motcua.dossiers.models import FileKind
from motcua.pki import signers, store

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(autouse=True)
def pki_dir(settings: Any, module_pki: Path) -> Path:
    settings.MOTCUA_PKI_DIR = module_pki
    return module_pki


def _trust() -> ValidationContext:
    ca = store.ca_credential().certificate().public_bytes(serialization.Encoding.DER)
    return ValidationContext(trust_roots=[asn1_x509.Certificate.load(ca)], allow_fetching=False)


def _signatures(content: bytes) -> list[tuple[str, str, bool, bool]]:
    """(signer, reason, intact and valid, trusted) of every signature, in signing order."""
    reader = PdfFileReader(BytesIO(content))
    rows = []
    for embedded in reader.embedded_signatures:
        status = validate_pdf_signature(embedded, _trust())
        rows.append(
            (
                _name(status.signing_cert.subject.native),
                str(embedded.sig_object["/Reason"]),
                status.intact and status.valid,
                status.trusted,
            )
        )
    return rows


def _name(subject: dict[str, str]) -> str:
    """A seal names its organisation (the common name is cut at 64 bytes), a person himself."""
    return subject["common_name"] if "title" in subject else subject["organization_name"]


def _pdfsig(path: Path) -> str:
    result = subprocess.run(  # noqa: S603 (fixed program, our own file)
        ["/usr/bin/pdfsig", str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


def _approved_copy(world: Any) -> tuple[Any, bytes]:
    store.ensure_ca()
    dossier = world.dossier_in("approved")
    result = dossier.files.filter(kind=FileKind.RESULT).order_by("pk").first()
    return dossier, bytes(result.file.read())


def test_init_creates_the_ca_and_every_signing_certificate_once(
    world: Any, pki_dir: Path, settings: Any, tmp_path: Path
) -> None:
    settings.MOTCUA_PKI_DIR = tmp_path / "full"
    first = store.init_pki()
    assert first.ca_created is True
    assert first.agencies_created == first.agencies_total > 135 * 2
    assert first.people_created == first.people_total >= 2
    seal = store.agency_credential(world.pleiku.committee)
    assert seal.subject_name() == world.pleiku.committee.name
    assert seal.key_path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert store.person_credential(world.pleiku.leader).subject_name() == (
        world.pleiku.leader.full_name
    )
    before = seal.cert_path.read_bytes()

    again = store.init_pki()

    assert (again.ca_created, again.agencies_created, again.people_created) == (False, 0, 0)
    assert seal.cert_path.read_bytes() == before


def test_without_a_pki_documents_stay_unsigned(world: Any, settings: Any, tmp_path: Path) -> None:
    settings.MOTCUA_PKI_DIR = tmp_path / "missing"
    assert signers.seal_signer(world.pleiku.center) is None
    assert not (tmp_path / "missing").exists()


def test_a_signed_result_validates_with_both_signatures(world: Any, tmp_path: Path) -> None:
    dossier, content = _approved_copy(world)

    reason = f"Bản sao trích lục khai sinh, hồ sơ {dossier.code}"
    assert _signatures(content) == [
        (world.pleiku.leader.full_name, reason, True, True),
        (world.pleiku.committee.name, reason, True, True),
    ]
    reader = PdfFileReader(BytesIO(content))
    times = [
        validate_pdf_signature(e, _trust()).signer_reported_dt for e in reader.embedded_signatures
    ]
    assert [t.utcoffset() for t in times if t is not None] == [timedelta(hours=7)] * 2
    path = tmp_path / "ban-sao.pdf"
    path.write_bytes(content)
    report = _pdfsig(path)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    assert world.pleiku.leader.full_name in report


def test_a_receipt_slip_carries_the_center_seal_only(world: Any, tmp_path: Path) -> None:
    store.ensure_ca()
    dossier = world.dossier_in("accepted")
    slip = dossier.files.get(kind=FileKind.RECEIPT_SLIP)

    rows = _signatures(bytes(slip.file.read()))

    assert [(name, ok, trusted) for name, _reason, ok, trusted in rows] == [
        (world.pleiku.center.name, True, True)
    ]


def test_a_document_altered_after_signing_is_reported_as_altered(
    world: Any, tmp_path: Path
) -> None:
    _dossier, signed = _approved_copy(world)
    content = bytearray(signed)
    reader = PdfFileReader(BytesIO(bytes(content)))
    byte_range = reader.embedded_signatures[0].sig_object["/ByteRange"]
    start, length = int(byte_range[0]), int(byte_range[1])
    position = start + length // 2
    content[position] = (content[position] + 1) % 256
    altered = bytes(content)

    rows = _signatures(altered)

    assert rows[0][2] is False
    path = tmp_path / "sua.pdf"
    path.write_bytes(altered)
    report = _pdfsig(path)
    assert "Signature Validation: Digest Mismatch." in report, report
