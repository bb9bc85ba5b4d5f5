"""Checking the digital signatures of a PDF against this installation's trust roots.

``verify_pdf`` takes the bytes a citizen uploads (or a stored document) and reports, for every
signature in signing order: who signed (name, organisation and title from the certificate),
when (the time the signer declared, in Vietnam time), whether the signed bytes are unchanged
and the signature mathematically valid, whether the certificate chains to a trusted root, and
whether the document was changed after that signature (pyHanko's difference analysis: adding
further signatures or filling form fields is allowed, anything else is a change).

Trust roots are the files listed in ``settings.MOTCUA_VERIFY_TRUST_ROOTS`` or, when that is
empty, the development CA of ``motcua pki init``. No network access: revocation is not checked.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from motcua.core import clock
from motcua.core.errors import InvalidInput
from motcua.pki import store

logger = logging.getLogger(__name__)

FIELD = "file"
PDF_MAGIC = b"%PDF-"
# The PDF header may follow a little junk (ISO 32000-1 §7.5.2 readers look within 1024 bytes).
MAGIC_WINDOW = 1024

# Verdicts of one signature and of the whole document.
VALID = "valid"
ALTERED = "altered"
CHANGED = "changed"
UNTRUSTED = "untrusted"
BROKEN = "broken"
INVALID = "invalid"
UNSIGNED = "unsigned"

_SIGNATURE_MESSAGES: dict[str, str | Promise] = {
    VALID: _("Chữ ký hợp lệ: nội dung đúng như lúc ký, chứng thư số do nơi cấp tin cậy phát hành."),
    ALTERED: _("Tài liệu đã bị sửa sau khi ký: nội dung không còn khớp với chữ ký."),
    CHANGED: _(
        "Tài liệu đã bị thay đổi sau khi ký: có nội dung được thêm vào sau chữ ký này "
        "(không phải chữ ký số khác)."
    ),
    UNTRUSTED: _(
        "Nội dung đúng như lúc ký, nhưng chứng thư số không do nơi cấp tin cậy phát hành: "
        "không xác định được người ký."
    ),
    BROKEN: _("Không đọc được chữ ký này: chữ ký bị hỏng hoặc không đúng định dạng."),
}

_DOCUMENT_MESSAGES: dict[str, str | Promise] = {
    VALID: _("Tất cả chữ ký số trên tài liệu đều hợp lệ."),
    INVALID: _("Có chữ ký số không hợp lệ: xem chi tiết từng chữ ký."),
    UNSIGNED: _("Tài liệu không có chữ ký số."),
}

_AFTER_MESSAGES: dict[str, str | Promise] = {
    "none": _("Không: đây là phiên bản cuối của tài liệu."),
    "signatures": _("Chỉ thêm chữ ký số hoặc điền biểu mẫu; nội dung không đổi."),
    "changed": _("Có: tài liệu bị thay đổi sau chữ ký này."),
    "unknown": _("Không xác định được."),
}


@dataclass(frozen=True)
class SignatureReport:
    """One signature as a citizen should read it; ``verdict`` is one of the constants above."""

    field_name: str
    signer_name: str
    organisation: str
    title: str
    signed_at: datetime | None
    intact: bool
    trusted: bool
    after_signing: str  # none, signatures, changed or unknown
    verdict: str

    @property
    def message(self) -> str:
        return str(_SIGNATURE_MESSAGES[self.verdict])

    @property
    def after_signing_message(self) -> str:
        return str(_AFTER_MESSAGES[self.after_signing])


@dataclass(frozen=True)
class DocumentReport:
    sha256: str
    size: int
    signatures: list[SignatureReport] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if not self.signatures:
            return UNSIGNED
        return VALID if all(s.verdict == VALID for s in self.signatures) else INVALID

    @property
    def message(self) -> str:
        return str(_DOCUMENT_MESSAGES[self.verdict])

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "message": self.message,
            "sha256": self.sha256,
            "size": self.size,
            "signatures": [
                {
                    "field": s.field_name,
                    "signer": s.signer_name,
                    "organisation": s.organisation,
                    "title": s.title,
                    "signed_at": s.signed_at,
                    "intact": s.intact,
                    "trusted": s.trusted,
                    "after_signing": s.after_signing,
                    "after_signing_message": s.after_signing_message,
                    "verdict": s.verdict,
                    "message": s.message,
                }
                for s in self.signatures
            ],
        }


def max_bytes() -> int:
    return int(settings.MOTCUA_UPLOAD_MAX_BYTES)


def check_upload(content: bytes | None, *, size: int | None = None) -> bytes:
    """Refuse what cannot be verified: nothing, too big, not a PDF. Errors name ``file``."""
    if not content:
        raise InvalidInput(_("Chọn tệp PDF cần kiểm tra."), field=FIELD, code="required")
    limit = max_bytes()
    if (size or len(content)) > limit:
        raise InvalidInput(
            _("Tệp lớn quá %(limit)s MB: không kiểm tra được."),
            field=FIELD,
            code="too_large",
            limit=round(limit / 1024 / 1024, 1),
        )
    if PDF_MAGIC not in content[:MAGIC_WINDOW]:
        raise InvalidInput(
            _("Tệp không phải là tài liệu PDF: chỉ kiểm tra được chữ ký số trên tệp PDF."),
            field=FIELD,
            code="not_pdf",
        )
    return content


def verify_pdf(content: bytes) -> DocumentReport:
    """Every signature of ``content`` checked against the trust roots, in signing order.

    Raises ``InvalidInput`` (field ``file``) for an empty, oversized, non-PDF, unreadable or
    encrypted file. A PDF without signatures gives a report with no signatures.
    """
    check_upload(content)
    try:
        reader = PdfFileReader(BytesIO(content), strict=False)
        if reader.encrypted:
            raise InvalidInput(
                _("Tệp PDF được mã hóa bằng mật khẩu: không kiểm tra được."),
                field=FIELD,
                code="encrypted",
            )
        embedded = list(reader.embedded_signatures)
    except InvalidInput:
        raise
    except Exception as error:  # noqa: BLE001 (any failure to parse an untrusted file)
        logger.info("pki.verify unreadable error=%s", type(error).__name__)
        raise InvalidInput(
            _("Không đọc được tệp PDF: tệp bị hỏng hoặc không đúng định dạng."),
            field=FIELD,
            code="unreadable",
        ) from error

    context = ValidationContext(trust_roots=trust_roots(), allow_fetching=False)
    signatures = [_check(signature, context) for signature in embedded]
    report = DocumentReport(
        sha256=hashlib.sha256(content).hexdigest(), size=len(content), signatures=signatures
    )
    logger.info(
        "pki.verify sha256=%s signatures=%s verdict=%s",
        report.sha256[:16],
        len(signatures),
        report.verdict,
    )
    return report


def _check(embedded: Any, context: ValidationContext) -> SignatureReport:
    field_name = str(embedded.field_name or "")
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception as error:  # noqa: BLE001 (a malformed signature in an untrusted file)
        logger.info("pki.verify broken_signature error=%s", type(error).__name__)
        return SignatureReport(
            field_name=field_name,
            signer_name="",
            organisation="",
            title="",
            signed_at=None,
            intact=False,
            trusted=False,
            after_signing="unknown",
            verdict=BROKEN,
        )
    signer, organisation, title = _names(status)
    intact = bool(status.intact and status.valid)
    after = _after_signing(status)
    if not intact:
        verdict = ALTERED
    elif after == "changed":
        verdict = CHANGED
    elif not status.trusted:
        verdict = UNTRUSTED
    else:
        verdict = VALID
    signed_at = status.signer_reported_dt
    return SignatureReport(
        field_name=field_name,
        signer_name=signer,
        organisation=organisation,
        title=title,
        signed_at=clock.localtime(signed_at) if signed_at is not None else None,
        intact=intact,
        trusted=bool(status.trusted),
        after_signing=after,
        verdict=verdict,
    )


def _after_signing(status: PdfSignatureStatus) -> str:
    """What happened to the document after this signature, in the four words of the page."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "none"
    level = status.modification_level
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION or level is None:
        # Bytes appended outside any revision, or a byte range with holes: not a clean update.
        return "changed"
    if level <= ModificationLevel.FORM_FILLING and status.docmdp_ok is not False:
        return "signatures"
    return "changed"


def _names(status: PdfSignatureStatus) -> tuple[str, str, str]:
    """(name, organisation, title) from the signer's certificate subject."""
    subject = status.signing_cert.subject.native
    return (
        str(subject.get("common_name", "")),
        str(subject.get("organization_name", "")),
        str(subject.get("title", "")),
    )


def trust_roots() -> list[asn1_x509.Certificate]:
    """The configured root certificates, or the development CA when none is configured."""
    configured = [Path(p) for p in settings.MOTCUA_VERIFY_TRUST_ROOTS if p]
    if not configured:
        if not store.is_initialised():
            return []
        configured = [store.ca_credential().cert_path]
    roots: list[asn1_x509.Certificate] = []
    for path in configured:
        roots.extend(_load_certificates(path))
    return roots


def _load_certificates(path: Path) -> list[asn1_x509.Certificate]:
    data = path.read_bytes()
    if b"-----BEGIN CERTIFICATE-----" in data:
        certificates = x509.load_pem_x509_certificates(data)
    else:
        certificates = [x509.load_der_x509_certificate(data)]
    return [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certificates
    ]
