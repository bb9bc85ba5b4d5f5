"""``motcua audit verify``: walk the audit hash chain; exit 1 at the first break."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from motcua.core import audit


class Command(BaseCommand):
    help = "Nhật ký kiểm toán: kiểm tra chuỗi băm (verify)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser(
            "verify",
            help="seal waiting entries, then check every audit entry against the hash chain "
            "(exit 1 on a break)",
        )
        subcommands.add_parser(
            "seal", help="seal the entries written since the last seal into the hash chain"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "seal":
            sealed = audit.seal_all()
            self.stdout.write(_("Đã niêm phong %(count)s bản ghi kiểm toán.") % {"count": sealed})
            return
        if options["subcommand"] != "verify":
            raise CommandError(f"unknown subcommand {options['subcommand']}")
        report = audit.verify_chain()
        # Operators read Vietnamese first; the English line follows for everyone else.
        for language in ("vi", "en"):
            with translation.override(language):
                if report.problem is None:
                    line = _(
                        "Chuỗi kiểm toán nguyên vẹn: %(count)s bản ghi, bản ghi cuối số "
                        "%(seq)s, mã băm %(hash)s."
                    ) % {"count": report.checked, "seq": report.head_seq, "hash": report.head_hash}
                else:
                    line = report.problem.message
            (self.stdout if report.ok else self.stderr).write(line)
        if not report.ok:
            sys.exit(1)
