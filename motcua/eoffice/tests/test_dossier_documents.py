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
