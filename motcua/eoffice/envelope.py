"""edXML-shaped envelopes for documents that leave the installation (QCVN 102:2016/BTTTT).

``build_envelope`` writes the header fields of the national document exchange (From, To[],
Code, PromulgationInfo, DocumentType, Subject, Content, SignerInfo, DueDate, ToPlaces,
OtherInfo, ResponseFor, SteeringType, DocumentId, TraceHeaderList with its Bussiness block),
the signed PDF as a base64 attachment, and signs the whole with XML-DSig (signxml, enveloped
signature, ECDSA-SHA256) with the sending agency's seal from ``motcua.pki``. ``parse_envelope``
verifies the signature against the installation's CA and that the certificate belongs to the
organisation named in From, then returns the fields; anything else is refused with
``EnvelopeRejected``. Status messages (received, accepted, rejected, processing, done) are
built, signed and parsed the same way.

The numeric values of BussinessDocType and StatusCode in QCVN 102:2016 have not been seen;
the values below are this installation's and are mapped in one place each.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext_lazy as _
from lxml import etree
from signxml import InvalidInput as SignxmlInvalidInput
from signxml import SignatureMethod, XMLSigner, XMLVerifier
from signxml.exceptions import InvalidSignature

from motcua.core import clock
from motcua.core.errors import MotcuaError
from motcua.org.models import Agency
from motcua.pki import store

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
E = f"{{{NS}}}"
NSMAP = {"edXML": NS}
DSIG = "http://www.w3.org/2000/09/xmldsig#"

# Bussiness/BussinessDocType: what the envelope does to the document.
BUSINESS_TYPES = {"new": 0, "revoke": 1, "update": 2, "replace": 3}
# Status/StatusCode, in the order a recipient moves through them.
STATUS_CODES = {
    "received": "01",
    "accepted": "02",
    "rejected": "03",
    "processing": "04",
    "done": "05",
}
MAX_ENVELOPE_BYTES = 30 * 1024 * 1024


class EnvelopeRejected(MotcuaError):
    """An envelope or status message that cannot be trusted or read; ``field`` names the part."""

    code = "envelope_invalid"
    status = 400
    default_message = _("Gói tin không hợp lệ.")


@dataclass
class Organ:
    organ_id: str
    name: str
    in_charge: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass
class Envelope:
    """The header fields and the attachment of one edXML document message."""

    document_id: str
    sender: Organ
    recipients: list[Organ]
    code_number: int
    code_notation: str
    place: str
    promulgation_date: date
    type_code: int
    type_name: str
    subject: str
    content: str
    signer_competence: str
    signer_position: str
    signer_name: str
    due_date: date | None
    priority: int
    business: str = "new"
    business_reason: str = ""
    replaces_document_id: str = ""
    steering_type: int = 0
    response_for: list[dict[str, str]] = field(default_factory=list)
    attachment_name: str = ""
    attachment: bytes = b""
    trace: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StatusMessage:
    document_id: str
    sender_organ_id: str
    code: str
    sender: Organ
    status: str
    description: str
    timestamp: str
    staff: str = ""


def organ_of(agency: Agency) -> Organ:
    return Organ(organ_id=agency.code, name=agency.name, address=agency.address)


# --- writing ------------------------------------------------------------------------------------


def _sub(parent: etree._Element, name: str, text: Any = None) -> etree._Element:
    element = etree.SubElement(parent, E + name)
    if text is not None:
        element.text = str(text)
    return element


def _organ(parent: etree._Element, name: str, organ: Organ) -> None:
    element = _sub(parent, name)
    _sub(element, "OrganId", organ.organ_id)
    _sub(element, "OrganizationInCharge", organ.in_charge)
    _sub(element, "OrganName", organ.name)
    _sub(element, "OrganAdd", organ.address)
    for tag, value in (("Email", organ.email), ("Telephone", organ.telephone),
                       ("Fax", organ.fax), ("Website", organ.website)):  # fmt: skip
        _sub(element, tag, value)


def build_envelope(envelope: Envelope, *, seal: Agency) -> bytes:
    """The signed XML of ``envelope``, signed with ``seal``'s organisation certificate."""
    root = etree.Element(E + "edXMLEnvelope", nsmap=NSMAP)
    header = _sub(root, "edXMLHeader")
    message = _sub(header, "MessageHeader")
    _organ(message, "From", envelope.sender)
    for organ in envelope.recipients:
        _organ(message, "To", organ)
    code = _sub(message, "Code")
    _sub(code, "CodeNumber", envelope.code_number)
    _sub(code, "CodeNotation", envelope.code_notation)
    promulgation = _sub(message, "PromulgationInfo")
    _sub(promulgation, "Place", envelope.place)
    _sub(promulgation, "PromulgationDate", envelope.promulgation_date.isoformat())
    doc_type = _sub(message, "DocumentType")
    _sub(doc_type, "Type", envelope.type_code)
    _sub(doc_type, "TypeName", envelope.type_name)
    _sub(message, "Subject", envelope.subject)
    _sub(message, "Content", envelope.content)
    signer = _sub(message, "SignerInfo")
    _sub(signer, "Competence", envelope.signer_competence)
    _sub(signer, "Position", envelope.signer_position)
    _sub(signer, "FullName", envelope.signer_name)
    _sub(message, "DueDate", envelope.due_date.isoformat() if envelope.due_date else "")
    places = _sub(message, "ToPlaces")
    for organ in envelope.recipients:
        _sub(places, "Place", organ.name)
    other = _sub(message, "OtherInfo")
    _sub(other, "Priority", envelope.priority)
    for tag in ("SphereOfPromulgation", "TyperNotation"):
        _sub(other, tag, "")
    _sub(other, "PromulgationAmount", 1)
    _sub(other, "PageAmount", 1)
    for link in envelope.response_for:
        response = _sub(message, "ResponseFor")
        for tag in ("OrganId", "Code", "PromulgationDate", "DocumentId"):
            _sub(response, tag, link.get(tag, ""))
    _sub(message, "SteeringType", envelope.steering_type)
    _sub(message, "DocumentId", envelope.document_id)
    _trace(header, envelope)
    body = _sub(root, "edXMLBody")
    if envelope.attachment:
        attachment = _sub(body, "Attachment")
        _sub(attachment, "ContentId", "att1")
        _sub(attachment, "AttachmentName", envelope.attachment_name)
        _sub(attachment, "ContentType", "application/pdf")
        _sub(attachment, "Digest", hashlib.sha256(envelope.attachment).hexdigest())
        _sub(attachment, "Content", base64.b64encode(envelope.attachment).decode())
    return _sign(root, seal)


