"""The national portal's way in: it files dossiers and downloads their results.

Requests are signed as the ``dvcqg`` peer (headers ``X-Motcua-Peer``, ``X-Motcua-Message-Id``,
``X-Motcua-Signature``; see ``motcua.exchange.transport``). Each endpoint parses, calls one
service of ``motcua.exchange.dvcqg.services`` and answers.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status
from ninja.security import APIKeyHeader

from motcua.exchange import inbox
from motcua.exchange.dvcqg import mapping, services
from motcua.exchange.dvcqg.outbound import PEER_CODE
from motcua.exchange.models import Peer
from motcua.exchange.transport import PEER_HEADER, SIGNATURE_HEADER

router = Router(tags=["Cổng DVCQG"])


class PortalSignature(APIKeyHeader):
    """HMAC-SHA256 of the message id, a newline and the body, under the portal's secret."""

    param_name = SIGNATURE_HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> Peer:
        peer = inbox.authenticate_peer(request)
        if peer.code != PEER_CODE:
            raise inbox.PeerUnauthenticated(
                _("Chỉ Cổng Dịch vụ công quốc gia được gọi địa chỉ này."),
                field=PEER_HEADER,
                code="peer_not_allowed",
            )
        return peer


portal_auth = PortalSignature()


@router.post(
    "/dvcqg/dossiers",
    auth=portal_auth,
    response={200: mapping.FiledOut, 201: mapping.FiledOut},
    url_name="dvcqg-filing",
)
def file_dossier(request: HttpRequest, payload: mapping.FilingIn) -> Status[dict[str, object]]:
    """A dossier filed on the national portal: registered at the chosen service center,
    answered with its dossier code (201). The same message id again answers the same code
    (200) and creates nothing; a rejected filing is rejected again in the same words."""
    peer = getattr(request, "auth", None)
    assert isinstance(peer, Peer)  # noqa: S101 (portal_auth sets it)
    reply, duplicate = services.receive_filing(
        peer=peer, message_id=inbox.message_id_of(request), payload=payload
    )
    return Status(200 if duplicate else 201, reply)


@router.get(
    "/dvcqg/dossiers/{code}/results/{file_id}",
    auth=portal_auth,
    url_name="dvcqg-result-file",
)
def result_file(request: HttpRequest, code: str, file_id: int) -> FileResponse:
    """A signed result document of a dossier (the links of ``DanhSachGiayToKetQua``)."""
    record = services.get_result_file(code, file_id)
    return FileResponse(
        record.file.open("rb"),
        content_type=record.content_type,
        as_attachment=True,
        filename=record.original_name,
    )
