"""``motcua subject-copy ID_NUMBER [--output FILE] [--purpose TEXT]``: the data subject's copy
of their data, as JSON (Decree 13/2023/NĐ-CP Art. 14); recorded and audited."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.errors import MotcuaError
from motcua.core.privacy import mask_id_number
from motcua.privacy import services

DEFAULT_PURPOSE = "Yêu cầu cung cấp dữ liệu cá nhân của chủ thể dữ liệu"


class Command(BaseCommand):
    help = "Write everything held under a 12-digit ID number to a JSON file (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id_number", help="the subject's 12-digit personal ID number")
        parser.add_argument(
            "--output", help="file to write (default: subject-copy-<masked ID>.json here)"
        )
        parser.add_argument("--purpose", default=DEFAULT_PURPOSE, help="why, for the record")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            copy = services.subject_copy(
                options["id_number"],
                actor=f"operator:{getpass.getuser()}",
                purpose=options["purpose"],
            )
        except MotcuaError as error:
            raise CommandError(f"{error.field}: {error.message}") from error
        masked = mask_id_number(copy["subject"]["id_number"]).replace("*", "x")
        path = Path(options["output"] or f"subject-copy-{masked}.json")
        path.write_text(json.dumps(copy, ensure_ascii=False, indent=2), encoding="utf-8")
        path.chmod(0o600)
        self.stdout.write(f"{len(copy['dossiers'])} dossier(s) written to {path}")
