"""Signed dossier forms and results are registered as issued documents of their agency."""

from __future__ import annotations

from pathlib import Path

from motcua.dossiers.models import FileKind
from motcua.eoffice.models import DocumentState, OfficialDocument, Origin
from motcua.eoffice.tests.conftest import Office


def test_the_receipt_slip_and_both_signed_copies_become_documents(
    office: Office, pki: Path
) -> None:
    world = office.world
    dossier = world.dossier_in("approved")

    documents = OfficialDocument.objects.filter(dossier=dossier).order_by("pk")

    assert [(d.issuer, d.doc_type, d.symbol, d.state, d.origin) for d in documents] == [
        (world.pleiku.center, "phieu-bao", f"{dossier.code}/TN", DocumentState.ISSUED,
         Origin.DOSSIER),
        (world.pleiku.committee, "phieu-bao", f"{dossier.code}/BSTL-1", DocumentState.ISSUED,
         Origin.DOSSIER),
        (world.pleiku.committee, "phieu-bao", f"{dossier.code}/BSTL-2", DocumentState.ISSUED,
         Origin.DOSSIER),
    ]  # fmt: skip
    files = dossier.files.filter(kind__in=(FileKind.RECEIPT_SLIP, FileKind.RESULT)).order_by("pk")
    assert [d.pdf_sha256 for d in documents] == [f.sha256 for f in files]
    assert documents[1].signer == world.pleiku.leader
    assert documents[1].pdf.read() == files[1].file.read()


def test_without_signing_keys_nothing_is_registered(
    office: Office, settings: object, tmp_path: Path
) -> None:
    settings.MOTCUA_PKI_DIR = tmp_path / "none"  # type: ignore[attr-defined]
    dossier = office.world.dossier_in("approved")

    assert not OfficialDocument.objects.filter(dossier=dossier).exists()


def _seal_signatures(content: bytes) -> list[tuple[str, bool, bool]]:
    """(signer's organisation, intact, trusted) of every signature, checked by pyHanko."""
    from io import BytesIO

    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from motcua.pki import store

    ca = store.ca_credential().certificate().public_bytes(serialization.Encoding.DER)
    trust = ValidationContext(trust_roots=[asn1_x509.Certificate.load(ca)], allow_fetching=False)
    results = []
    for embedded in PdfFileReader(BytesIO(content)).embedded_signatures:
        status = validate_pdf_signature(embedded, trust)
        organisation = embedded.signer_cert.subject.native["organization_name"]
        results.append((organisation, status.intact and status.valid, status.trusted))
    return results


def test_the_supplement_request_and_the_refusal_are_sealed_and_registered(
    office: Office, pki: Path
) -> None:
    from motcua.dossiers import services

    world = office.world
    center = world.pleiku.center
    asked = services.request_supplement(
        world.submit().pk, actor=world.pleiku.receiver, items=["Tờ khai"], reason="Thiếu tờ khai"
    )
    refused = services.refuse(world.submit().pk, actor=world.pleiku.receiver, reason="Sai nơi")

    notice = asked.files.get(kind=FileKind.SUPPLEMENT_NOTICE)
    refusal = refused.files.get(kind=FileKind.REFUSAL_NOTICE)
    assert _seal_signatures(notice.file.read()) == [(center.name, True, True)]
    assert _seal_signatures(refusal.file.read()) == [(center.name, True, True)]
    registered = OfficialDocument.objects.filter(dossier__in=[asked, refused]).order_by("pk")
    assert [(d.issuer, d.doc_type, d.symbol, d.pdf_sha256) for d in registered] == [
        (center, "phieu-bao", f"{asked.code}/BS1", notice.sha256),
        (center, "phieu-bao", f"{refused.code}/TC", refusal.sha256),
    ]
