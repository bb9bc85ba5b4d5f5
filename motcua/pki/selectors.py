"""Reads for the verification page: the signed documents stored for a dossier code."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from motcua.core.errors import MotcuaError
from motcua.dossiers.models import Dossier, DossierFile, FileKind
from motcua.pki import verification

logger = logging.getLogger(__name__)

# Documents the system produces and signs (results by the leader and the seal, Mẫu 01 by the
# center's seal); applicants' attachments are never shown here.
SIGNED_KINDS = (FileKind.RESULT, FileKind.RECEIPT_SLIP)


@dataclass(frozen=True)
class StoredReport:
    name: str
    kind_label: str
    report: verification.DocumentReport


def verify_dossier_documents(code: str) -> list[StoredReport] | None:
    """Each signed document stored for dossier ``code`` with its verification report, or
    ``None`` when no dossier has that code. The files themselves are never returned."""
    files = list(
        DossierFile.objects.filter(
            dossier__code=code, kind__in=SIGNED_KINDS, content_type="application/pdf"
        ).order_by("created_at", "pk")
    )
    if not files:
        return [] if Dossier.objects.filter(code=code).exists() else None
    reports = []
    for record in files:
        try:
            with record.file.open("rb") as handle:
                content = handle.read()
        except FileNotFoundError:
            logger.warning("pki.stored_missing file=%s", record.pk)
            continue
        try:
            report = verification.verify_pdf(content)
        except MotcuaError:
            # A stored file that is no readable PDF is an operator's matter, not the visitor's.
            logger.warning("pki.stored_unreadable file=%s", record.pk)
            continue
        reports.append(
            StoredReport(
                name=record.original_name,
                kind_label=str(FileKind(record.kind).label),
                report=report,
            )
        )
    return reports
