"""Log formatting for operators: one event a line, key=value, no personal data."""

import logging
from datetime import UTC, datetime


class EventFormatter(logging.Formatter):
    """``2026-02-13T09:30:00.123Z INFO motcua.dossiers.services dossier.accepted id=42 ...``."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        line = f"{stamp} {record.levelname} {record.name} {record.getMessage()}"
        if record.exc_info:
            line += " exc=" + repr(self.formatException(record.exc_info))
        return line
