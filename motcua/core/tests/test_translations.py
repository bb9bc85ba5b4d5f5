"""The English catalog: one project catalog, complete, compiled, and what English readers see.

Vietnamese is the source language (the msgids); English is the one translation, kept in
``motcua/locale/en/LC_MESSAGES/django.po`` and compiled into ``django.mo`` beside it (committed,
since machines without gettext cannot compile it; ``make messages`` recompiles it).

The cast is the shared one (``motcua/conftest.py``): the citizen Nguyễn Văn An files for two
copies of his birth extract at Phường Pleiku; the ward's receiving officer and its People's
Committee's leader handle the dossier. Each of them has switched the screen to English.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from motcua.conftest import World
from motcua.core.errors import InvalidInput, InvalidInputs, InvalidTransition
from motcua.dossiers import services
from motcua.dossiers.states import ACTION_LABELS, State
from motcua.org.idnumbers import validate_id_number

PACKAGE = Path(__file__).resolve().parents[2]
CATALOG = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass
class Entry:
    """One message of a .po file (obsolete ``#~`` entries are left out)."""

    msgid: str = ""
    context: str | None = None
    plural: str | None = None
    translations: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        """The key Python's ``gettext`` gives the message: context EOT msgid."""
        return self.msgid if self.context is None else f"{self.context}\x04{self.msgid}"

    def label(self) -> str:
        return self.msgid if self.context is None else f"[{self.context}] {self.msgid}"


def read_po(path: Path) -> list[Entry]:
    """Parse a .po file: msgctxt, msgid, msgid_plural, msgstr / msgstr[n], flags, continuation
    lines. Enough for the files makemessages writes; strings are C-quoted like Python's."""
    entries: list[Entry] = []
    entry, target = Entry(), ""
    started = False
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if started:
                entries.append(entry)
            entry, target, started = Entry(), "", False
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            _append(entry, target, ast.literal_eval(line))
        else:
            keyword, _space, quoted = line.partition(" ")
            target, started = keyword, True
            _append(entry, target, ast.literal_eval(quoted), first=True)
    return entries


def _append(entry: Entry, target: str, text: str, *, first: bool = False) -> None:
    if target == "msgctxt":
        entry.context = text if first else f"{entry.context}{text}"
    elif target == "msgid":
        entry.msgid = text if first else entry.msgid + text
    elif target == "msgid_plural":
        entry.plural = text if first else f"{entry.plural}{text}"
    else:
        index = int(target[7:-1]) if target.startswith("msgstr[") else 0
        entry.translations[index] = entry.translations.get(index, "") + text


def expected_catalog(entries: list[Entry]) -> dict[Any, str]:
    """What a correct compilation of ``entries`` holds, keyed as Python's ``gettext`` keys it."""
    catalog: dict[Any, str] = {}
    for entry in entries:
        if entry.msgid == "":
            # msgfmt leaves the creation date out of the compiled header (reproducible builds).
            catalog[""] = re.sub(r"POT-Creation-Date: [^\n]*\n", "", entry.translations[0])
        elif entry.plural is None:
            catalog[entry.key] = entry.translations[0]
        else:
            catalog.update({(entry.key, n): text for n, text in entry.translations.items()})
    return catalog


def compiled_catalog(path: Path) -> dict[Any, str]:
    with path.open("rb") as mo_file:
        return dict(gettext.GNUTranslations(mo_file)._catalog)  # type: ignore[attr-defined]


ENTRIES = read_po(CATALOG)
MESSAGES = [entry for entry in ENTRIES if entry.msgid]


# --- the catalog --------------------------------------------------------------------------------


class TestCatalog:
    def test_is_the_one_catalog_of_the_project(self) -> None:
        assert settings.LOCALE_PATHS == [PACKAGE / "locale"]
        assert sorted(PACKAGE.glob("*/locale")) == []  # no app keeps a catalog of its own
        assert sorted(p.name for p in (PACKAGE / "locale").iterdir()) == ["en"]

    def test_header_declares_english_utf8_and_two_plural_forms(self) -> None:
        header = ENTRIES[0]

        assert header.msgid == ""
        assert "fuzzy" not in header.flags
        assert "Language: en\n" in header.translations[0]
        assert "Content-Type: text/plain; charset=UTF-8\n" in header.translations[0]
        assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header.translations[0]

    def test_every_entry_is_translated_and_none_is_fuzzy(self) -> None:
        untranslated = [
            e.label() for e in MESSAGES if not all(t.strip() for t in e.translations.values())
        ]
        fuzzy = [e.label() for e in MESSAGES if "fuzzy" in e.flags]
        plural_gaps = [
            e.label() for e in MESSAGES if e.plural is not None and sorted(e.translations) != [0, 1]
        ]

        assert len(MESSAGES) > 400
        assert untranslated == []
        assert fuzzy == []
        assert plural_gaps == []

    def test_every_placeholder_is_kept(self) -> None:
        broken = [
            e.label()
            for e in MESSAGES
            for text in e.translations.values()
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(e.msgid))
        ]
        unflagged = [
            e.label()
            for e in MESSAGES
            if PLACEHOLDER.search(e.msgid) and "python-format" not in e.flags
        ]

        assert broken == []
        assert unflagged == []

    def test_contexts_keep_apart_the_same_words(self) -> None:
        translations = {(e.context, e.msgid): e.translations[0] for e in MESSAGES if not e.plural}

        assert translations[("worklist", "Quá hạn")] == "Overdue"
        assert translations[("worklist", "Mới nộp")] == "New"
        assert translations[(None, "Dừng xử lý")] == "Processing stopped"
        assert translations[("action", "Dừng xử lý")] == "Stop processing"
        assert translations[(None, "Trả kết quả")] == "Result returned"
        assert translations[("action", "Trả kết quả")] == "Return the result"


