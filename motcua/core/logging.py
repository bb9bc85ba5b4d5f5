"""Log formatting for operators: one event a line, key=value, no personal data."""

import functools
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class EventFormatter(logging.Formatter):
    """``2026-02-13T16:30:00.123+07:00 INFO motcua.dossiers.services dossier.accepted id=42``.

    Times are in the installation's zone (``TIME_ZONE``) with their offset, as officers read
    them on every page. Line breaks inside a message or a traceback are escaped, so that one
    event stays one line for grep and for log shippers.
    """

    def format(self, record: logging.LogRecord) -> str:
        zone = _zone(settings.TIME_ZONE)
        stamp = datetime.fromtimestamp(record.created, tz=zone).isoformat(timespec="milliseconds")
        message = record.getMessage().replace("\r", "\\r").replace("\n", "\\n")
        line = f"{stamp} {record.levelname} {record.name} {message}"
        if record.exc_text:
            # The traceback as motcua.core.privacy.PersonalDataFilter masked it.
            line += " exc=" + repr(record.exc_text)
        elif record.exc_info:
            line += " exc=" + repr(self.formatException(record.exc_info))
        if record.stack_info:
            line += " stack=" + repr(self.formatStack(record.stack_info))
        return line
