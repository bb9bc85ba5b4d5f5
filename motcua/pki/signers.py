"""Signers for the dossier documents, or ``None`` while the PKI is not initialised.

Results carry two signatures (the approving leader, then the competent agency's seal; Decree
30/2020/NĐ-CP Art. 5); the receipt slip carries the receiving center's seal only.
"""

from __future__ import annotations

import logging
from typing import Any

from motcua.org.models import Agency
from motcua.pki import store
from motcua.pki.signing import PdfSigner, ServerKeySigner, SigningParty

logger = logging.getLogger(__name__)

_warned = False


def _available() -> bool:
    global _warned  # noqa: PLW0603 (warn once per process)
    if store.is_initialised():
        return True
    if not _warned:
        _warned = True
        logger.warning("pki: not initialised (run motcua pki init); documents are unsigned")
    return False


def seal_party(agency: Agency) -> SigningParty:
    credential, _created = store.ensure_agency_certificate(agency)
    return SigningParty(credential=credential, position=agency.name)


def person_party(user: Any, agency: Agency, position: str) -> SigningParty:
    credential, _created = store.ensure_person_certificate(user, agency)
    return SigningParty(credential=credential, position=f"{position}, {agency.name}")


def seal_signer(agency: Agency) -> PdfSigner | None:
    """The agency's seal alone (a receipt slip), or ``None`` without a PKI."""
    if not _available():
        return None
    return ServerKeySigner(None, seal_party(agency))


def leader_and_seal_signer(user: Any, agency: Agency, *, position: str) -> PdfSigner | None:
    """The leader's signature then the agency's seal, or ``None`` without a PKI.

    Without a user (no leader recorded) only the seal signs.
    """
    if not _available():
        return None
    person = person_party(user, agency, position) if user is not None else None
    return ServerKeySigner(person, seal_party(agency))
