"""Registering a dossier: online submission and counter receipt, with its code and files."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from motcua.catalog.eform import validate_form_data
from motcua.catalog.rules import check_rules
from motcua.catalog.selectors import get_current_procedure
from motcua.core import clock, inserts, refcache
from motcua.core.errors import (
    Conflict,
    InvalidInput,
    InvalidInputs,
)
from motcua.core.sequences import next_value
from motcua.dossiers import routing
from motcua.dossiers.models import Dossier, DossierFile, FileKind
from motcua.dossiers.services.lifecycle import APPLICANT, record_event
from motcua.dossiers.states import Channel, State
from motcua.dossiers.uploads import CheckedUpload, Upload, check_upload
from motcua.org.models import Agency
from motcua.payments import services as payments

logger = logging.getLogger(__name__)


def dossier_code(agency: Agency, moment: datetime) -> str:
    """``<receiving agency identifier>-YYMMDD-XXXX`` (Circular 01/2018/TT-VPCP Art. 19), with a
    per-agency per-day sequence in Vietnam time. Call inside the registering transaction."""
    day = clock.localtime(moment).strftime("%y%m%d")
    number = next_value(f"dossier:{agency.code}:{day}")
    return f"{agency.code}-{day}-{number:04d}"


def submit_online(
    *,
    procedure_code: str,
    center_id: int,
    form_data: dict[str, Any],
    uploads: Sequence[Upload] = (),
    idempotency_key: str | None = None,
) -> Dossier:
    """A citizen files a dossier online at any service center of the province (boundaryless).

    Returns the registered dossier (code given, invoice created). A repeated call with the same
    ``idempotency_key`` returns the dossier of the first call and writes nothing.
    """
    if idempotency_key:
        _check_idempotency_key(idempotency_key)
        existing = Dossier.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_applicant(existing, form_data)
    try:
        return register(
            procedure_code=procedure_code,
            center_id=center_id,
            form_data=form_data,
            uploads=uploads,
            channel=Channel.ONLINE,
            idempotency_key=idempotency_key,
            actor=APPLICANT,
        )
    except IntegrityError:
        if idempotency_key:
            existing = Dossier.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _same_applicant(existing, form_data)
        raise


def _same_applicant(existing: Dossier, form_data: dict[str, Any]) -> Dossier:
    """A repeat must come from the same applicant: a reused key never reveals another's dossier."""
    given = str(form_data.get("requester_id_number", "")).strip().replace(" ", "")
    if not hmac.compare_digest(given, existing.applicant_id_number):
        raise Conflict(
            _("Khóa chống nộp trùng đã được dùng cho một hồ sơ khác."),
            field="idempotency_key",
            code="idempotency_key_reused",
        )
    return existing


def _check_idempotency_key(key: str) -> None:
    limit = Dossier._meta.get_field("idempotency_key").max_length or 64
    if len(key) > limit or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            _("Khóa chống nộp trùng phải gồm tối đa %(limit)s ký tự ASCII in được."),
            field="idempotency_key",
            code="idempotency_key",
            limit=limit,
        )


