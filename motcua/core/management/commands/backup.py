"""``motcua backup DEST``: the database and the files in one archive with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.core import backup


class Command(BaseCommand):
    help = "Sao lưu cơ sở dữ liệu và tệp (media, pki) vào một tệp lưu trữ có bảng kê."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", help="archive file to write, or a folder to write it in")

    def handle(self, *args: Any, **options: Any) -> None:
        destination = Path(options["dest"])
        if options["dest"].endswith(("/", "\\")):
            destination.mkdir(parents=True, exist_ok=True)  # "DEST/" names a folder
        summary = backup.backup(destination)
        self.stdout.write(
            f"Đã sao lưu / backed up: {summary.path} — {summary.tables} bảng / tables, "
            f"{summary.rows} dòng / rows, {summary.files} tệp / files, {summary.size} byte."
        )
