"""``motcua drill``: run a trial-operation scenario and write its evaluation report.

    motcua drill run SCENARIO [--target URL --tokens FILE] [--out DIR] [--factor N]
    motcua drill check SCENARIO       check a scenario file, list every error
    motcua drill list                 the shipped scenarios
    motcua drill tokens --out FILE    (on a drill instance) API keys for every demo officer

Without ``--target`` the drill starts its own motcua (gunicorn, throw-away data folder, drill
mode) and removes it at the end; with ``--target`` the server must run with ``MOTCUA_DRILL=1``
and ``--tokens`` is the file that ``motcua drill tokens`` wrote on it.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import InvalidInput, InvalidInputs, MotcuaError
from motcua.drill.scenario import load_scenario, shipped_scenarios


class Command(BaseCommand):
    help = "Diễn tập vận hành thử: chạy kịch bản, viết báo cáo đánh giá."
    requires_system_checks: list[str] = []  # a client of a server, not the server itself

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        run = commands.add_parser("run", help="run a scenario")
        run.add_argument("scenario", help="name of a shipped scenario or a YAML file")
        run.add_argument("--target", help="URL of a running motcua in drill mode")
        run.add_argument("--tokens", help="with --target: the file of `motcua drill tokens`")
        run.add_argument("--out", default="reports", help="folder of the report")
        # Read as text and checked with the other inputs: a bilingual error, exit status 1.
        run.add_argument("--factor", help="override the compression factor")
        run.add_argument("--workers", type=int, default=2, help="gunicorn workers (own server)")
        run.add_argument("--no-progress", action="store_true")
        run.add_argument(
            "--language", default="vi", help="language of the report and its findings: vi, en"
        )
        check = commands.add_parser("check", help="check a scenario file")
        check.add_argument("scenario")
        commands.add_parser("list", help="list the shipped scenarios")
        tokens = commands.add_parser("tokens", help="API keys for the demo officers (drill only)")
        tokens.add_argument("--out", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for name in shipped_scenarios():
                self.stdout.write(f"{name}: {load_scenario(name).title}")
        elif action == "check":
            scenario = self._load(options["scenario"])
            self.stdout.write(f"{scenario.name}: OK ({len(scenario.groups)} nhóm đơn vị)")
        elif action == "tokens":
            self._tokens(Path(options["out"]))
        else:
            self._run(options)

    def _load(self, name: str) -> Any:
        try:
            return load_scenario(name)
        except InvalidInputs as error:
            raise CommandError(bilingual(error)) from error

    def _tokens(self, out: Path) -> None:
        from django.conf import settings

        from motcua.drill.staff import issue_drill_tokens

        if not settings.MOTCUA_DRILL:
            raise CommandError("Chỉ cấp khóa hàng loạt trên máy chủ diễn tập (MOTCUA_DRILL=1).")
        tokens = issue_drill_tokens()
        out.write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")
        out.chmod(0o600)
        self.stderr.write(f"{len(tokens['units'])} đơn vị → {out}")

    def _run(self, options: dict[str, Any]) -> None:
        from motcua.drill.runner import run_drill

        language = options["language"]
        if language not in ("vi", "en"):
            unknown = InvalidInput(
                _("“%(name)s” phải là vi hoặc en."), field="--language", code="choice",
                name="--language",
            )  # fmt: skip
            raise CommandError(bilingual(unknown))
        scenario = self._load(options["scenario"])
        if options["target"] and not options["tokens"]:
            missing = InvalidInput(
                _("--target cần --tokens (tệp do `motcua drill tokens` tạo ra)."),
                field="--tokens",
                code="required",
            )
            raise CommandError(bilingual(missing))
        tokens = None
        if options["tokens"]:
            tokens = read_tokens(Path(options["tokens"]))
        factor = None
        if options["factor"] is not None:
            try:
                factor = float(options["factor"])
            except ValueError:
                not_a_number = InvalidInput(
                    _("“%(name)s” phải là một số, vd. 12 hoặc 1.5."),
                    field="--factor",
                    code="number",
                    name="--factor",
                )
                raise CommandError(bilingual(not_a_number)) from None
        # Stopped by its operator or a service manager (SIGTERM): as for Ctrl-C, the drill's
        # own server, worker, gateway and portal are stopped before the command ends.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            with translation.override(language):
                result = run_drill(
                    scenario,
                    target=options["target"],
                    tokens=tokens,
                    out=Path(options["out"]),
                    factor=factor,
                    workers=options["workers"],
                    progress=not options["no_progress"],
                )
        except MotcuaError as error:
            raise CommandError(bilingual(error)) from error
        except KeyboardInterrupt:
            stopped = MotcuaError(
                _("Diễn tập bị dừng giữa chừng: máy chủ của nó đã tắt, không có báo cáo."),
                code="interrupted",
            )
            raise CommandError(bilingual(stopped), returncode=130) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
        with translation.override(language):
            self.stdout.write(result.summary_line())
            for finding in result.report["findings"]:
                self.stdout.write(f"- {finding['text']}")
            self.stdout.write(str(_("Báo cáo: %(path)s") % {"path": result.html_path}))


def _interrupt(signum: int, frame: object) -> None:
    # As Ctrl-C: while the drill runs, asyncio's own SIGINT handler cancels it cleanly (a
    # KeyboardInterrupt raised here would land in whichever task runs and be logged as lost).
    signal.raise_signal(signal.SIGINT)


def bilingual(error: MotcuaError) -> str:
    """The error in Vietnamese, then in English (as ``motcua audit verify`` prints), each item
    with its field and its machine code."""
    lines = []
    for language in ("vi", "en"):
        with translation.override(language):
            items = error.errors if isinstance(error, InvalidInputs) else []
            head = f"{error.field}: " if error.field and not items else ""
            lines.append(f"{head}{error.message} [{error.code}]")
            lines += [f"  {item.field}: {item.message} [{item.code}]" for item in items]
            logs = getattr(error, "logs", None)
            if logs is not None:
                lines.append(str(_("Nhật ký máy chủ diễn tập: %(path)s") % {"path": logs}))
    return "\n".join(lines)


def read_tokens(path: Path) -> dict[str, Any]:
    """The file of ``motcua drill tokens``, or an error naming ``--tokens``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(
            bilingual(
                InvalidInput(
                    _("Không đọc được tệp khóa “%(path)s” (--tokens): %(error)s."),
                    field="--tokens",
                    code="unreadable",
                    path=str(path),
                    error=type(error).__name__,
                )
            )
        ) from error
    except ValueError as error:
        data = error
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("units"), dict)
        or not data.get("admin")
    ):
        raise CommandError(
            bilingual(
                InvalidInput(
                    _("Tệp “%(path)s” (--tokens) không phải tệp do `motcua drill tokens` tạo ra."),
                    field="--tokens",
                    code="tokens_format",
                    path=str(path),
                )
            )
        )
    return data
