"""Personal data out of logs and exports (Decree 13/2023/NĐ-CP).

``PersonalDataFilter`` sits on every log handler (settings.LOGGING): whatever a message, its
arguments or a traceback carry, a 12-digit personal identification number and a Vietnamese
phone number leave the process masked. The ``mask_*`` helpers are what exports print unless an
officer asks for the full data with a recorded purpose.
"""

from __future__ import annotations

import logging
import re

# 12 digits standing alone: the personal identification number (CCCD),
# Circular 07/2016/TT-BCA.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([0-9]{3})[0-9]{7}([0-9]{2})(?![0-9A-Za-z])")
# Mobile (0 + 9 digits, or +84 / 84 + 9 digits) and landline numbers (0 + 10 digits, 02x…),
# with the usual separators between groups.
PHONE = re.compile(
    r"(?<![0-9A-Za-z+])((?:\+84|84|0)[1-9])(?:[ .-]?[0-9]){6,7}([0-9]{2})(?![0-9A-Za-z])"
)
_PLAIN = logging.Formatter()


def mask_text(text: str) -> str:
    """``064090001234`` → ``064*******34``; ``0905 123 456`` → ``09*****56``."""
    text = ID_NUMBER.sub(lambda m: m[1] + "*" * 7 + m[2], text)
    return PHONE.sub(lambda m: m[1] + "*****" + m[2], text)


def mask_id_number(number: str) -> str:
    """The first 3 digits (birth province) and the last 2: ``064*******34``."""
    number = number.strip()
    if len(number) < 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 5) + number[-2:]


def mask_name(name: str) -> str:
    """Initials only: ``Nguyễn Văn An`` → ``N. V. A.``"""
    return " ".join(f"{word[0]}." for word in name.split() if word)


class PersonalDataFilter(logging.Filter):
    """Masks ID and phone numbers in a record's message and traceback (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _PLAIN.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
            # The formatter prints exc_text when exc_info is gone; keep the type for filters.
            record.exc_info = None
        return True
