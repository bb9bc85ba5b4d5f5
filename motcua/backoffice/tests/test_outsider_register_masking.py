"""The dossier register (Mẫu 06), an export of applicants: initials by default; full names only
with a stated purpose, which the audit trail keeps (Decree 13/2023/NĐ-CP)."""

from __future__ import annotations

from pathlib import Path

from motcua.backoffice.tests.conftest import Office
from motcua.backoffice.tests.test_printed_forms import REGISTER, squeezed, text_of
from motcua.core.models import AuditEntry

PERIOD = {"start": "2026-12-01", "end": "2026-12-31"}


def test_the_register_prints_initials_by_default(
    office: Office, stub_pdfs: bytes, tmp_path: Path
) -> None:
    dossier = office.dossier_in("accepted")
    client = office.client_for(office.receiver)

    response = client.get(REGISTER, {"unit": office.world.pleiku.center.pk, **PERIOD})

    text = text_of(response, tmp_path)
    assert squeezed(dossier.code) in text
    assert squeezed("N. V. A.") in text
    assert squeezed("Nguyễn Văn An") not in text
    assert not AuditEntry.objects.filter(action="privacy.register_full_names").exists()


def test_full_names_need_a_purpose(office: Office) -> None:
    client = office.client_for(office.receiver)

    response = client.get(
        REGISTER, {"unit": office.world.pleiku.center.pk, **PERIOD, "full_names": "on"}
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "Cần nêu mục đích khi in đầy đủ họ tên người nộp" in page
    assert not AuditEntry.objects.filter(action="privacy.register_full_names").exists()


def test_full_names_with_a_purpose_are_printed_and_audited(
    office: Office, stub_pdfs: bytes, tmp_path: Path
) -> None:
    office.dossier_in("accepted")
    client = office.client_for(office.receiver)
    purpose = "Đối chiếu hồ sơ theo yêu cầu thanh tra tỉnh"

    response = client.get(
        REGISTER,
        {
            "unit": office.world.pleiku.center.pk,
            **PERIOD,
            "full_names": "on",
            "purpose": purpose,
        },
    )

    assert squeezed("Nguyễn Văn An") in text_of(response, tmp_path)
    entry = AuditEntry.objects.get(action="privacy.register_full_names")
    assert entry.actor_id == office.receiver.pk
    assert entry.object_id == str(office.world.pleiku.center.pk)
    assert entry.data == {"purpose": purpose, "start": "2026-12-01", "end": "2026-12-31"}
