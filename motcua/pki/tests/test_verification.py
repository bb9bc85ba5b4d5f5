"""The public signature verification (``motcua.pki.verification``, /xac-thuc/, the API).

Cast: the civil-status copy approved by ``world.pleiku.leader`` and sealed by the People's
Committee of Phường Pleiku, the same copy tampered with in three ways, and a PDF signed by a
self-made certificate no trusted CA issued. Verdicts are cross-checked with poppler's pdfsig.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from motcua.core.errors import InvalidInput
from motcua.dossiers.models import FileKind
from motcua.pki import store, verification

pytestmark = pytest.mark.django_db

VIETNAM = timedelta(hours=7)


@pytest.fixture(scope="module")
def module_pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(autouse=True)
def pki_dir(settings: Any, module_pki: Path) -> Path:
    settings.MOTCUA_PKI_DIR = module_pki
    settings.MOTCUA_VERIFY_TRUST_ROOTS = []
    return module_pki


@pytest.fixture
def signed(world: Any) -> tuple[Any, bytes, datetime, datetime]:
    """The approved copy's signed bytes, with the moments before and after it was signed."""
    store.ensure_ca()
    before = datetime.now(tz=UTC).replace(microsecond=0)
    dossier = world.dossier_in("approved")
    after = datetime.now(tz=UTC)
    result = dossier.files.filter(kind=FileKind.RESULT).order_by("pk").first()
    return dossier, bytes(result.file.read()), before, after


def _unsigned_pdf() -> bytes:
    return bytes(weasyprint.HTML(string="<p>Giấy xác nhận không ký số</p>").write_pdf())


def _tampered(content: bytes) -> bytes:
    """One byte changed inside the part of the file the first signature covers."""
    changed = bytearray(content)
    byte_range = PdfFileReader(BytesIO(content)).embedded_signatures[0].sig_object["/ByteRange"]
    position = int(byte_range[0]) + int(byte_range[1]) // 2
    changed[position] = (changed[position] + 1) % 256
    return bytes(changed)


