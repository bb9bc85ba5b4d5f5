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

Signing runs several times for every dossier, so what does not change between signatures is
prepared once per process: the decrypted key and certificates of each signer (loaded again when
a key or certificate file changes) and the stamp font, cut down to the letters Vietnamese text
uses (fontTools would otherwise parse all of DejaVu Sans for every stamp, about 150 ms). The
subset of that font a stamp embeds is kept too, by glyphs: every stamp carries all the digits,
so one signer's stamps embed the same subset, made once (about 10 ms a signature).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory
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
# What the stamp font keeps of DejaVu Sans: ASCII, Latin-1 and Latin Extended-A/B (ơ, ư, đ),
# the precomposed Vietnamese letters (stamp texts are NFC), general punctuation (the dash of
# STAMP_TEXT) and the đồng sign. Text with any other character is stamped in the whole font.
STAMP_REPERTOIRE = (
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x1EA0, 0x1EF9),
    (0x2010, 0x2027),
    (0x20AB, 0x20AB),
)


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
    loaded = load_credential(party.credential)
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    page = -1
    box = _stamp_box(writer.prev, slot)
    now = clock.localtime(clock.now())
    signer_name = loaded.subject_name
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        name=signer_name,
        location="Gia Lai, Việt Nam",
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    texts = {
        name: unicodedata.normalize("NFC", text)
        for name, text in (
            ("signer", signer_name),
            ("position", party.position),
            ("local_time", now.strftime("%d/%m/%Y %H:%M:%S ") + now.isoformat()[-6:]),
            ("reason", reason),
        )
    }
    style, shown = _stamp_style(texts.values())
    pdf_signer = _TimedPdfSigner(
        meta,
        signer=loaded.signer,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=box),
        signing_time=now,
    )
    output = pdf_signer.sign_pdf(
        writer,
        bytes_reserved=loaded.bytes_reserved,
        appearance_text_params={name: shown(text) for name, text in texts.items()},
    )
    return bytes(output.getbuffer())


@dataclass(frozen=True)
class LoadedCredential:
    """A credential ready to sign: pyHanko's signer (decrypted key, certificate and CA) and the
    name the stamp prints."""

    signer: signers.SimpleSigner
    subject_name: str
    bytes_reserved: int


def load_credential(credential: store.Credential) -> LoadedCredential:
    """The credential's signer, loaded from disk once per process and again whenever its key,
    its certificate, the CA certificate or the passphrase change (a certificate replaced in
    place is used from the next signature on)."""
    ca = store.ca_credential()
    return _load_credential(
        _file_version(credential.cert_path),
        _file_version(credential.key_path),
        _file_version(ca.cert_path),
        hashlib.sha256(store.passphrase()).hexdigest(),
    )


_FileVersion = tuple[str, int, int, int]


def _file_version(path: Path) -> _FileVersion:
    stat = os.stat(path)
    return (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=2048)
def _load_credential(
    cert: _FileVersion, key: _FileVersion, ca_cert: _FileVersion, passphrase_digest: str
) -> LoadedCredential:
    credential = store.Credential(Path(cert[0]), Path(key[0]))
    signer = _simple_signer(credential, Path(ca_cert[0]))
    logger.debug("pki: signer loaded from %s", credential.cert_path.name)
    return LoadedCredential(
        signer=signer,
        subject_name=credential.subject_name(),
        bytes_reserved=_signature_room(signer),
    )


def _signature_room(signer: signers.SimpleSigner) -> int:
    """Hex digits to reserve for the CMS container: both certificates plus 2 kB for the rest
    (signed attributes, algorithms, the ECDSA value: about 1.1 kB), about what pyHanko's own
    estimate gives. Given up front, it spares pyHanko a trial signature per signature."""
    certificates = sum(len(cert.dump()) for cert in signer.cert_registry)
    return 2 * (certificates + 2048)


def _stamp_style(texts: Iterable[str]) -> tuple[TextStampStyle, Callable[[str], str]]:
    """The stamp in DejaVu Sans when pyHanko's OpenType support is installed; otherwise in a
    standard PDF font, which has no Vietnamese letters, so the text loses its diacritics."""
    try:
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulator  # noqa: F401
    except ImportError:
        style = TextStampStyle(
            stamp_text=_ascii(STAMP_TEXT),
            text_box_style=TextBoxStyle(font_size=STAMP_FONT_SIZE),
            border_width=1,
        )
        return style, _ascii
    # The factory shapes text at its own size: it must match the text box's, or the advances
    # are those of a larger font and the letters drift apart.
    used = {ord(c) for text in (STAMP_TEXT, *texts) for c in text if c != "\n"}
    cut = _stamp_font_subset() if used <= _repertoire() else _whole_stamp_font()
    font = _InMemoryFontFactory(cut, font_size=STAMP_FONT_SIZE)
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


@functools.cache
def _repertoire() -> frozenset[int]:
    return frozenset(c for low, high in STAMP_REPERTOIRE for c in range(low, high + 1))