class TestCompiledCatalog:
    def test_holds_exactly_the_catalog(self) -> None:
        # Compared by content, not by modification time: a checkout sets every file's mtime.
        assert compiled_catalog(COMPILED) == expected_catalog(ENTRIES)

    def test_matches_a_fresh_compilation_by_msgfmt(self, tmp_path: Path) -> None:
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            pytest.skip("msgfmt (Debian package gettext) is missing: cannot recompile the catalog")
        fresh = tmp_path / "django.mo"

        result = subprocess.run(  # noqa: S603 (a fixed tool on our own file)
            [msgfmt, "--check", "-o", str(fresh), str(CATALOG)],
            capture_output=True,
            text=True,
            check=False,
        )

        assert (result.returncode, result.stderr) == (0, "")
        assert compiled_catalog(COMPILED) == compiled_catalog(fresh)

    @pytest.mark.parametrize(
        ("context", "msgid", "count", "english"),
        [
            (None, "Hồ sơ", None, "Dossier"),
            (None, "Đăng nhập cán bộ", None, "Officer sign-in"),
            (None, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", None, "Receipt and appointment slip"),
            (
                None,
                "Mẫu số 01 – Thông tư 01/2018/TT-VPCP",
                None,
                "Form No. 01 – Circular 01/2018/TT-VPCP",
            ),
            ("worklist", "Chờ bổ sung", None, "Awaiting supplement"),
            (None, "%(total)s hồ sơ", 1, "%(total)s dossier"),
            (None, "%(total)s hồ sơ", 3, "%(total)s dossiers"),
        ],
    )
    def test_django_reads_it(
        self, context: str | None, msgid: str, count: int | None, english: str
    ) -> None:
        # Looked up through variables, so that makemessages does not take this file for a source.
        def lookup() -> str:
            if count is not None:
                return translation.ngettext(msgid, msgid, count)
            if context is not None:
                return translation.pgettext(context, msgid)
            return translation.gettext(msgid)

        with translation.override("en"):
            assert lookup() == english
        with translation.override("vi"):
            assert lookup() == msgid

    def test_states_and_actions_sharing_words_read_apart(self) -> None:
        with translation.override("en"):
            assert (str(State.STOPPED.label), str(ACTION_LABELS["stop"])) == (
                "Processing stopped",
                "Stop processing",
            )
        with translation.override("vi"):
            assert (str(State.STOPPED.label), str(ACTION_LABELS["stop"])) == (
                "Dừng xử lý",
                "Dừng xử lý",
            )


# --- pages and API ------------------------------------------------------------------------------


def english_client(user: Any = None) -> Client:
    """A browser that pressed the English switch (the language cookie), signed in as ``user``."""
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    if user is not None:
        client.force_login(user)
    return client


def assert_english(html: str, pairs: list[tuple[str, str]]) -> None:
    """Each English string is on the page and its Vietnamese original is not."""
    assert '<html lang="en">' in html
    assert [english for english, _vi in pairs if english not in html] == []
    assert [vietnamese for _en, vietnamese in pairs if vietnamese in html] == []


class TestEnglishPages:
    def test_portal_home(self, world: World) -> None:
        response = english_client().get(reverse("portal:home"), {"center": "ttpvhcc-23575"})

        assert response.status_code == 200
        assert_english(
            response.content.decode(),
            [
                ("Gia Lai Public Services", "Dịch vụ công tỉnh Gia Lai"),
                ("Submit administrative procedure dossiers online", "Nộp hồ sơ thủ tục hành chính"),
                ("Procedures available online", "Thủ tục nộp trực tuyến"),
                ("Chosen place of submission", "Nơi nộp đã chọn"),
                ("Former Gia Lai", "Gia Lai (cũ)"),
                ("Same day (after 15:00: the next working day)", "Trong ngày (sau 15 giờ"),
                ("Fees and charges", "Phí, lệ phí"),
                ("Apply online", "Nộp trực tuyến"),
                ("Find where to submit", "Tìm nơi nộp hồ sơ"),
            ],
        )

    def test_apply_form(self, world: World) -> None:
        url = reverse("portal:apply", args=[world.procedure.code])

        response = english_client().get(url, {"center": "ttpvhcc-23575"})

        assert response.status_code == 200
        assert_english(
            response.content.decode(),
            [
                ("Fill in the form, attach documents", "Điền tờ khai, đính kèm giấy tờ"),
                ("Where to submit and collect the result", "Nơi nộp hồ sơ, nhận kết quả"),
                ("Fields marked", "Các mục có dấu"),
                ("Estimated total:", "Tạm tính:"),
                ("Submit the dossier", "Nộp hồ sơ"),
                ("After submitting, you get a dossier code", "Sau khi nộp, bạn nhận mã hồ sơ"),
            ],
        )

    def test_tracking_a_dossier_in_progress(self, world: World, stub_pdfs: bytes) -> None:
        dossier = world.dossier_in("processing")

        response = english_client().get(reverse("portal:track"), {"code": dossier.code})

        assert response.status_code == 200
        assert_english(
            response.content.decode(),
            [
                ("Track a dossier", "Tra cứu hồ sơ"),
                ("Dossier details", "Thông tin hồ sơ"),
                ("In progress", "Đang xử lý"),
                ("Result due", "Hẹn trả kết quả"),
                ("Dossier received", "Hồ sơ đã được tiếp nhận"),
                ("A specialist started processing the dossier", "Chuyên viên bắt đầu xử lý"),
                ("Open the dossier, download the result", "Mở hồ sơ, tải kết quả"),
            ],
        )

    def test_back_office_login(self, world: World) -> None:
        response = english_client().get(reverse("backoffice:login"))

        assert response.status_code == 200
        assert_english(
            response.content.decode(),
            [
                ("Officer sign-in", "Đăng nhập cán bộ"),
                ("Username", "Tên đăng nhập"),
                ("Password", "Mật khẩu"),
                ("Administrative procedure information system", "Hệ thống thông tin giải quyết"),
            ],
        )

    def test_worklist_of_the_receiving_officer(self, world: World, stub_pdfs: bytes) -> None:
        world.submit()
        client = english_client(world.pleiku.receiver)

        response = client.get(reverse("backoffice:worklist"))

        assert response.status_code == 200
        assert_english(
            response.content.decode(),
            [
                ("Worklist", "Hồ sơ cần xử lý"),
                ("Counter registration", "Tiếp nhận trực tiếp"),
                ("Sign out", "Đăng xuất"),
                (">New<", "Mới nộp"),
                ("Awaiting supplement", "Chờ bổ sung"),
                ("Dossier code", "Mã hồ sơ"),
                ("Newly submitted", "Mới đăng ký"),
            ],
        )

    def test_the_browser_language_alone_keeps_pages_vietnamese(self, world: World) -> None:
        html = Client().get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

        assert '<html lang="vi">' in html
        assert "Nộp hồ sơ thủ tục hành chính trực tuyến" in html
        assert "Submit administrative procedure dossiers online" not in html

    def test_the_api_follows_accept_language(self, world: World) -> None:
        url = "/api/dossiers/track/H52.23575.01-261204-9999"

        english = Client().get(url, HTTP_ACCEPT_LANGUAGE="en")
        vietnamese = Client().get(url)

        assert english.status_code == vietnamese.status_code == 404
        assert english.json() == {"code": "dossier_not_found", "message": "Dossier not found."}
        assert vietnamese.json() == {
            "code": "dossier_not_found",
            "message": "Không tìm thấy hồ sơ.",
        }


# --- business errors ----------------------------------------------------------------------------


class TestEnglishErrors:
    """Errors are raised and read while the reader's language is active, as on a request."""

    def test_a_missing_required_field_is_named_by_its_english_label(self, world: World) -> None:
        with translation.override("en"):
            with pytest.raises(InvalidInputs) as raised:
                world.submit(form=world.form(requester_name=None))

            [error] = raised.value.errors
            assert (error.field, error.code, error.message) == (
                "requester_name",
                "required",
                "“Requester's full name” is required.",
            )

    @pytest.mark.parametrize(
        ("number", "code", "message"),
        [
            (
                "06409000123",
                "id_format",
                "The personal identification number must have exactly 12 digits.",
            ),
            (
                "999090001234",
                "id_province",
                "The first three digits “999” are not the code of a province where births are "
                "registered.",
            ),
            (
                "064085001234",
                "id_birth_year",
                "The personal identification number does not match the year of birth: digits 4–6 "
                "give 1985, the declared date of birth is in 1990.",
            ),
        ],
    )
    def test_id_number_rules(self, world: World, number: str, code: str, message: str) -> None:
        with translation.override("en"):
            with pytest.raises(InvalidInputs) as raised:
                world.submit(form=world.form(requester_id_number=number))

            [error] = raised.value.errors
            assert (error.field, error.code, error.message) == (
                "requester_id_number",
                code,
                message,
            )

    def test_the_same_id_number_error_reads_vietnamese_for_vietnamese_readers(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            validate_id_number("0640 9000 12", field="requester_id_number")

        with translation.override("en"):
            english = raised.value.message
        with translation.override("vi"):
            vietnamese = raised.value.message
        assert english == "The personal identification number must have exactly 12 digits."
        assert vietnamese == "Số định danh cá nhân phải gồm đúng 12 chữ số."

    def test_an_invalid_transition_names_the_action_and_the_state(
        self, world: World, stub_pdfs: bytes
    ) -> None:
        dossier = world.submit()

        with translation.override("en"):
            with pytest.raises(InvalidTransition) as raised:
                services.return_result(dossier.pk, actor=world.pleiku.receiver)

            assert (raised.value.code, raised.value.status, raised.value.message) == (
                "invalid_transition",
                409,
                "“Return the result” is not possible while the dossier is in the state "
                "“Newly submitted”.",
            )
