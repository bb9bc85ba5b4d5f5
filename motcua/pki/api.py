"""Signature verification over the API: the same checks as the public page, as JSON."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from motcua.core.errors import NotFound
from motcua.pki import selectors, verification
from motcua.pki.views import read_upload

router = Router(tags=["Xác thực chữ ký số"])


class SignatureOut(Schema):
    field: str
    signer: str
    organisation: str
    title: str
    signed_at: datetime | None
    intact: bool
    trusted: bool
    after_signing: str
    after_signing_message: str
    verdict: str
    message: str


class ReportOut(Schema):
    verdict: str
    message: str
    sha256: str
    size: int
    signatures: list[SignatureOut]


class StoredReportOut(ReportOut):
    name: str
    kind: str


@router.post("/signatures/verify", response=ReportOut, url_name="signatures-verify")
def verify(request: HttpRequest, file: UploadedFile | None = File(None)) -> dict[str, object]:  # noqa: B008
    """Check every signature of an uploaded PDF (multipart field ``file``) against the
    installation's trust roots. ``verdict`` is valid, invalid or unsigned; each signature's
    is valid, altered, changed (updated after signing), untrusted or broken. Not a PDF, too
    big or unreadable: 422 with ``field`` = ``file``."""
    return verification.verify_pdf(read_upload(file)).as_dict()


@router.get(
    "/signatures/dossiers/{code}",
    response=list[StoredReportOut],
    url_name="signatures-dossier",
)
def dossier_documents(request: HttpRequest, code: str) -> list[dict[str, object]]:
    """The signed documents stored for a dossier (results, receipt slip) and their reports;
    the link in a result's QR code shows the same on a page."""
    stored = selectors.verify_dossier_documents(code)
    if stored is None:
        raise NotFound()
    return [
        {**item.report.as_dict(), "name": item.name, "kind": item.kind_label} for item in stored
    ]