def _trace(header: etree._Element, envelope: Envelope) -> None:
    traces = _sub(header, "TraceHeaderList")
    hops = envelope.trace or [(envelope.sender.organ_id, clock.now().isoformat())]
    for organ_id, timestamp in hops:
        trace = _sub(traces, "TraceHeader")
        _sub(trace, "OrganId", organ_id)
        _sub(trace, "Timestamp", timestamp)
    business = _sub(traces, "Bussiness")
    _sub(business, "BussinessDocType", BUSINESS_TYPES[envelope.business])
    _sub(business, "BussinessDocReason", envelope.business_reason)
    _sub(business, "DocumentId", envelope.document_id)
    info = _sub(business, "BussinessDocumentInfo")
    receivers = _sub(info, "ReceiverList")
    for organ in envelope.recipients:
        receiver = _sub(receivers, "Receiver")
        _sub(receiver, "OrganId", organ.organ_id)
        _sub(receiver, "ReceiverType", 1)
    replacements = _sub(business, "ReplacementInfoList")
    if envelope.replaces_document_id:
        replacement = _sub(replacements, "ReplacementInfo")
        _sub(replacement, "DocumentId", envelope.replaces_document_id)


def build_status(message: StatusMessage, *, seal: Agency) -> bytes:
    root = etree.Element(E + "Status", nsmap=NSMAP)
    header = _sub(root, "Header")
    response = _sub(header, "ResponseFor")
    _sub(response, "OrganId", message.sender_organ_id)
    _sub(response, "Code", message.code)
    _sub(response, "DocumentId", message.document_id)
    _organ(header, "From", message.sender)
    _sub(header, "StatusCode", STATUS_CODES[message.status])
    _sub(header, "Description", message.description)
    _sub(header, "Timestamp", message.timestamp)
    staff = _sub(header, "StaffInfo")
    _sub(staff, "Staff", message.staff)
    return _sign(root, seal)


