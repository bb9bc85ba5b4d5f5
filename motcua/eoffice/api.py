"""API of the electronic office: the same verbs as the pages, for officers' clients (session
or bearer key), and the door through which other systems hand in signed edXML envelopes.

Each endpoint parses, calls one service and answers with a schema; a document outside the
officer's agencies answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from motcua.eoffice import peers, selectors, services
from motcua.eoffice.models import (
    CONTENT_MAX_LENGTH,
    RECIPIENTS_NOTE_MAX_LENGTH,
    Dispatch,
    IncomingEntry,
    OfficialDocument,
)
from motcua.org.api import officer_auth, officer_of

router = Router(tags=["Văn bản"])
LIST_LIMIT = 100


class DispatchOut(Schema):
    peer_code: str
    peer_name: str
    status: str
    status_at: datetime
    status_note: str


class DocumentOut(Schema):
    id: int
    document_id: str
    issuer_code: str
    issuer_name: str
    doc_type: str
    number: int | None
    number_text: str
    symbol: str
    summary: str
    state: str
    issued_at: datetime | None
    due_date: date | None
    pdf_sha256: str


class DocumentDetailOut(DocumentOut):
    content: str
    signer_competence: str
    signer_position: str
    signer_name: str
    urgency: str
    secrecy: str
    actions: list[str]
    recipients: list[DispatchOut]


class EntryOut(Schema):
    id: int
    agency_code: str
    number: int | None
    arrived_at: datetime
    status: str
    handler_id: int | None
    due_at: datetime | None
    document: DocumentOut


# The same limits as the compose form (motcua.eoffice.forms.DraftForm).
class DraftIn(Schema):
    issuer_id: int
    doc_type: str = Field(max_length=40)
    summary: str = Field(max_length=500)
    content: str = Field(max_length=CONTENT_MAX_LENGTH)
    signer_position: str = Field(max_length=100)
    signer_competence: str = Field("", max_length=20)
    signer_name: str = Field("", max_length=150)
    drafting_unit: str = Field("", max_length=20)
    recipient_ids: list[int] = Field([], max_length=200)
    recipients_note: str = Field("", max_length=RECIPIENTS_NOTE_MAX_LENGTH)
    urgency: str = "thuong"
    secrecy: str = "thuong"
    due_date: date | None = None
    replaces_id: int | None = None


class ReasonIn(Schema):
    reason: str


class UpdateIn(Schema):
    due_date: date | None = None
    note: str


class AssignIn(Schema):
    handler_id: int
    days: int


class NoteIn(Schema):
    note: str = ""


class PeerIn(Schema):
    peer_code: str
    peer_name: str = ""


def _entry_out(entry: IncomingEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "agency_code": entry.agency.code,
        "number": entry.number,
        "arrived_at": entry.arrived_at,
        "status": entry.dispatch.status,
        "handler_id": entry.handler_id,
        "due_at": entry.due_at,
        "document": entry.dispatch.document,
    }


def _detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = officer_of(request)
    document = selectors.get_document(user, pk)
    recipients: QuerySet[Dispatch] = document.dispatches.order_by("pk")
    return {
        **{f: getattr(document, f) for f in DocumentDetailOut.model_fields if f not in
           ("actions", "recipients", "id")},
        "id": document.pk,
        "actions": selectors.document_actions(user, document),
        "recipients": list(recipients),
    }  # fmt: skip


@router.get("/documents", response=list[DocumentOut], auth=officer_auth, url_name="documents")
def list_documents(
    request: HttpRequest, tab: Literal["drafts", "pending", "issued"] = "drafts", q: str = ""
) -> list[OfficialDocument]:
    """Outgoing documents of the officer's agencies (newest first, at most 100)."""
    return list(selectors.list_outgoing(officer_of(request), tab, q[:200])[:LIST_LIMIT])


@router.post("/documents", response={201: DocumentDetailOut}, auth=officer_auth,
             url_name="document-compose")  # fmt: skip
def compose(request: HttpRequest, payload: DraftIn) -> Status[dict[str, Any]]:
    """A new draft (dự thảo); every field that breaks a rule is named in the 422 answer."""
    document = services.compose_document(
        services.Draft(**payload.dict()), actor=officer_of(request)
    )
    return Status(201, _detail(request, document.pk))


@router.get("/documents/{pk}", response=DocumentDetailOut, auth=officer_auth,
            url_name="document")  # fmt: skip
