"""Dossiers filed on the national portal: received once, registered by the same services as
the province's own portal, answered with the dossier code."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.catalog.eform import validate_form_data
from motcua.catalog.selectors import compute_fees, get_current_procedure
from motcua.core import audit, clock
from motcua.core.errors import InvalidInput, InvalidInputs, MotcuaError, NotFound
from motcua.dossiers import routing, services
from motcua.dossiers.models import Dossier
from motcua.exchange import inbox
from motcua.exchange.dvcqg import mapping, outbound
from motcua.exchange.dvcqg.models import PortalFiling
from motcua.exchange.models import InboxMessage, Peer, PeerKind
from motcua.exchange.services import register_peer
from motcua.org.models import SERVICE_CENTER_KINDS, Agency
from motcua.payments import services as payments
from motcua.payments.models import Invoice, InvoiceStatus, PaymentChannel

logger = logging.getLogger(__name__)

FILING_KIND = "dvcqg.filing"
# The development secret, used only when motcua runs in demo mode without MOTCUA_DVCQG_SECRET.
DEMO_SECRET = "dvcqg-development-secret"  # noqa: S105 (demo mode only, see ensure_peer)


def receive_filing(
    *, peer: Peer, message_id: str, payload: mapping.FilingIn
) -> tuple[dict[str, Any], bool]:
    """Register a dossier the national portal filed, once per ``message_id``.

    The message is stored in the inbox before anything else; a duplicate gets the first
    answer (or the first rejection) again. Returns ``(reply, duplicate)``. Raises
    ``InvalidInputs`` naming the request's fields when the dossier breaks a rule; nothing of
    it is then kept but the rejected inbox message.
    """
    return inbox.receive(
        peer=peer,
        message_id=message_id,
        kind=FILING_KIND,
        payload=payload.model_dump(),
        handle=lambda message: _register(message, payload, peer),
    )


def _register(message: InboxMessage, payload: mapping.FilingIn, peer: Peer) -> dict[str, Any]:
    actor = f"peer:{peer.code}"
    filing = mapping.to_filing(payload, message_id=message.message_id)
    known = (
        PortalFiling.objects.filter(message_id=filing.message_id)
        .select_related("dossier__invoice")
        .first()
    )
    if known is not None:
        # Filed before and its inbox row since pruned (``exchange.prune``): the same answer.
        invoice_of_known = getattr(known.dossier, "invoice", None)
        amount = invoice_of_known.amount if invoice_of_known else 0
        return mapping.filed_reply(filing, known.dossier, amount)
    with _wire_field_names():
        center = _center(filing.center, filing.ward)
        # Before anything is written (files included): the fee the schedule gives this form.
        expected = _fees_due(filing, center)
        if expected is not None:
            _check_fees(filing, expected)
        with outbound.filed_on_portal(paid=filing.paid_on_portal):
            dossier = services.submit_online(
                procedure_code=filing.procedure_code,
                center_id=center.pk,
                form_data=filing.form_data,
                uploads=filing.uploads,
                idempotency_key=_idempotency_key(peer, filing.message_id),
            )
        invoice = Invoice.objects.prefetch_related("lines").get(dossier=dossier)
        _check_fees(filing, {line.fee_key: line.amount for line in invoice.lines.all()})
    if filing.paid_on_portal and invoice.status == InvoiceStatus.UNPAID:
        payments.mark_paid(invoice.pk, channel=PaymentChannel.ONLINE, actor=actor)
    PortalFiling.objects.create(
        dossier=dossier,
        message_id=filing.message_id,
        portal_reference=filing.portal_reference,
        paid_on_portal=filing.paid_on_portal,
        received_at=clock.now(),
    )
    audit.record(
        "dvcqg.filing_received",
        dossier,
        actor=actor,
        data={"inbox": message.pk, "paid_on_portal": filing.paid_on_portal},
    )
    logger.info(
        "dvcqg.filing_received inbox=%s dossier=%s paid_on_portal=%s",
        message.pk,
        dossier.pk,
        filing.paid_on_portal,
    )
    return mapping.filed_reply(filing, dossier, invoice.amount)


def _idempotency_key(peer: Peer, message_id: str) -> str:
    """The dossier's own guard against a double registration (64 characters at most)."""
    return f"{peer.code}:" + hashlib.sha256(message_id.encode()).hexdigest()[:40]


