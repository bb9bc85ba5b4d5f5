"""The two signatures of an official document (Decree 30/2020/NĐ-CP Arts. 5, 13(7), 14).

The competent person signs first, on a document that has no number yet (as on paper, where
the clerk writes the number after the signature). At issue the clerk numbers it and the
organisation's seal signs; the seal's visible stamp is placed in the number slot of the first
page and shows the number, the symbol and the issue date, so the number is covered by the
seal's signature. Both signatures are PAdES incremental updates made with pyHanko and the
keys of ``motcua.pki``; a PKCS#11 token would sign through the same two functions.
"""

from __future__ import annotations

import tempfile
from html import escape
from io import BytesIO
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.stamp import StaticStampStyle

from motcua.core import clock
from motcua.core.errors import Conflict
from motcua.org.models import Agency
from motcua.pki import signing, store
from motcua.pki.signers import person_party, seal_party
from motcua.pki.signing import SigningParty

MM = 72 / 25.4
# A4 with the margins of Decree 30/2020/NĐ-CP Annex I: top 20 mm, left 30 mm. The number
# slot sits in the issuer column of the masthead (see ``eoffice/pdf/document.html``).
PAGE_HEIGHT_MM = 297.0
NUMBER_SLOT_MM = (30.0, 20.0 + 25.0, 78.0, 11.0)  # left, top, width, height from the page edge


class PkiMissing(Conflict):
    code = "pki_missing"
    default_message = _(
        "Chưa có chứng thư số để ký văn bản: quản trị viên cần chạy “motcua pki init”."
    )


def require_pki() -> None:
    """Signing needs the keys of ``motcua pki init``; without them nothing is half-done."""
    if not store.is_initialised():
        raise PkiMissing()


def sign_as_person(pdf: bytes, *, user: Any, agency: Agency, position: str, reason: str) -> bytes:
    """The competent person's visible signature at the foot of the last page."""
    party = person_party(user, agency, position)
    return signing.sign_once(pdf, party, reason=reason, field_name="Signature1", slot=0)


def seal_with_number(pdf: bytes, *, agency: Agency, number_text: str, reason: str) -> bytes:
    """The organisation's seal, its stamp showing the number and the issue date."""
    party: SigningParty = seal_party(agency)
    loaded = signing.load_credential(party.credential)
    now = clock.localtime(clock.now())
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    left, top, width, height = NUMBER_SLOT_MM
    box = (
        round(left * MM),
        round((PAGE_HEIGHT_MM - top - height) * MM),
        round((left + width) * MM),
        round((PAGE_HEIGHT_MM - top) * MM),
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Signature2",
        reason=reason,
        name=loaded.subject_name,
        location="Gia Lai, Việt Nam",
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    local_date = now.strftime("%d/%m/%Y %H:%M ") + now.isoformat()[-6:]
    with tempfile.TemporaryDirectory() as folder:
        stamp = Path(folder) / "so-ky-hieu.pdf"
        stamp.write_bytes(_number_stamp(number_text, local_date))
        pdf_signer = signing._TimedPdfSigner(
            meta,
            signer=loaded.signer,
            stamp_style=StaticStampStyle.from_pdf_file(str(stamp), border_width=0),
            new_field_spec=fields.SigFieldSpec(sig_field_name="Signature2", on_page=0, box=box),
            signing_time=now,
        )
        output = pdf_signer.sign_pdf(writer, bytes_reserved=loaded.bytes_reserved)
    return bytes(output.getbuffer())


def _number_stamp(number_text: str, local_date: str) -> bytes:
    """The seal's appearance: the number and symbol, the issue date, drawn by WeasyPrint in the
    document's own font (pyHanko's text stamps space Vietnamese letters too widely)."""
    import weasyprint

    from motcua.dossiers.pdf import OfflineUrlFetcher

    left, top, width, height = NUMBER_SLOT_MM
    html = (
        f"<style>@page {{ size: {width}mm {height}mm; margin: 0 }}"
        "body { margin: 0; font-family: 'DejaVu Serif', serif; text-align: center }"
        ".n { font-size: 12.5pt } .d { font-size: 8pt; color: #333 }</style>"
        f"<p class=n style='margin:0'>Số: {escape(number_text)}</p>"
        f"<p class=d style='margin:0'>Ngày ban hành: {escape(local_date)}</p>"
    )
    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=OfflineUrlFetcher()).write_pdf()
    return pdf
