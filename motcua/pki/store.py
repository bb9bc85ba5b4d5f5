"""The signing keys and certificates on disk, under ``settings.MOTCUA_PKI_DIR``.

Layout: ``ca.cert.pem`` and ``ca.key.pem`` (the development root CA), ``agencies/<slug>.*``
(one seal per signing agency) and ``people/user-<id>.*`` (one per leader). Every key is an
ECDSA P-256 key stored as PKCS#8 encrypted with ``settings.MOTCUA_PKI_PASSPHRASE``;
certificates are PEM. Nothing is ever overwritten: an existing pair is kept, so creating
is idempotent and production can drop the province's own certificates in place.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from motcua.org.models import Agency, AgencyKind, Membership, Role

logger = logging.getLogger(__name__)

CA_NAME = "Motcua Development Root CA"
CA_CERT = "ca.cert.pem"
CA_KEY = "ca.key.pem"

# Agencies that issue signed documents: People's Committees and their service centers, land
# registration offices and the province's own agencies. Tax offices sign in their own system.
SIGNING_AGENCY_KINDS = (
    AgencyKind.COMMUNE_PC,
    AgencyKind.COMMUNE_CENTER,
    AgencyKind.LAND_BRANCH,
    AgencyKind.LAND_OFFICE,
    AgencyKind.PROVINCE_PC,
    AgencyKind.PROVINCE_OFFICE,
    AgencyKind.PROVINCE_CENTER,
    AgencyKind.DEPARTMENT,
)

_BACKDATE = timedelta(days=730)


@dataclass(frozen=True)
class Credential:
    """A certificate and its encrypted key on disk."""

    cert_path: Path
    key_path: Path

    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_path.read_bytes())

    def subject_name(self) -> str:
        """The signer's name: the organisation's full name for a seal, else the common name."""
        subject = self.certificate().subject
        if subject.get_attributes_for_oid(NameOID.TITLE):
            oid = NameOID.COMMON_NAME
        else:
            oid = NameOID.ORGANIZATION_NAME
        names = subject.get_attributes_for_oid(oid)
        return str(names[0].value) if names else ""


@dataclass(frozen=True)
class InitSummary:
    ca_created: bool
    agencies_created: int
    agencies_total: int
    people_created: int
    people_total: int


def pki_dir() -> Path:
    return Path(settings.MOTCUA_PKI_DIR)


def passphrase() -> bytes:
    return str(settings.MOTCUA_PKI_PASSPHRASE).encode()


def is_initialised() -> bool:
    """Whether the CA exists: only then are documents signed."""
    root = pki_dir()
    return (root / CA_CERT).is_file() and (root / CA_KEY).is_file()


def ca_credential() -> Credential:
    root = pki_dir()
    return Credential(root / CA_CERT, root / CA_KEY)


def agency_credential(agency: Agency) -> Credential:
    return _pair(pki_dir() / "agencies", agency.slug)


def person_credential(user: Any) -> Credential:
    return _pair(pki_dir() / "people", f"user-{user.pk}")


def ensure_ca() -> tuple[Credential, bool]:
    """The development root CA, created if missing; returns it and whether it was created."""
    credential = ca_credential()
    if _exists(credential):
        return credential, False
    pki_dir().mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Motcua (development)"),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
        ]
    )
    now = datetime.now(tz=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(credential, key, cert)
    logger.info("pki: development CA created")
    return credential, True


def ensure_agency_certificate(agency: Agency) -> tuple[Credential, bool]:
    """The seal certificate of ``agency`` (the organisation's signature), created if missing."""
    credential = agency_credential(agency)
    if _exists(credential):
        return credential, False
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency.name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, agency.code),
            x509.NameAttribute(NameOID.COMMON_NAME, _common_name(agency.name)),
        ]
    )
    _issue(credential, subject)
    logger.debug("pki: seal certificate created for agency %s", agency.pk)
    return credential, True


def ensure_person_certificate(user: Any, agency: Agency) -> tuple[Credential, bool]:
    """The personal signing certificate of an officer signing for ``agency``."""
    credential = person_credential(user)
    if _exists(credential):
        return credential, False
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency.name),
            x509.NameAttribute(NameOID.TITLE, "Lãnh đạo"),
            x509.NameAttribute(NameOID.COMMON_NAME, _common_name(user.full_name or user.username)),
        ]
    )
    _issue(credential, subject)
    logger.debug("pki: personal certificate created for user %s", user.pk)
    return credential, True


def init_pki() -> InitSummary:
    """Create the CA, every signing agency's seal and every leader's certificate; keep what
    already exists."""
    _ca, ca_created = ensure_ca()
    agencies = Agency.objects.filter(kind__in=SIGNING_AGENCY_KINDS).order_by("pk")
    agencies_created = sum(ensure_agency_certificate(agency)[1] for agency in agencies)
    memberships = (
        Membership.objects.filter(role=Role.LEADER)
        .select_related("user", "agency")
        .order_by("user_id", "pk")
    )
    seen: set[int] = set()
    people_created = 0
    for membership in memberships:
        if membership.user_id in seen:
            continue
        seen.add(membership.user_id)
        people_created += ensure_person_certificate(membership.user, membership.agency)[1]
    logger.info(
        "pki: initialised agencies_created=%s people_created=%s", agencies_created, people_created
    )
    return InitSummary(
        ca_created=ca_created,
        agencies_created=agencies_created,
        agencies_total=len(agencies),
        people_created=people_created,
        people_total=len(seen),
    )


def load_key(credential: Credential) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(credential.key_path.read_bytes(), passphrase())
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("pki keys are ECDSA keys")
    return key


def _common_name(name: str) -> str:
    """X.509 limits a common name to 64 bytes; the full name of an agency is its O."""
    return str(name).encode()[:64].decode(errors="ignore").strip()


def _pair(folder: Path, stem: str) -> Credential:
    return Credential(folder / f"{stem}.cert.pem", folder / f"{stem}.key.pem")


def _exists(credential: Credential) -> bool:
    return credential.cert_path.is_file() and credential.key_path.is_file()


def _issue(credential: Credential, subject: x509.Name) -> None:
    ca, _created = ensure_ca()
    ca_key = load_key(ca)
    ca_cert = ca.certificate()
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(tz=UTC)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=365 * 5))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(credential, key, cert)


def _write(credential: Credential, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    """Write key then certificate, each atomically: a pair is complete once the cert exists."""
    credential.key_path.parent.mkdir(parents=True, exist_ok=True)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase()),
    )
    _atomic_write(credential.key_path, key_pem, mode=0o600)
    _atomic_write(credential.cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _atomic_write(path: Path, content: bytes, *, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    tmp.replace(path)
