"""The citizen portal's test world.

The cast: Nguyễn Văn An, a citizen, asks online for two copies of his birth extract at the
service center of Phường Pleiku; Trần Thị Bình receives dossiers there; Lê Văn Cường
(specialist) and Phạm Thị Dung (leader) of the ward People's Committee process and sign;
Hoàng Văn Em, another citizen, has a dossier of his own and must never reach An's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from motcua.catalog.loader import load_catalog
from motcua.catalog.models import Procedure
from motcua.dossiers import services as dossiers
from motcua.dossiers.models import Dossier
from motcua.dossiers.uploads import Upload
from motcua.org.models import Agency, Role, User
from motcua.org.services import add_staff, load_units

PROCEDURE = "2.000635"
CENTER_SLUG = "ttpvhcc-23575"
FEE_KEY = "phi_khai_thac_ho_tich"
AN_ID = "064090001234"
AN_FORM = {
    "requester_name": "Nguyễn Văn An",
    "requester_id_number": AN_ID,
    "requester_birth_date": "1990-05-01",
    "requester_phone": "0905123456",
    "requester_address": "Tổ 1, Phường Pleiku",
    "subject_name": "Nguyễn Văn An",
    "relationship": "self",
    "event_type": "birth",
    "registration_ref": "12/2020",
    "registration_date": "2020-01-02",
    "registration_place": "UBND phường Hội Thương",
    "copies": "2",
}
EM_FORM = {
    **AN_FORM,
    "requester_name": "Hoàng Văn Em",
    "requester_id_number": "052088004321",
    "requester_birth_date": "1988-03-09",
    "requester_phone": "0912000111",
    "subject_name": "Hoàng Văn Em",
    "copies": "1",
}

PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_PASSWORD_HASH: list[str] = []


def password_hash() -> str:
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(make_password("Pleiku@2026"))
    return _PASSWORD_HASH[0]


@dataclass
class World:
    center: Agency
    procedure: Procedure
    binh: User  # receiving officer at the ward's service center
    cuong: User  # specialist of the ward People's Committee
    dung: User  # leader of the ward People's Committee

    def apply_url(self) -> str:
        return reverse("portal:apply", args=[PROCEDURE])

    def fee_for(self, form: dict[str, Any]) -> int:
        """What the catalog says the applicant owes: the fee item's amount × copies."""
        item = self.procedure.fee_items.get(key=FEE_KEY)
        return item.amount * int(form["copies"])

    def submit(
        self, form: dict[str, Any] | None = None, uploads: list[Upload] | None = None
    ) -> Dossier:
        return dossiers.submit_online(
            procedure_code=PROCEDURE,
            center_id=self.center.pk,
            form_data=form or AN_FORM,
            uploads=uploads or [],
        )

    def accepted(self, form: dict[str, Any] | None = None) -> Dossier:
        """A dossier received by Bình whose fee has been paid: the clock runs."""
        from motcua.payments import services as payments

        dossier = dossiers.accept(self.submit(form).pk, actor=self.binh)
        payments.mark_paid(dossier.invoice.pk, channel="online", actor="gateway")
        return Dossier.objects.get(pk=dossier.pk)

    def approved(self, form: dict[str, Any] | None = None) -> Dossier:
        dossier = self.accepted(form)
        dossiers.start_processing(dossier.pk, actor=self.cuong)
        dossiers.submit_for_approval(dossier.pk, actor=self.cuong, note="Đã đối chiếu sổ đăng ký.")
        return dossiers.approve(dossier.pk, actor=self.dung)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db: None) -> World:
    load_units()
    load_catalog()
    center = Agency.objects.get(slug=CENTER_SLUG)
    committee = Agency.objects.get(slug="ubnd-23575")

    def staff(username: str, name: str, agency: Agency, role: str) -> User:
        return add_staff(
            username=username,
            full_name=name,
            agency=agency,
            role=role,
            password_hash=password_hash(),
        )

    return World(
        center=center,
        procedure=Procedure.objects.get(code=PROCEDURE, is_current=True),
        binh=staff("tn.binh", "Trần Thị Bình", center, Role.RECEIVER),
        cuong=staff("cv.cuong", "Lê Văn Cường", committee, Role.SPECIALIST),
        dung=staff("ld.dung", "Phạm Thị Dung", committee, Role.LEADER),
    )


def form_token(client: Client, url: str) -> str:
    """Open the e-form as a browser would and read the per-form token it was given."""
    response = client.get(url)
    assert response.status_code == 200
    match = _TOKEN.search(response.content.decode())
    assert match is not None
    return match.group(1)
