"""The e-office cast, beside the shared ``world``: clerks (văn thư) of Phường Pleiku's People's
Committee and of the provincial Department of Justice (Sở Tư pháp), whose specialist handles
what arrives there; and signing keys in a folder of the test session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password

from motcua.conftest import PASSWORD, World
from motcua.eoffice.services import Draft
from motcua.org.models import Agency, Role, User
from motcua.org.services import add_staff

JUSTICE_SLUG = "so-tu-phap-gia-lai"


@dataclass
class Office:
    world: World
    clerk: User
    justice: Agency
    justice_clerk: User
    justice_handler: User
    justice_leader: User

    def draft(self, **changes: Any) -> Draft:
        """An official letter (công văn) of Phường Pleiku's People's Committee to Sở Tư pháp."""
        values: dict[str, Any] = {
            "issuer_id": self.world.pleiku.committee.pk,
            "doc_type": "cong-van",
            "summary": "Đề nghị hướng dẫn nghiệp vụ chứng thực bản sao điện tử",
            "content": "Ủy ban nhân dân phường Pleiku đề nghị Sở Tư pháp hướng dẫn.\nTrân trọng.",
            "signer_competence": "TM.",
            "signer_position": "Chủ tịch",
            "recipient_ids": [self.justice.pk],
            "recipients_note": "Lưu: VT, VP",
        }
        values.update(changes)
        return Draft(**values)


@pytest.fixture(scope="session")
def session_pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eoffice-pki")


def use_pki(settings: Any, folder: Path) -> Path:
    """Point the signing keys at ``folder`` and create the CA there if missing."""
    from motcua.pki import store

    settings.MOTCUA_PKI_DIR = folder
    store.ensure_ca()
    return folder


@pytest.fixture
def pki(settings: Any, session_pki: Path) -> Path:
    """Signing keys (``motcua pki init`` creates them as needed) kept for the whole session."""
    return use_pki(settings, session_pki)


def make_office(world: World) -> Office:
    """Add the e-office cast to ``world`` (the browser test uses it too)."""
    password_hash = make_password(PASSWORD)
    justice = Agency.objects.get(slug=JUSTICE_SLUG)

    def staff(username: str, name: str, agency: Agency, role: str) -> User:
        return add_staff(
            username=username, full_name=name, agency=agency, role=role,
            password_hash=password_hash,
        )  # fmt: skip

    return Office(
        world=world,
        clerk=staff("vt.phuongpleiku", "Văn thư Phường Pleiku", world.pleiku.committee, Role.CLERK),
        justice=justice,
        justice_clerk=staff(f"vt.{JUSTICE_SLUG}", "Văn thư Sở Tư pháp", justice, Role.CLERK),
        justice_handler=staff(
            f"cv.{JUSTICE_SLUG}", "Chuyên viên Sở Tư pháp", justice, Role.SPECIALIST
        ),
        justice_leader=staff(f"ld.{JUSTICE_SLUG}", "Lãnh đạo Sở Tư pháp", justice, Role.LEADER),
    )


@pytest.fixture
def office(world: World) -> Office:
    return make_office(world)


_RENDERED: dict[str, bytes] = {}


@pytest.fixture
def rendered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests about something else than the layout: each document type is rendered by
    WeasyPrint once per session (about half a second each) and reused; signing stays real."""
    from motcua.eoffice import services

    real = services.render_pdf

    def render(document: Any) -> bytes:
        if document.doc_type not in _RENDERED:
            _RENDERED[document.doc_type] = real(document)
        return _RENDERED[document.doc_type]

    monkeypatch.setattr(services, "render_pdf", render)