def get_document(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _detail(request, pk)


_SIMPLE: dict[str, Callable[..., Any]] = {
    "submit": services.submit_for_review,
    "approve": services.approve_document,
    "sign": services.sign_document,
    "issue": services.issue_document,
    "dispatch": services.dispatch_document,
}


@router.post("/documents/{pk}/reasoned/{action}", response=DocumentDetailOut,
             auth=officer_auth, url_name="document-act-reason")  # fmt: skip
def act_with_reason(
    request: HttpRequest, pk: int, action: Literal["send_back", "revoke"], payload: ReasonIn
) -> dict[str, Any]:
    """Send back a draft (leader) or revoke an issued document (leader or clerk)."""
    service = services.send_back if action == "send_back" else services.revoke_document
    service(pk, actor=officer_of(request), reason=payload.reason)
    return _detail(request, pk)


@router.post("/documents/{pk}/update", response=DocumentDetailOut, auth=officer_auth,
             url_name="document-update")  # fmt: skip
def update(request: HttpRequest, pk: int, payload: UpdateIn) -> dict[str, Any]:
    services.update_document(
        pk, actor=officer_of(request), due_date=payload.due_date, note=payload.note
    )
    return _detail(request, pk)


@router.post("/documents/{pk}/send-to-peer", response=DispatchOut, auth=officer_auth,
             url_name="document-send-to-peer")  # fmt: skip
def send_to_peer(request: HttpRequest, pk: int, payload: PeerIn) -> Dispatch:
    """Send an issued document to an agency of another system as a signed edXML envelope."""
    return peers.send_to_peer(
        pk, actor=officer_of(request), peer_code=payload.peer_code, peer_name=payload.peer_name
    )


@router.get("/incoming", response=list[EntryOut], auth=officer_auth, url_name="incoming")
def list_incoming(
    request: HttpRequest,
    tab: Literal["new", "registered", "mine", "closed"] = "new",
    q: str = "",
) -> list[dict[str, Any]]:
    """The incoming register of the officer's agencies (newest first, at most 100)."""
    entries = selectors.list_incoming(officer_of(request), tab, q[:200])[:LIST_LIMIT]
    return [_entry_out(entry) for entry in entries]


_ENTRY: dict[str, Callable[..., IncomingEntry]] = {
    "register": services.register_incoming,
    "start": services.start_handling,
}


def _entry_result(pk: int) -> dict[str, Any]:
    entry = IncomingEntry.objects.select_related("agency", "dispatch__document").get(pk=pk)
    return _entry_out(entry)


@router.post("/incoming/{pk}/assign", response=EntryOut, auth=officer_auth,
             url_name="incoming-assign")  # fmt: skip
def assign(request: HttpRequest, pk: int, payload: AssignIn) -> dict[str, Any]:
    services.assign_handler(
        pk, actor=officer_of(request), handler_id=payload.handler_id, days=payload.days
    )
    return _entry_result(pk)


@router.post("/incoming/{pk}/reject", response=EntryOut, auth=officer_auth,
             url_name="incoming-reject")  # fmt: skip
def reject(request: HttpRequest, pk: int, payload: ReasonIn) -> dict[str, Any]:
    services.reject_incoming(pk, actor=officer_of(request), reason=payload.reason)
    return _entry_result(pk)


@router.post("/incoming/{pk}/complete", response=EntryOut, auth=officer_auth,
             url_name="incoming-complete")  # fmt: skip
def complete(request: HttpRequest, pk: int, payload: NoteIn) -> dict[str, Any]:
    services.complete_handling(pk, actor=officer_of(request), note=payload.note)
    return _entry_result(pk)


# Generic action routes come after the named ones, which they would otherwise shadow.


@router.post("/documents/{pk}/{action}", response=DocumentDetailOut, auth=officer_auth,
             url_name="document-act")  # fmt: skip
def act(
    request: HttpRequest,
    pk: int,
    action: Literal["submit", "approve", "sign", "issue", "dispatch"],
) -> dict[str, Any]:
    """Submit for review (drafter), approve or sign (leader), issue or dispatch (clerk)."""
    _SIMPLE[action](pk, actor=officer_of(request))
    return _detail(request, pk)


@router.post("/incoming/{pk}/{action}", response=EntryOut, auth=officer_auth,
             url_name="incoming-act")  # fmt: skip
def entry_act(
    request: HttpRequest, pk: int, action: Literal["register", "start"]
) -> dict[str, Any]:
    """Register an arrived document (clerk) or start handling it (its handler)."""
    _ENTRY[action](pk, actor=officer_of(request))
    return _entry_result(pk)


@router.post("/edxml", url_name="edxml-receive", openapi_extra={
    "requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}},
                    "required": True},
})  # fmt: skip
def receive_envelope(request: HttpRequest) -> HttpResponse:
    """An edXML envelope or status message from another system. It is trusted for its
    XML-DSig signature (checked against this installation's CA and the sender's code), not for
    the caller: a bad one answers 400 ``envelope_*``. Answers the signed acknowledgement; the
    same envelope sent again gets the same acknowledgement and registers nothing."""
    acknowledgement = peers.receive(request.body)
    return HttpResponse(acknowledgement, content_type="application/xml", status=200)