def _updated_after_signing(content: bytes) -> bytes:
    """An incremental update that writes text over the first page, after both signatures."""
    writer = IncrementalPdfFileWriter(BytesIO(content), strict=False)
    stream = generic.StreamObject(stream_data=b"q 1 0 0 rg 40 700 200 40 re f Q")
    writer.add_stream_to_page(0, writer.add_object(stream))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _self_signed(pdf: bytes) -> bytes:
    """``pdf`` signed by a key whose self-made certificate no trusted CA issued."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND Phường Không Có"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Người Tự Xưng"),
        ]
    )
    now = datetime.now(tz=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert]),
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name="Signature1"),
        signer=signer,
    )
    return bytes(out.getbuffer())


def _pdfsig(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "checked.pdf"
    path.write_bytes(content)
    result = subprocess.run(  # noqa: S603 (fixed program, our own file)
        ["/usr/bin/pdfsig", str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


def _rows(report: verification.DocumentReport) -> list[tuple[str, str, bool, bool, str, str]]:
    return [
        (s.signer_name, s.organisation, s.intact, s.trusted, s.after_signing, s.verdict)
        for s in report.signatures
    ]


def test_a_result_signed_by_the_project_has_two_valid_signatures(
    world: Any, signed: tuple[Any, bytes, datetime, datetime]
) -> None:
    _dossier, content, before, after = signed
    committee = world.pleiku.committee.name
    seal_cn = committee.encode()[:64].decode(errors="ignore").strip()

    report = verification.verify_pdf(content)

    assert report.verdict == "valid"
    assert _rows(report) == [
        (world.pleiku.leader.full_name, committee, True, True, "signatures", "valid"),
        (seal_cn, committee, True, True, "none", "valid"),
    ]
    assert report.signatures[0].title == "Lãnh đạo"
    for signature in report.signatures:
        assert signature.signed_at is not None
        assert signature.signed_at.utcoffset() == VIETNAM
        assert before <= signature.signed_at <= after
    assert report.signatures[0].signed_at <= report.signatures[1].signed_at  # type: ignore[operator]


def test_a_byte_tampered_copy_is_reported_altered_as_pdfsig_does(
    signed: tuple[Any, bytes, datetime, datetime], tmp_path: Path
) -> None:
    tampered = _tampered(signed[1])

    report = verification.verify_pdf(tampered)

    assert report.verdict == "invalid"
    assert [(s.intact, s.verdict) for s in report.signatures] == [(False, "altered")] * 2
    assert report.signatures[0].message == (
        "Tài liệu đã bị sửa sau khi ký: nội dung không còn khớp với chữ ký."
    )
    assert _pdfsig(tampered, tmp_path).count("Signature Validation: Digest Mismatch.") == 2


def test_an_update_appended_after_signing_is_reported_as_changed(
    world: Any, signed: tuple[Any, bytes, datetime, datetime], tmp_path: Path
) -> None:
    updated = _updated_after_signing(signed[1])

    report = verification.verify_pdf(updated)

    assert report.verdict == "invalid"
    assert [(s.intact, s.trusted, s.after_signing, s.verdict) for s in report.signatures] == [
        (True, True, "changed", "changed")
    ] * 2
    assert report.signatures[1].after_signing_message == (
        "Có: tài liệu bị thay đổi sau chữ ký này."
    )
    # pdfsig sees intact signatures that no longer cover the whole file.
    checked = _pdfsig(updated, tmp_path)
    assert checked.count("Signature Validation: Signature is Valid.") == 2
    assert checked.count("Not total document signed") == 2


def test_a_pdf_signed_with_a_self_made_key_is_untrusted() -> None:
    content = _self_signed(_unsigned_pdf())

    report = verification.verify_pdf(content)

    assert _rows(report) == [
        ("Người Tự Xưng", "UBND Phường Không Có", True, False, "none", "untrusted")
    ]
    assert report.verdict == "invalid"


def test_configured_trust_roots_replace_the_development_ca(
    settings: Any, signed: tuple[Any, bytes, datetime, datetime], tmp_path: Path
) -> None:
    other = tmp_path / "other-root.pem"
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Other Root")])
    now = datetime.now(tz=UTC)
    root = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    other.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    settings.MOTCUA_VERIFY_TRUST_ROOTS = [str(other)]

    report = verification.verify_pdf(signed[1])

    assert [(s.trusted, s.verdict) for s in report.signatures] == [(False, "untrusted")] * 2


def test_a_pdf_without_signatures_says_so() -> None:
    report = verification.verify_pdf(_unsigned_pdf())

    assert (report.verdict, report.signatures, report.message) == (
        "unsigned",
        [],
        "Tài liệu không có chữ ký số.",
    )


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "required"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not_pdf"),
        (b"%PDF-1.7\n garbage that is no PDF at all", "unreadable"),
    ],
)
def test_what_cannot_be_verified_is_refused_with_a_field_error(content: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        verification.verify_pdf(content)

    assert (caught.value.field, caught.value.code) == ("file", code)


def test_a_file_over_the_upload_limit_is_refused(settings: Any) -> None:
    settings.MOTCUA_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    content = b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024)

    with pytest.raises(InvalidInput) as caught:
        verification.verify_pdf(content)

    assert (caught.value.field, caught.value.code) == ("file", "too_large")
    assert caught.value.message == "Tệp lớn quá 2.0 MB: không kiểm tra được."


# --- the page and the API ---------------------------------------------------------------------


def test_the_page_reports_each_signature_of_an_uploaded_result(
    world: Any, client: Client, signed: tuple[Any, bytes, datetime, datetime]
) -> None:
    upload = SimpleUploadedFile("ban-sao.pdf", signed[1], content_type="application/pdf")

    response = client.post(reverse("pki:verify"), {"file": upload})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-verdict="valid"' in page
    assert page.count('<article class="signature" data-verdict="valid">') == 2
    assert world.pleiku.leader.full_name in page
    assert "Tất cả chữ ký số trên tài liệu đều hợp lệ." in page
    assert "(UTC+07:00)" in page


def test_the_page_refuses_a_non_pdf_naming_the_field(client: Client) -> None:
    upload = SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")

    response = client.post(reverse("pki:verify"), {"file": upload})

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="file-errors"' in page
    assert "Tệp không phải là tài liệu PDF" in page


def test_the_qr_link_of_a_result_verifies_the_stored_documents(
    world: Any, client: Client, signed: tuple[Any, bytes, datetime, datetime], tmp_path: Path
) -> None:
    dossier, content, _before, _after = signed
    link = f"http://127.0.0.1:8000/xac-thuc/{dossier.code}/"
    path = tmp_path / "copy.pdf"
    path.write_bytes(content)
    text = subprocess.run(  # noqa: S603 (fixed program, our own file)
        ["/usr/bin/pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert link in "".join(text.split())  # the printed address wraps under the QR code

    response = client.get(link.removeprefix("http://127.0.0.1:8000"))

    assert response.status_code == 200
    page = response.content.decode()
    stored = dossier.files.filter(kind__in=[FileKind.RESULT, FileKind.RECEIPT_SLIP])
    signatures = [
        len(PdfFileReader(BytesIO(bytes(f.file.read()))).embedded_signatures) for f in stored
    ]
    assert len(signatures) >= 2
    # One verdict per document and one per signature, all valid.
    assert page.count('data-verdict="valid"') == len(signatures) + sum(signatures)
    assert 'data-verdict="invalid"' not in page
    assert world.pleiku.center.name in page
    assert client.get("/xac-thuc/H52.00000.00-000000-0000/").status_code == 404


def test_the_api_answers_in_json_in_english_when_asked(
    world: Any, client: Client, signed: tuple[Any, bytes, datetime, datetime]
) -> None:
    upload = SimpleUploadedFile("ban-sao.pdf", _tampered(signed[1]))

    response = client.post(
        "/api/signatures/verify", {"file": upload}, headers={"accept-language": "en"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "invalid"
    assert [s["verdict"] for s in body["signatures"]] == ["altered", "altered"]
    assert body["signatures"][0]["signer"] == world.pleiku.leader.full_name
    assert body["signatures"][0]["signed_at"].endswith("+07:00")
    assert body["signatures"][0]["message"] == (
        "The document was altered after signing: its content no longer matches the signature."
    )


def test_the_api_refuses_a_non_pdf_with_a_field_error(client: Client) -> None:
    upload = SimpleUploadedFile("note.txt", b"hello")

    response = client.post("/api/signatures/verify", {"file": upload})

    assert response.status_code == 422
    assert response.json() == {
        "code": "not_pdf",
        "field": "file",
        "message": "Tệp không phải là tài liệu PDF: chỉ kiểm tra được chữ ký số trên tệp PDF.",
    }


def test_the_api_lists_a_dossiers_signed_documents(
    client: Client, signed: tuple[Any, bytes, datetime, datetime]
) -> None:
    dossier = signed[0]

    response = client.get(f"/api/signatures/dossiers/{dossier.code}")

    assert response.status_code == 200
    body = response.json()
    kinds = {item["kind"] for item in body}
    assert kinds == {"Kết quả giải quyết", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"}
    assert all(item["verdict"] == "valid" for item in body)
    assert client.get("/api/signatures/dossiers/NO-SUCH").status_code == 404
