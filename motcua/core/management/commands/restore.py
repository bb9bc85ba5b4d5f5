"""``motcua restore SRC [--force]``: restore an archive of ``motcua backup`` and compare."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from motcua.core import backup
from motcua.core.errors import MotcuaError


class Command(BaseCommand):
    help = "Khôi phục một bản sao lưu vào cơ sở dữ liệu và thư mục dữ liệu trống, rồi đối chiếu."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", help="archive written by motcua backup")
        parser.add_argument(
            "--force", action="store_true", help="replace the data of a non-empty installation"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup.restore(Path(options["src"]), force=options["force"])
        except MotcuaError as error:
            raise CommandError(_both(error)) from error
        for line in summary.mismatches:
            self.stderr.write(line)
        if not summary.ok:
            self.stderr.write(
                f"Khôi phục KHÔNG khớp bản sao lưu / restore does NOT match the backup: "
                f"{len(summary.mismatches)}"
            )
            sys.exit(1)
        self.stdout.write(
            f"Đã khôi phục và đối chiếu khớp / restored and verified: {summary.tables} bảng / "
            f"tables, {summary.rows} dòng / rows, {summary.files} tệp / files."
        )


def _both(error: MotcuaError) -> str:
    """The error in Vietnamese, then in English."""
    lines = []
    for language in ("vi", "en"):
        with translation.override(language):
            lines.append(error.message)
    return " / ".join(lines)
