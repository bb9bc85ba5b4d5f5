"""Retention of personal data and the data subject's copy (Decree 13/2023/NĐ-CP).

Retention (``retention_table``): the personal data of a closed dossier are kept for the years
its record type allows after the dossier closed, then anonymised: the applicant's name, ID
number, phone, e-mail and address, the e-form and the summary are cleared, and the files the
applicant uploaded and the forms printed with their name are deleted. What the province must
keep about the case (code, procedure, units, dates, state, fee and receipt, history, the signed
result) stays. Sign-in throttle rows go after a day. Audit entries are never purged (the chain
must stay verifiable).

The subject's copy (``subject_copy``): every dossier filed under an ID number, with its e-form,
files (names and fingerprints), history and fee, as one JSON-ready dict; the request is kept
(hashed subject, purpose, who handled it) and audited.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from motcua.accounts.models import LoginThrottle
from motcua.core import audit, clock
from motcua.dossiers.models import Dossier, DossierFile, FileKind
from motcua.org.idnumbers import validate_id_number
from motcua.org.models import Agency
from motcua.privacy.models import Anonymisation, SubjectRequest

logger = logging.getLogger(__name__)

ANONYMISED_NAME = "[đã ẩn danh]"
DOSSIER = "dossier"
LAND_DOSSIER = "land_dossier"
LOGIN_THROTTLE = "login_throttle"
# Files kept after anonymisation: the signed result is the province's record of the decision.
KEPT_FILE_KINDS = {FileKind.RESULT}


@dataclass(frozen=True)
class Retention:
    record_type: str
    description: str
    period: timedelta | int  # an int is a number of years
    action: str


def retention_table() -> list[Retention]:
    """The retention period of each record type, as the settings set it."""
    return [
        Retention(
            DOSSIER,
            "closed dossier (not land): applicant, e-form, uploads, printed forms",
            settings.MOTCUA_RETENTION_DOSSIER_YEARS,
            "anonymise",
        ),
        Retention(
            LAND_DOSSIER,
            "closed land dossier: applicant, e-form, uploads, printed forms",
            settings.MOTCUA_RETENTION_LAND_DOSSIER_YEARS,
            "anonymise",
        ),
        Retention(
            LOGIN_THROTTLE,
            "failed sign-in counters (hashed username and address)",
            timedelta(days=1),
            "delete",
        ),
    ]


def years_before(moment: datetime, years: int) -> datetime:
    """The same calendar moment ``years`` earlier (29 February → 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def expired_dossiers(record_type: str, now: datetime) -> QuerySet[Dossier]:
    """Closed dossiers of ``record_type`` past retention, not anonymised yet."""
    land = record_type == LAND_DOSSIER
    years = (
        settings.MOTCUA_RETENTION_LAND_DOSSIER_YEARS
        if land
        else settings.MOTCUA_RETENTION_DOSSIER_YEARS
    )
    dossiers = Dossier.objects.filter(
        closed_at__isnull=False,
        closed_at__lte=years_before(now, years),
        anonymisation__isnull=True,
    )
    if land:
        return dossiers.exclude(procedure__parcel_field="").order_by("closed_at", "pk")
    return dossiers.filter(procedure__parcel_field="").order_by("closed_at", "pk")


@dataclass
class PurgeSummary:
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    files_removed: int = 0


def purge(*, actor: Any, dry_run: bool = False, now: datetime | None = None) -> PurgeSummary:
    """Anonymise dossiers past retention and delete expired throttle rows.

    With ``dry_run`` nothing changes: the summary counts what would go. Each dossier is
    anonymised in its own transaction (an interrupted run keeps what it finished; a repeated
    run does the rest).
    """
    now = now or clock.now()
    summary = PurgeSummary(dry_run=dry_run)
    for record_type in (DOSSIER, LAND_DOSSIER):
        ids = list(expired_dossiers(record_type, now).values_list("pk", flat=True))
        summary.counts[record_type] = len(ids)
        if not dry_run:
            for dossier_id in ids:
                summary.files_removed += anonymise(dossier_id, record_type, actor=actor, now=now)
    throttles = LoginThrottle.objects.filter(last_failure_at__lt=now - timedelta(days=1))
    summary.counts[LOGIN_THROTTLE] = throttles.count()
    if not dry_run:
        throttles.delete()
    logger.info(
        "privacy.purge dry_run=%s dossiers=%s land_dossiers=%s throttles=%s files=%s",
        dry_run,
        summary.counts[DOSSIER],
        summary.counts[LAND_DOSSIER],
        summary.counts[LOGIN_THROTTLE],
        summary.files_removed,
    )
    return summary


def anonymise(dossier_id: int, record_type: str, *, actor: Any, now: datetime) -> int:
    """Clear one closed dossier's personal data; returns how many files were removed."""
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure")
            .get(pk=dossier_id)
        )
        if dossier.closed_at is None or Anonymisation.objects.filter(dossier=dossier).exists():
            return 0
        files = list(DossierFile.objects.filter(dossier=dossier).exclude(kind__in=KEPT_FILE_KINDS))
        dossier.applicant_name = ANONYMISED_NAME
        dossier.applicant_id_number = ""
        dossier.applicant_phone = ""
        dossier.applicant_email = ""
        dossier.applicant_address = ""
        dossier.form_data = {}
        dossier.summary = dossier.procedure.name_vi[:500]
        dossier.save(
            update_fields=[
                "applicant_name",
                "applicant_id_number",
                "applicant_phone",
                "applicant_email",
                "applicant_address",
                "form_data",
                "summary",
                "updated_at",
            ]
        )
        stored = [str(item.file.name) for item in files if item.file]
        DossierFile.objects.filter(pk__in=[item.pk for item in files]).delete()
        Anonymisation.objects.create(
            dossier=dossier,
            record_type=record_type,
            closed_at=dossier.closed_at,
            anonymised_at=now,
            files_removed=len(files),
        )
        audit.record(
            "privacy.anonymised",
            dossier,
            actor=actor,
            data={"record_type": record_type, "files_removed": len(files)},
        )
        # Storage is not transactional: the files go once the database change is committed.
        transaction.on_commit(lambda: _delete_stored(stored))
    logger.info("privacy.anonymised dossier=%s files=%s", dossier_id, len(files))
    return len(files)


