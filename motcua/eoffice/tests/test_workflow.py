"""The outgoing and incoming workflow of an official document, verb by verb, with real
signatures checked by pyHanko and poppler's pdfsig."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from motcua.core.errors import Forbidden, InvalidInputs, InvalidTransition, NotFound
from motcua.core.models import AuditEntry
from motcua.deadlines.calendar import default_calendar
from motcua.eoffice import services, signing
from motcua.eoffice.models import DispatchStatus, DocumentState, OfficialDocument, OutgoingEntry
from motcua.eoffice.tests.conftest import Office
from motcua.pki import store

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def signed_document(office: Office, **changes: Any) -> OfficialDocument:
    world = office.world
    document = services.compose_document(office.draft(**changes), actor=world.pleiku.specialist)
    services.submit_for_review(document.pk, actor=world.pleiku.specialist)
    services.approve_document(document.pk, actor=world.pleiku.leader)
    return services.sign_document(document.pk, actor=world.pleiku.leader)


def issued_document(office: Office, **changes: Any) -> OfficialDocument:
    document = signed_document(office, **changes)
    return services.issue_document(document.pk, actor=office.clerk)


def signatures(content: bytes) -> list[tuple[str, bool, bool]]:
    """(signer, intact and valid, trusted) of every signature in signing order."""
    ca = store.ca_credential().certificate().public_bytes(serialization.Encoding.DER)
    trust = ValidationContext(trust_roots=[asn1_x509.Certificate.load(ca)], allow_fetching=False)
    rows = []
    for embedded in PdfFileReader(BytesIO(content)).embedded_signatures:
        status = validate_pdf_signature(embedded, trust)
        subject = status.signing_cert.subject.native
        name = subject["common_name"] if "title" in subject else subject["organization_name"]
        rows.append((name, status.intact and status.valid, status.trusted))
    return rows


def pdfsig(path: Path) -> str:
    result = subprocess.run(  # noqa: S603 (fixed program, our own file)
        ["/usr/bin/pdfsig", str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


def test_a_letter_goes_from_draft_to_done_and_the_sender_sees_every_status(
    office: Office, pki: Path, tmp_path: Path
) -> None:
    world = office.world
    document = signed_document(office)
    assert document.state == DocumentState.SIGNED and document.number is None

    services.issue_document(document.pk, actor=office.clerk)
    document.refresh_from_db()
    year = datetime.now(HCM).year
    assert (document.number, document.year, document.symbol) == (1, year, "UBND-VP")
    assert document.number_text == "01/UBND-VP"
    assert OutgoingEntry.objects.get(document=document).number == 1

    content = document.pdf.read()
    assert signatures(content) == [
        (world.pleiku.leader.full_name, True, True),
        (world.pleiku.committee.name, True, True),
    ]
    path = tmp_path / "cong-van.pdf"
    path.write_bytes(content)
    report = pdfsig(path)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    assert report.index(world.pleiku.leader.full_name) < report.index("Signature #2")

    [dispatch] = services.dispatch_document(document.pk, actor=office.clerk)
    assert (dispatch.agency, dispatch.status) == (office.justice, DispatchStatus.RECEIVED)
    entry = dispatch.incoming
    services.register_incoming(entry.pk, actor=office.justice_clerk)
    entry.refresh_from_db()
    assert (entry.year, entry.number) == (year, 1)
    services.assign_handler(entry.pk, actor=office.justice_clerk,
                            handler_id=office.justice_handler.pk, days=5)  # fmt: skip
    entry.refresh_from_db()
    assert entry.assigned_at is not None
    expected = default_calendar().due_at(entry.assigned_at, 5).due_at
    assert entry.due_at == expected
    services.start_handling(entry.pk, actor=office.justice_handler)
    services.complete_handling(entry.pk, actor=office.justice_handler, note="Đã trả lời.")

    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.DONE
    seen_by_sender = list(
        document.history.filter(dispatch=dispatch).values_list("action", flat=True)
    )
    assert seen_by_sender == [
        "sent", "status_received", "status_accepted", "assigned", "status_processing",
        "status_done",
    ]  # fmt: skip
    actions = AuditEntry.objects.filter(object_id=str(document.pk), action__startswith="eoffice.")
    assert actions.count() == document.history.count() == 11


def test_a_tampered_copy_is_reported_altered(office: Office, pki: Path, tmp_path: Path) -> None:
    content = bytearray(issued_document(office).pdf.read())
    reader = PdfFileReader(BytesIO(bytes(content)))
    byte_range = reader.embedded_signatures[0].sig_object["/ByteRange"]
    start, length = int(byte_range[0]), int(byte_range[1])
    content[start + length // 2] ^= 0x01

    rows = signatures(bytes(content))

    assert [ok for _name, ok, _trusted in rows] == [False, False]
    path = tmp_path / "sua.pdf"
    path.write_bytes(bytes(content))
    assert "Signature Validation: Digest Mismatch." in pdfsig(path)


def test_typed_documents_carry_their_type_in_the_symbol(office: Office, pki: Path) -> None:
    world = office.world
    decision = issued_document(office, doc_type="quyet-dinh", recipients_note="Như Điều 3")
    report = services.compose_document(
        office.draft(issuer_id=office.justice.pk, doc_type="bao-cao", recipient_ids=[]),
        actor=office.justice_handler,
    )

    assert decision.number_text == "01/QĐ-UBND"
    assert report.symbol == "BC-STP"
    assert world.pleiku.committee.kind == "commune_pc"


def test_each_step_belongs_to_its_role(office: Office, pki: Path) -> None:
    world = office.world
    document = services.compose_document(office.draft(), actor=office.clerk)
    services.submit_for_review(document.pk, actor=office.clerk)

    with pytest.raises(Forbidden):
        services.approve_document(document.pk, actor=world.pleiku.specialist)
    with pytest.raises(NotFound):
        services.approve_document(document.pk, actor=world.quynhon.leader)
    with pytest.raises(InvalidTransition):
        services.sign_document(document.pk, actor=world.pleiku.leader)
    services.approve_document(document.pk, actor=world.pleiku.leader)
    with pytest.raises(Forbidden):
        services.sign_document(document.pk, actor=office.clerk)
    services.sign_document(document.pk, actor=world.pleiku.leader)
    with pytest.raises(Forbidden):
        services.issue_document(document.pk, actor=world.pleiku.leader)
    with pytest.raises(NotFound):
        services.dispatch_document(document.pk, actor=office.justice_clerk)


def test_bad_drafts_name_every_field_and_write_nothing(office: Office) -> None:
    before = OfficialDocument.objects.count()
    with pytest.raises(InvalidInputs) as caught:
        services.compose_document(
            office.draft(
                doc_type="thu-tay", summary="  ", content="", signer_position="",
                signer_competence="XX.", urgency="gấp", recipient_ids=[], recipients_note="",
                due_date=datetime.now(HCM).date() - timedelta(days=1),
            ),
            actor=office.world.pleiku.specialist,
        )  # fmt: skip

    fields = {(e.field, e.code) for e in caught.value.errors}
    assert fields == {
        ("doc_type", "unknown_type"), ("summary", "required"), ("content", "required"),
        ("signer_position", "required"), ("signer_competence", "invalid_choice"),
        ("urgency", "invalid_choice"), ("recipient_ids", "required"), ("due_date", "in_past"),
    }  # fmt: skip
    assert OfficialDocument.objects.count() == before
    with pytest.raises(Forbidden):
        services.compose_document(office.draft(), actor=office.world.outsider)


def test_the_service_itself_keeps_the_length_limits(office: Office) -> None:
    """The compose form and the API check lengths too; a caller that bypasses both (a
    command, another module) still cannot store an over-long draft."""
    before = OfficialDocument.objects.count()
    with pytest.raises(InvalidInputs) as caught:
        services.compose_document(
            office.draft(
                summary="Đ" * 501, content="x" * (services.CONTENT_MAX_LENGTH + 1),
                signer_position="C" * 101, signer_name="N" * 151, drafting_unit="VP" * 11,
                recipients_note="L" * (services.RECIPIENTS_NOTE_MAX_LENGTH + 1),
                recipient_ids=[office.justice.pk] * (services.MAX_RECIPIENTS + 1),
            ),
            actor=office.world.pleiku.specialist,
        )  # fmt: skip

    errors = {e.field: e for e in caught.value.errors}
    assert {(field, e.code) for field, e in errors.items()} == {
        ("summary", "too_long"), ("content", "too_long"), ("signer_position", "too_long"),
        ("signer_name", "too_long"), ("drafting_unit", "too_long"),
        ("recipients_note", "too_long"), ("recipient_ids", "too_many"),
    }  # fmt: skip
    assert "tối đa 100 ký tự" in errors["signer_position"].message
    assert OfficialDocument.objects.count() == before
    services.compose_document(
        office.draft(signer_position="C" * 100, drafting_unit="V" * 20),
        actor=office.world.pleiku.specialist,
    )
    assert OfficialDocument.objects.count() == before + 1


def test_the_first_document_of_a_new_year_is_number_01(
    office: Office, pki: Path, set_now: Any
) -> None:
    set_now(datetime(2026, 12, 31, 16, 0, tzinfo=HCM))
    first, second = issued_document(office), issued_document(office)
    set_now(datetime(2027, 1, 1, 0, 5, tzinfo=HCM))
    new_year = issued_document(office, doc_type="thong-bao")

    assert [(d.year, d.number) for d in (first, second, new_year)] == [
        (2026, 1), (2026, 2), (2027, 1)
    ]  # fmt: skip
    assert new_year.number_text == "01/TB-UBND"


def test_secret_documents_keep_a_series_of_their_own(office: Office, pki: Path) -> None:
    ordinary = issued_document(office)
    secret = issued_document(office, secrecy="mat")

    assert (ordinary.number, secret.number, secret.series) == (1, 1, "mat")


def test_a_revoked_document_can_no_longer_be_registered(office: Office, pki: Path) -> None:
    document = issued_document(office)
    [dispatch] = services.dispatch_document(document.pk, actor=office.clerk)

    services.revoke_document(document.pk, actor=office.world.pleiku.leader, reason="Sai thẩm quyền")

    with pytest.raises(InvalidTransition) as caught:
        services.register_incoming(dispatch.incoming.pk, actor=office.justice_clerk)
    assert caught.value.code == "revoked"
    assert document.history.filter(dispatch=dispatch, action="recipient_revoked").count() == 1


def test_a_replacement_marks_the_old_document_and_tells_its_recipients(
    office: Office, pki: Path
) -> None:
    old = issued_document(office)
    [dispatch] = services.dispatch_document(old.pk, actor=office.clerk)

    new = issued_document(office, replaces_id=old.pk)

    old.refresh_from_db()
    assert old.state == DocumentState.REPLACED
    assert new.number == 2
    notice = old.history.get(dispatch=dispatch, action="recipient_replaced")
    assert notice.note == "02/UBND-VP"


def test_recipients_see_an_update(office: Office, pki: Path) -> None:
    document = issued_document(office)
    [dispatch] = services.dispatch_document(document.pk, actor=office.clerk)
    due = datetime.now(HCM).date() + timedelta(days=10)

    services.update_document(document.pk, actor=office.clerk, due_date=due, note="Gia hạn")

    notice = document.history.get(dispatch=dispatch, action="recipient_updated")
    assert notice.note == f"Gia hạn ({due:%d/%m/%Y})"


def test_assignment_checks_the_handler_and_the_days(office: Office, pki: Path) -> None:
    document = issued_document(office)
    [dispatch] = services.dispatch_document(document.pk, actor=office.clerk)
    services.register_incoming(dispatch.incoming.pk, actor=office.justice_clerk)

    with pytest.raises(InvalidInputs) as caught:
        services.assign_handler(dispatch.incoming.pk, actor=office.justice_clerk,
                                handler_id=office.world.pleiku.specialist.pk, days=0)  # fmt: skip

    assert {(e.field, e.code) for e in caught.value.errors} == {
        ("handler_id", "not_a_member"), ("days", "out_of_range")
    }  # fmt: skip
    with pytest.raises(Forbidden):
        services.start_handling(dispatch.incoming.pk, actor=office.justice_handler)


def test_without_signing_keys_signing_is_refused_and_nothing_changes(
    office: Office, settings: Any, tmp_path: Path
) -> None:
    settings.MOTCUA_PKI_DIR = tmp_path / "none"
    world = office.world
    document = services.compose_document(office.draft(), actor=world.pleiku.specialist)
    services.submit_for_review(document.pk, actor=world.pleiku.specialist)
    services.approve_document(document.pk, actor=world.pleiku.leader)

    with pytest.raises(signing.PkiMissing) as caught:
        services.sign_document(document.pk, actor=world.pleiku.leader)

    document.refresh_from_db()
    assert (caught.value.code, caught.value.status) == ("pki_missing", 409)
    assert (document.state, bool(document.pdf)) == (DocumentState.APPROVED, False)


def test_the_letter_prints_v_v_and_the_archive_line_once(office: Office) -> None:
    """A summary typed with "Về việc" and a recipients note with its own "Lưu" line."""
    draft = office.draft(
        summary="Về việc hướng dẫn chứng thực", recipients_note="Lưu: VT, VP\nPhòng Tư pháp"
    )
    document = services.compose_document(draft, actor=office.world.pleiku.specialist)

    text = subprocess.run(  # noqa: S603 (fixed program, our own bytes)
        ["/usr/bin/pdftotext", "-layout", "-", "-"],
        input=services.render_pdf(document), capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip

    assert "V/v hướng dẫn chứng thực" in text
    assert "V/v Về việc" not in text
    assert text.count("Lưu:") == 1
    assert "- Lưu: VT, VP." in text
    assert "- Phòng Tư pháp;" in text
