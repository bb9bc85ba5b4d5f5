"""Personal data never reaches the logs: ID and phone numbers are masked in every record."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from motcua.core.privacy import PersonalDataFilter, mask_id_number, mask_name, mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("id=064090001234", "id=064*******34"),
        ("phone=0905123456", "phone=09*****56"),
        ("gọi 0905 123 456 hoặc 0905.123.456", "gọi 09*****56 hoặc 09*****56"),
        ("+84905123456", "+849*****56"),
        ("bàn 02693824567", "bàn 02*****67"),
        ("052085001234.", "052*******34."),
    ],
)
def test_numbers_of_people_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "dossier.registered id=3 code=H52.23575.01-261202-0001 center=47 procedure=2.000635",
        "payment.invoice_paid invoice=1 amount=16000 at=2026-12-05T01:12:10.565+07:00",
        "accounts.login_locked failures=5 key=f37bd67204cb sha=1234567890123",
    ],
)
def test_ids_codes_amounts_and_times_stay_readable(text: str) -> None:
    assert mask_text(text) == text


def test_exports_print_initials_and_a_partial_id() -> None:
    assert mask_name("Nguyễn Văn An") == "N. V. A."
    assert mask_name("  Hồ   Thị Sen ") == "H. T. S."
    assert mask_id_number("064090001234") == "064*******34"


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """The configured console handler (settings.LOGGING), writing into a buffer."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, PersonalDataFilter) for f in handler.filters)
    ]
    assert len(handlers) == 1
    handler = handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def test_the_console_log_masks_arguments_messages_and_tracebacks(console: io.StringIO) -> None:
    logger = logging.getLogger("motcua.dossiers.services")

    logger.info("dossier.lookup id_number=%s phone=%s", "064090001234", "0905123456")
    try:
        raise ValueError("không tìm thấy người có số 052085001234")
    except ValueError:
        logger.exception("dossier.lookup_failed")
    logger.warning("dossier.note text=%s", "Gọi lại 0914 222 333")

    lines = console.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("dossier.lookup id_number=064*******34 phone=09*****56")
    assert "dossier.lookup_failed exc=" in lines[1] and "052*******34" in lines[1]
    assert "ValueError" in lines[1]
    assert lines[2].endswith("dossier.note text=Gọi lại 09*****33")
    for number in ("064090001234", "0905123456", "052085001234", "0914 222 333"):
        assert number not in console.getvalue()