def _delete_stored(names: list[str]) -> None:
    storage = DossierFile._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


def record_full_names_purpose(
    agency: Agency, *, actor: Any, purpose: str, period: tuple[date, date]
) -> None:
    """An officer prints the dossier register with applicants' full names: the purpose is
    recorded in the audit trail (Decree 13/2023/NĐ-CP: purpose limitation, accountability)."""
    audit.record(
        "privacy.register_full_names",
        agency,
        actor=actor,
        data={
            "purpose": purpose[:300],
            "start": period[0].isoformat(),
            "end": period[1].isoformat(),
        },
    )
    logger.info(
        "privacy.register_full_names agency=%s user=%s", agency.pk, getattr(actor, "pk", None)
    )


# --- the data subject's copy --------------------------------------------------------------------


def subject_hash(id_number: str) -> str:
    return hashlib.sha256(f"motcua-subject|{id_number}".encode()).hexdigest()


def subject_copy(
    id_number: str, *, actor: Any, purpose: str, now: datetime | None = None
) -> dict[str, Any]:
    """Everything motcua holds under ``id_number`` (Decree 13/2023 Art. 14: within 72 hours).

    Raises ``InvalidInput`` (field ``id_number``) for a malformed number. The request is
    recorded with the subject hashed, and audited, even when nothing is found.
    """
    number = validate_id_number(id_number, field="id_number")
    now = now or clock.now()
    dossiers = list(
        Dossier.objects.filter(applicant_id_number=number)
        .select_related("procedure", "receiving_agency", "competent_agency")
        .prefetch_related("files", "events__agency")
        .order_by("submitted_at", "pk")
    )
    with transaction.atomic():
        request = SubjectRequest.objects.create(
            kind="copy",
            subject_hash=subject_hash(number),
            purpose=purpose[:300],
            requested_at=now,
            dossier_count=len(dossiers),
            handled_by=audit.actor_label(actor),
        )
        audit.record(
            "privacy.subject_copy",
            request,
            actor=actor,
            data={"dossiers": [d.pk for d in dossiers], "purpose": purpose[:300]},
        )
    logger.info("privacy.subject_copy request=%s dossiers=%s", request.pk, len(dossiers))
    return {
        "subject": {"id_number": number},
        "generated_at": _iso(now),
        "controller": "motcua",
        "purpose": purpose,
        "legal_basis": "Nghị định 13/2023/NĐ-CP, Điều 9 và Điều 14",
        "request_id": request.pk,
        "dossiers": [_dossier_copy(dossier) for dossier in dossiers],
    }


def _dossier_copy(dossier: Dossier) -> dict[str, Any]:
    invoice = getattr(dossier, "invoice", None)
    return {
        "code": dossier.code,
        "procedure": {"code": dossier.procedure.code, "name": dossier.procedure.name_vi},
        "received_by": dossier.receiving_agency.name,
        "decided_by": dossier.competent_agency.name,
        "state": dossier.state,
        "applicant": {
            "name": dossier.applicant_name,
            "id_number": dossier.applicant_id_number,
            "phone": dossier.applicant_phone,
            "email": dossier.applicant_email,
            "address": dossier.applicant_address,
        },
        "form": dossier.form_data,
        "submitted_at": _iso(dossier.submitted_at),
        "accepted_at": _iso(dossier.accepted_at),
        "due_at": _iso(dossier.due_at),
        "returned_at": _iso(dossier.returned_at),
        "closed_at": _iso(dossier.closed_at),
        "files": [
            {
                "name": item.original_name,
                "kind": item.kind,
                "size": item.size,
                "sha256": item.sha256,
                "created_at": _iso(item.created_at),
            }
            for item in dossier.files.all()
        ],
        # Officers' names are their own personal data: the unit that acted is given instead.
        "history": [
            {
                "at": _iso(event.at),
                "action": event.action,
                "unit": event.agency.name if event.agency else None,
                "note": event.note,
            }
            for event in dossier.events.all()
        ],
        "fee": None
        if invoice is None
        else {
            "amount": invoice.amount,
            "status": invoice.status,
            "channel": invoice.channel,
            "paid_at": _iso(invoice.paid_at),
            "receipt_number": invoice.receipt_number,
        },
        "anonymised": hasattr(dossier, "anonymisation"),
    }


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None