@functools.cache
def _stamp_font_subset() -> bytes:
    """DejaVu Sans cut down to STAMP_REPERTOIRE, without hinting and without the OpenType
    layout tables: fontTools reads those whole before every subset even though the embedded
    subset drops them, and precomposed letters need no mark positioning. The stamp loses
    kerning only. Scaled to 1000 units per em, the unit of PDF glyph widths."""
    from fontTools import subset, ttLib

    options = subset.Options()
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.layout_features = []
    options.drop_tables += ["GDEF", "GPOS", "GSUB", "FFTM"]
    font = ttLib.TTFont(str(STAMP_FONT))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(_repertoire()))
    subsetter.subset(font)
    return _per_mille(font)


@functools.cache
def _whole_stamp_font() -> bytes:
    """All of DejaVu Sans, for a stamp with a character outside STAMP_REPERTOIRE (slower: the
    scaling once, about a second, then a full parse for every such stamp)."""
    from fontTools import ttLib

    return _per_mille(ttLib.TTFont(str(STAMP_FONT)))


def _per_mille(font: Any) -> bytes:
    """The font at 1000 units per em, saved. pyHanko writes the glyph widths (/W) in font units
    where PDF reads thousandths of an em: at DejaVu's 2048 units per em every letter of the
    stamp stood twice as wide as it is drawn and the line ran out of its box."""
    from fontTools.ttLib.scaleUpem import scale_upem

    scale_upem(font, 1000)
    out = BytesIO()
    font.save(out)
    logger.debug("pki: stamp font prepared glyphs=%s bytes=%s", len(font.getGlyphOrder()),
                 out.tell())  # fmt: skip
    return out.getvalue()


class _InMemoryFontFactory(FontEngineFactory):
    """pyHanko's glyph accumulator over a font held in memory (each stamp subsets its own copy,
    since subsetting changes the font it works on)."""

    def __init__(self, font: bytes, *, font_size: int) -> None:
        self.font = font
        self.font_size = font_size

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> FontEngine:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        engine = _stamp_font_engine_class()(
            self.font,
            writer=writer,
            font_handle=BytesIO(self.font),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )
        # Every digit and the signs of a date and time, whatever this stamp's time shows: the
        # stamps of one signer then use one set of glyphs, and one embedded subset.
        engine.shape(STAMP_TIME_CHARACTERS)
        return engine


STAMP_TIME_CHARACTERS = "0123456789/:+- "
# Embedded subsets kept, by font and glyphs: a few per signer; the bound only guards memory.
_FONT_PROGRAMS_KEPT = 256
_font_programs: dict[tuple[bytes, frozenset[int]], bytes] = {}


@functools.cache
def _stamp_font_engine_class() -> Callable[..., FontEngine]:
    """The engine class, made once: pyHanko's OpenType support is imported only when used."""
    from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator

    class StampFontEngine(GlyphAccumulator):
        """pyHanko's glyph accumulator that embeds the subset of the same font and glyphs made
        for an earlier stamp: subsetting and saving the font was a third of a signature's CPU.
        The bytes embedded are the very ones pyHanko's own subsetting gives."""

        def __init__(self, font: bytes, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._font = font

        def _extract_subset(self, options: Any = None) -> None:
            if not isinstance(self.cidfont_obj, CIDFontType2):
                super()._extract_subset(options)
                return
            key = (self._font, frozenset(self._glyphs))
            program = _font_programs.get(key)
            if program is None:
                super()._extract_subset(options)
                saved = BytesIO()
                self.tt.save(saved)
                program = saved.getvalue()
                if len(_font_programs) >= _FONT_PROGRAMS_KEPT:
                    _font_programs.clear()
                _font_programs[key] = program
            cidfont = self.cidfont_obj
            # The method pyHanko calls to embed the font program, for this font object only.
            embed = functools.partial(_embed_font_program, cidfont, program)
            cidfont.set_font_file = embed  # type: ignore[method-assign]

    return StampFontEngine


def _embed_font_program(cidfont: Any, program: bytes, writer: Any) -> Any:
    """What pyHanko's ``CIDFontType2.set_font_file`` does, with the font program given."""
    from pyhanko.pdf_utils import generic

    stream = generic.StreamObject(stream_data=program)
    stream.compress()
    reference = writer.add_object(stream)
    cidfont["/FontDescriptor"]["/FontFile2"] = reference
    return reference


def _simple_signer(credential: store.Credential, ca_cert_path: Path) -> signers.SimpleSigner:
    key = store.load_key(credential)
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert = asn1_x509.Certificate.load(
        credential.certificate().public_bytes(serialization.Encoding.DER)
    )
    ca_pem = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    ca_cert = asn1_x509.Certificate.load(ca_pem.public_bytes(serialization.Encoding.DER))
    return signers.SimpleSigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([ca_cert, cert]),
    )