def register(
    *,
    procedure_code: str,
    center_id: int,
    form_data: dict[str, Any],
    uploads: Sequence[Upload],
    channel: int,
    idempotency_key: str | None,
    actor: Any,
) -> Dossier:
    with refcache.one_stamp():  # one version of the catalog and of the units
        procedure = get_current_procedure(procedure_code)
        center = routing.get_receiving_center(center_id)
    # Every error of the form and of the files in one answer (Decree 61/2018 Art. 15(3)).
    errors: list[InvalidInput] = []
    cleaned: dict[str, Any] | None = None
    try:
        cleaned = validate_form_data(procedure.form_schema, form_data)
    except InvalidInputs as error:
        errors.extend(error.errors)
    checked: list[CheckedUpload] = []
    try:
        checked = check_uploads(uploads, procedure)
    except InvalidInputs as error:
        errors.extend(error.errors)
    errors.extend(_missing_required_components(procedure, uploads))
    if cleaned is not None:
        errors.extend(check_rules(procedure, cleaned, (u.component_key for u in uploads)))
    if errors or cleaned is None:
        raise InvalidInputs(errors)
    competent = routing.competent_agency_for(procedure, center, cleaned)
    now = clock.now()
    with transaction.atomic():
        dossier = inserts.insert(
            Dossier(
                code=dossier_code(center, now),
                procedure=procedure,
                receiving_agency=center,
                competent_agency=competent,
                state=State.SUBMITTED,
                channel=channel,
                applicant_name=cleaned.get("requester_name", ""),
                applicant_id_number=cleaned.get("requester_id_number", ""),
                applicant_phone=cleaned.get("requester_phone", ""),
                applicant_email=cleaned.get("requester_email", ""),
                applicant_address=cleaned.get("requester_address", ""),
                summary=_summary(procedure.name_vi, cleaned),
                form_data=cleaned,
                submitted_at=now,
                access_token=secrets.token_urlsafe(24),
                idempotency_key=idempotency_key,
            )
        )
        store_files(dossier, checked, FileKind.ATTACHMENT, now)
        payments.create_invoice(dossier, now=now)
        record_event(dossier, "submit", "", actor, now, data={"channel": channel})
    logger.info(
        "dossier.registered id=%s code=%s center=%s procedure=%s channel=%s",
        dossier.pk, dossier.code, center.pk, procedure.code, channel,
    )  # fmt: skip
    return dossier


def _summary(procedure_name: str, cleaned: dict[str, Any]) -> str:
    subject = cleaned.get("subject_name") or cleaned.get("requester_name", "")
    return f"{procedure_name} – {subject}"[:500]


def check_uploads(uploads: Sequence[Upload], procedure: Any) -> list[CheckedUpload]:
    keys = {document.key for document in procedure.documents.all()}
    errors: list[InvalidInput] = []
    checked: list[CheckedUpload] = []
    for index, upload in enumerate(uploads):
        field = f"files[{index}]"
        if upload.component_key and upload.component_key not in keys:
            errors.append(
                InvalidInput(
                    _("Thành phần hồ sơ không có trong thủ tục."),
                    field=field,
                    code="unknown_component",
                )
            )
            continue
        try:
            checked.append(check_upload(upload, field))
        except InvalidInput as error:
            errors.append(error)
    if errors:
        raise InvalidInputs(errors)
    return checked


def _missing_required_components(procedure: Any, uploads: Sequence[Upload]) -> list[InvalidInput]:
    given = {upload.component_key for upload in uploads}
    return [
        InvalidInput(
            _("Thiếu tệp đính kèm bắt buộc “%(name)s”."),
            field=f"component:{document.key}",
            code="component_required",
            name=document.name,
        )
        for document in procedure.documents.all()
        if document.upload == "required" and document.key not in given
    ]


def store_files(
    dossier: Dossier, files: Sequence[CheckedUpload], kind: str, now: datetime
) -> list[DossierFile]:
    stored = []
    for item in files:
        record = DossierFile(
            dossier=dossier,
            kind=kind,
            component_key=item.component_key,
            original_name=item.name,
            content_type=item.content_type,
            size=len(item.content),
            sha256=item.sha256,
            created_at=now,
        )
        record.file.save(
            f"{uuid.uuid4().hex}.{item.extension}", ContentFile(item.content), save=False
        )
        record.save()
        stored.append(record)
    return stored


def attach_generated(
    dossier: Dossier, kind: str, name: str, content: bytes, now: datetime
) -> DossierFile:
    """Store a document the system produced (receipt slip, result) with the dossier."""
    checked = CheckedUpload(
        name=name,
        content=content,
        component_key="",
        content_type="application/pdf",
        extension="pdf",
        sha256=hashlib.sha256(content).hexdigest(),
    )
    return store_files(dossier, [checked], kind, now)[0]
