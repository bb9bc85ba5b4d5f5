"""``motcua purge [--dry-run]``: anonymise personal data past retention (docs/privacy.md)."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.privacy import services


class Command(BaseCommand):
    help = "Anonymise closed dossiers past their retention period; delete old sign-in counters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = f"operator:{getpass.getuser()}"
        summary = services.purge(actor=actor, dry_run=options["dry_run"])
        for retention in services.retention_table():
            period = (
                f"{retention.period} years"
                if isinstance(retention.period, int)
                else f"{retention.period.days} day(s)"
            )
            count = summary.counts.get(retention.record_type, 0)
            done = f"to {retention.action} (dry run)" if summary.dry_run else f"{retention.action}d"
            self.stdout.write(
                f"{retention.record_type}: {count} {done}; kept {period} after closing or last use"
            )
        if not summary.dry_run:
            self.stdout.write(f"files removed: {summary.files_removed}")