def _center(reference: str, ward: int | None) -> Agency:
    """The service center the applicant chose: by its electronic identifier (or slug), or as
    the center of the commune or ward ``ward``."""
    if not reference and ward is None:
        raise InvalidInput(
            _("Cần chọn Trung tâm tiếp nhận (mã định danh) hoặc xã, phường nộp hồ sơ."),
            field="center",
            code="required",
        )
    lookup = Q(code=reference) | Q(slug=reference) if reference else Q(ward_id=ward)
    found = (
        Agency.objects.filter(lookup)
        .filter(kind__in=SERVICE_CENTER_KINDS, province_id=settings.MOTCUA_PROVINCE_CODE)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None and not reference:
        raise InvalidInput(
            _("Xã, phường mã %(ward)s không có Trung tâm tiếp nhận trong tỉnh."),
            field="ward",
            code="unknown_ward",
            ward=ward,
        )
    return routing.get_receiving_center(found if found is not None else reference)


def _fees_due(filing: mapping.Filing, center: Agency) -> dict[str, int] | None:
    """The fee lines the schedule gives the filing's e-form today, or None when the form is
    not valid (registration then reports every error of it)."""
    procedure = get_current_procedure(filing.procedure_code)
    try:
        cleaned = validate_form_data(procedure.form_schema, filing.form_data)
    except InvalidInputs:
        return None
    lines = compute_fees(
        procedure, cleaned, clock.localtime(clock.now()).date(), center.province_id
    )
    return {line.key: line.amount for line in lines}


def _check_fees(filing: mapping.Filing, expected: dict[str, int]) -> None:
    """What the portal declares (and, if paid online, collected) must be the province's fee
    schedule: a dossier is never registered with a fee the schedule does not give."""
    ours = {key: amount for key, amount in expected.items() if amount}
    declared = {key: amount for key, amount in filing.declared_fees.items() if amount}
    if not declared and not filing.paid_on_portal:
        return
    if declared != ours:
        raise InvalidInput(
            _(
                "Phí, lệ phí kê khai (%(declared)s đồng) khác biểu phí của tỉnh cho hồ sơ này "
                "(%(expected)s đồng)."
            ),
            field="fees",
            code="fee_mismatch",
            declared=f"{sum(declared.values()):,}".replace(",", "."),
            expected=f"{sum(ours.values()):,}".replace(",", "."),
        )


@contextmanager
def _wire_field_names() -> Iterator[None]:
    """Errors name the request's fields (``ChuHoSo.HoTen``, ``DuLieuBieuMau.copies``, …);
    an unknown procedure is a bad input here, not a missing page."""
    try:
        yield
    except NotFound as error:
        if error.field is None:
            raise
        raise InvalidInput(
            error.message_template,
            field=mapping.wire_field(error.field),
            code=error.code,
            **error.params,
        ) from error
    except MotcuaError as error:
        for item in error.errors if isinstance(error, InvalidInputs) else [error]:
            item.field = mapping.wire_field(item.field)
        raise


def get_result_file(code: str, file_id: int) -> Any:
    """A result document of the dossier ``code``, for the portal to hand to the applicant."""
    dossier = Dossier.objects.filter(code=code).first()
    record = dossier.files.filter(pk=file_id, kind="result").first() if dossier else None
    if record is None:
        raise NotFound(_("Không tìm thấy kết quả giải quyết."), code="result_not_found")
    return record


def ensure_peer(*, demo: bool) -> Peer | None:
    """Register the national portal as the ``dvcqg`` peer from MOTCUA_DVCQG_URL and
    MOTCUA_DVCQG_SECRET (``motcua setup`` calls this; safe to repeat).

    With MOTCUA_DVCQG_SECRET set, the peer gets that address and secret (a peer that already
    has them is left as it is: an operator may have paused it). Without it, a registered peer
    (e.g. by ``motcua peer add``) is kept; otherwise demo mode registers the development
    secret, and production nothing (None): no status is synchronised until it is set.
    """
    existing = Peer.objects.filter(code=outbound.PEER_CODE).first()
    secret = settings.MOTCUA_DVCQG_SECRET
    if not secret:
        if existing is not None or not demo:
            return existing
        secret = DEMO_SECRET
    url = settings.MOTCUA_DVCQG_URL.rstrip("/")
    if existing is not None and (existing.base_url, existing.secret) == (url, secret):
        return existing
    return register_peer(
        code=outbound.PEER_CODE,
        name="Cổng Dịch vụ công quốc gia",
        kind=PeerKind.PORTAL,
        base_url=url,
        secret=secret,
        actor="setup",
    )