def _sign(root: etree._Element, seal: Agency) -> bytes:
    credential, _created = store.ensure_agency_certificate(seal)
    signer = XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256)
    signed = signer.sign(
        root,
        key=store.load_key(credential),
        cert=[credential.certificate(), store.ca_credential().certificate()],
    )
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


# --- reading ------------------------------------------------------------------------------------


def _verify(data: bytes) -> tuple[etree._Element, str]:
    """The verified XML and the OU (organisation code) of the certificate that signed it."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeRejected(_("Gói tin vượt quá dung lượng cho phép."), field="envelope")
    try:
        etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise EnvelopeRejected(
            _("Gói tin không phải XML hợp lệ: %(reason)s"),
            field="envelope",
            code="envelope_syntax",
            reason=str(error)[:200],
        ) from error
    ca_path = str(store.ca_credential().cert_path)
    try:
        result = XMLVerifier().verify(
            data,
            ca_pem_file=ca_path,
            parser=_PARSER,
        )
    except (InvalidSignature, SignxmlInvalidInput, etree.XMLSyntaxError) as error:
        raise EnvelopeRejected(
            _("Chữ ký số XML của gói tin không hợp lệ hoặc nội dung đã bị thay đổi: %(reason)s"),
            field="Signature",
            code="envelope_signature",
            reason=str(error)[:200],
        ) from error
    verified = result if not isinstance(result, list) else result[0]
    # signxml puts the signing certificate first in KeyInfo and has checked its chain to our CA.
    first = verified.signature_xml.find(f".//{{{DSIG}}}X509Certificate")
    cert = x509.load_der_x509_certificate(base64.b64decode(first.text or ""))
    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return verified.signed_xml, str(units[0].value) if units else ""


def _text(element: etree._Element, path: str, *, required: bool = False) -> str:
    found = element.find(path, NSMAP)
    value = (found.text or "").strip() if found is not None else ""
    if required and not value:
        _missing(path.replace("edXML:", ""))
    return value


def _organ_from(element: etree._Element) -> Organ:
    return Organ(
        organ_id=_text(element, "edXML:OrganId", required=True),
        name=_text(element, "edXML:OrganName"),
        in_charge=_text(element, "edXML:OrganizationInCharge"),
        address=_text(element, "edXML:OrganAdd"),
    )


def is_status(data: bytes) -> bool:
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError:
        return False
    return bool(root.tag == E + "Status")


def parse_envelope(data: bytes) -> Envelope:
    """Verify and read a document envelope; raise ``EnvelopeRejected`` naming what is wrong."""
    root, signer_unit = _verify(data)
    message = root.find("edXML:edXMLHeader/edXML:MessageHeader", NSMAP)
    if message is None:
        raise EnvelopeRejected(field="MessageHeader", code="envelope_field")
    sender = _organ_from(_child(message, "From"))
    if sender.organ_id != signer_unit:
        raise EnvelopeRejected(
            _("Chứng thư ký gói tin không thuộc cơ quan gửi %(organ)s."),
            field="From", code="envelope_signer", organ=sender.organ_id,
        )  # fmt: skip
    business = _child(root, "edXMLHeader/edXML:TraceHeaderList/edXML:Bussiness")
    kind = _text(business, "edXML:BussinessDocType", required=True)
    names = {str(v): k for k, v in BUSINESS_TYPES.items()}
    if kind not in names:
        raise EnvelopeRejected(field="BussinessDocType", code="envelope_field")
    attachment = root.find("edXML:edXMLBody/edXML:Attachment", NSMAP)
    content = b""
    name = ""
    if attachment is not None:
        content = base64.b64decode(_text(attachment, "edXML:Content", required=True))
        name = _text(attachment, "edXML:AttachmentName")
        if hashlib.sha256(content).hexdigest() != _text(attachment, "edXML:Digest"):
            raise EnvelopeRejected(field="Attachment", code="envelope_attachment")
    due = _text(message, "edXML:DueDate")
    trace = [
        (_text(t, "edXML:OrganId"), _text(t, "edXML:Timestamp"))
        for t in root.iterfind("edXML:edXMLHeader/edXML:TraceHeaderList/edXML:TraceHeader", NSMAP)
    ]
    try:
        return Envelope(
            document_id=_text(message, "edXML:DocumentId", required=True),
            sender=sender,
            recipients=[_organ_from(e) for e in message.iterfind("edXML:To", NSMAP)],
            code_number=int(_text(message, "edXML:Code/edXML:CodeNumber") or 0),
            code_notation=_text(message, "edXML:Code/edXML:CodeNotation"),
            place=_text(message, "edXML:PromulgationInfo/edXML:Place"),
            promulgation_date=date.fromisoformat(
                _text(message, "edXML:PromulgationInfo/edXML:PromulgationDate", required=True)
            ),
            type_code=int(_text(message, "edXML:DocumentType/edXML:Type") or 0),
            type_name=_text(message, "edXML:DocumentType/edXML:TypeName"),
            subject=_text(message, "edXML:Subject", required=True),
            content=_text(message, "edXML:Content"),
            signer_competence=_text(message, "edXML:SignerInfo/edXML:Competence"),
            signer_position=_text(message, "edXML:SignerInfo/edXML:Position"),
            signer_name=_text(message, "edXML:SignerInfo/edXML:FullName"),
            due_date=date.fromisoformat(due) if due else None,
            priority=int(_text(message, "edXML:OtherInfo/edXML:Priority") or 0),
            business=names[kind],
            business_reason=_text(business, "edXML:BussinessDocReason"),
            replaces_document_id=_text(
                business, "edXML:ReplacementInfoList/edXML:ReplacementInfo/edXML:DocumentId"
            ),
            steering_type=int(_text(message, "edXML:SteeringType") or 0),
            attachment_name=name,
            attachment=content,
            trace=trace,
        )  # fmt: skip
    except ValueError as error:
        raise EnvelopeRejected(field="MessageHeader", code="envelope_field") from error


def parse_status(data: bytes) -> StatusMessage:
    root, signer_unit = _verify(data)
    header = root.find("edXML:Header", NSMAP)
    if header is None:
        raise EnvelopeRejected(field="Header", code="envelope_field")
    sender = _organ_from(_child(header, "From"))
    if sender.organ_id != signer_unit:
        raise EnvelopeRejected(field="From", code="envelope_signer")
    codes = {v: k for k, v in STATUS_CODES.items()}
    code = _text(header, "edXML:StatusCode", required=True)
    if code not in codes:
        raise EnvelopeRejected(field="StatusCode", code="envelope_field")
    return StatusMessage(
        document_id=_text(header, "edXML:ResponseFor/edXML:DocumentId", required=True),
        sender_organ_id=_text(header, "edXML:ResponseFor/edXML:OrganId", required=True),
        code=_text(header, "edXML:ResponseFor/edXML:Code"),
        sender=sender,
        status=codes[code],
        description=_text(header, "edXML:Description"),
        timestamp=_text(header, "edXML:Timestamp"),
        staff=_text(header, "edXML:StaffInfo/edXML:Staff"),
    )


def _child(parent: etree._Element, path: str) -> etree._Element:
    found = parent.find("edXML:" + path, NSMAP)
    if found is None:
        _missing(path.rsplit(":", 1)[-1])
    return found


def _missing(name: str) -> Any:
    raise EnvelopeRejected(
        _("Gói tin thiếu trường bắt buộc %(name)s."), field=name, code="envelope_field", name=name
    )


def now_stamp() -> str:
    moment: datetime = clock.localtime(clock.now())
    return moment.isoformat(timespec="seconds")


# No DTDs, no entities, no network: an envelope is data from another system.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
