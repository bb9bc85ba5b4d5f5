"""The ``motcua`` console script.

Own subcommands (``due``) are parsed here; everything else is a Django management command
(``motcua migrate``, ``motcua setup``, ``motcua serve`` …).
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    if argv and argv[0] == "due":
        return _run_own(argv)
    if argv and not argv[0].startswith("-"):
        argv[0] = argv[0].replace("-", "_")  # "motcua issue-token" runs command issue_token
    from django.core.management import execute_from_command_line

    execute_from_command_line(["motcua", *argv])
    return 0


def _run_own(argv: list[str]) -> int:
    import django

    django.setup()
    from motcua.deadlines import cli as deadlines_cli

    parser = argparse.ArgumentParser(prog="motcua")
    subparsers = parser.add_subparsers(dest="command", required=True)
    deadlines_cli.add_parser(subparsers)
    args = parser.parse_args(argv)
    return int(deadlines_cli.run(args))


if __name__ == "__main__":
    sys.exit(main())
