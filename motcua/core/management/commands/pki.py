"""``motcua pki init``: the development CA and the signing certificates (keys encrypted)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.pki import store


class Command(BaseCommand):
    help = "Hạ tầng ký số: tạo CA thử nghiệm, chứng thư số của cơ quan và lãnh đạo (init)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("init", help="create the CA and every missing certificate")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] != "init":
            raise CommandError(f"unknown subcommand {options['subcommand']}")
        summary = store.init_pki()
        self.stdout.write(
            f"Ký số ({store.pki_dir()}): CA {'mới tạo' if summary.ca_created else 'đã có'}; "
            f"cơ quan {summary.agencies_created} mới / {summary.agencies_total}; "
            f"lãnh đạo {summary.people_created} mới / {summary.people_total}."
        )
