"""PAdES signatures on PDF documents with pyHanko.

:class:`PdfSigner` is the narrow interface the document renderers call
(``motcua.dossiers.pdf.PdfSigner``): bytes in, signed bytes out. :class:`ServerKeySigner`
signs with keys kept encrypted on this server; a PKCS#11 token or a remote signing service
would be another class with the same ``sign`` method.

Each signature is a separate incremental update (PAdES B-B, ``ETSI.CAdES.detached``), so an
earlier signature stays valid when a later one is added: the leader signs first, then the
organisation's seal (Decree 30/2020/NĐ-CP Art. 5). Every signature carries a visible stamp
at the foot of the last page with the signer, position or organisation and the signing time
in Vietnam time (+07:00).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from motcua.core import clock
from motcua.pki import store

logger = logging.getLogger(__name__)

STAMP_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# Two short lines per stamp; the position and the reason are in the signature itself.
STAMP_TEXT = "Ký bởi: %(signer)s — %(position)s\nThời gian ký: %(local_time)s"
STAMP_HEIGHT = 24.0
STAMP_FONT_SIZE = 6
STAMP_MARGIN = 24.0


class PdfSigner(Protocol):
    """Signs a finished PDF and returns the signed bytes (an incremental update, PAdES)."""

    def sign(self, pdf: bytes, *, reason: str) -> bytes: ...


@dataclass(frozen=True)
class SigningParty:
    """Who signs: a certificate with its key, and the position printed under the name."""

    credential: store.Credential
    position: str


class _TimedPdfSigner(signers.PdfSigner):
    """pyHanko's signer with the signing time taken from our clock, in Vietnam time."""

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


class ServerKeySigner:
    """Signs with server-held keys: first ``person`` (if any), then ``organisation``'s seal."""

    def __init__(self, person: SigningParty | None, organisation: SigningParty) -> None:
        self.person = person
        self.organisation = organisation

    def sign(self, pdf: bytes, *, reason: str) -> bytes:
        parties = [p for p in (self.person, self.organisation) if p is not None]
        for index, party in enumerate(parties):
            slot = index if len(parties) > 1 else 1
            pdf = sign_once(
                pdf, party, reason=reason, field_name=f"Signature{index + 1}", slot=slot
            )
        return pdf


def sign_once(pdf: bytes, party: SigningParty, *, reason: str, field_name: str, slot: int) -> bytes:
    """Add one visible PAdES signature as an incremental update.

    ``slot`` 0 puts the stamp at the bottom left of the last page, 1 at the bottom right.
    """
    signer = _simple_signer(party.credential)
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    page = -1
    box = _stamp_box(writer.prev, slot)
    now = clock.localtime(clock.now())
    signer_name = party.credential.subject_name()
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        name=signer_name,
        location="Gia Lai, Việt Nam",
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    style, shown = _stamp_style()
    pdf_signer = _TimedPdfSigner(
        meta,
        signer=signer,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=box),
        signing_time=now,
    )
    output = pdf_signer.sign_pdf(
        writer,
        appearance_text_params={
            "signer": shown(signer_name),
            "position": shown(party.position),
            "local_time": now.strftime("%d/%m/%Y %H:%M:%S ") + now.isoformat()[-6:],
            "reason": shown(reason),
        },
    )
    return bytes(output.getbuffer())


def _stamp_style() -> tuple[TextStampStyle, Callable[[str], str]]:
    """The stamp in DejaVu Sans when pyHanko's OpenType support is installed; otherwise in a
    standard PDF font, which has no Vietnamese letters, so the text loses its diacritics."""
    try:
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    except ImportError:
        style = TextStampStyle(
            stamp_text=_ascii(STAMP_TEXT),
            text_box_style=TextBoxStyle(font_size=STAMP_FONT_SIZE),
            border_width=1,
        )
        return style, _ascii
    # The factory shapes text at its own size: it must match the text box's, or the advances
    # are those of a larger font and the letters drift apart.
    font = GlyphAccumulatorFactory(str(STAMP_FONT), font_size=STAMP_FONT_SIZE)
    style = TextStampStyle(
        stamp_text=STAMP_TEXT,
        text_box_style=TextBoxStyle(font=font, font_size=STAMP_FONT_SIZE),
        border_width=1,
    )
    return style, str


def _ascii(text: str) -> str:
    folded = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", folded)
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .encode("ascii", "replace")
        .decode()
    )


def _stamp_box(reader: PdfFileReader, slot: int) -> tuple[int, int, int, int]:
    """Full-width stamps at the foot of the last page, the second above the first."""
    page = reader.root["/Pages"]
    pages = int(page["/Count"])
    last = reader.find_page_for_modification(pages - 1)[0].get_object()
    media = last.get("/MediaBox") or page.get("/MediaBox")
    x0, _y0, x1, _y1 = (float(v) for v in media)
    bottom = 34.0 + slot * (STAMP_HEIGHT + 4)
    return (
        round(x0 + STAMP_MARGIN),
        round(bottom),
        round(x1 - STAMP_MARGIN),
        round(bottom + STAMP_HEIGHT),
    )


def _simple_signer(credential: store.Credential) -> signers.SimpleSigner:
    key = store.load_key(credential)
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert = asn1_x509.Certificate.load(
        credential.certificate().public_bytes(serialization.Encoding.DER)
    )
    ca_cert = asn1_x509.Certificate.load(
        store.ca_credential().certificate().public_bytes(serialization.Encoding.DER)
    )
    return signers.SimpleSigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([ca_cert, cert]),
    )
