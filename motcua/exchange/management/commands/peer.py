"""``motcua peer …``: register, list, pause and ping the systems we exchange with."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.errors import InvalidInputs, MotcuaError
from motcua.exchange import selectors, services
from motcua.exchange.models import PeerKind


class Command(BaseCommand):
    # Operators run ``motcua check --deploy``; this command starts without the whole check run.
    requires_system_checks: list[str] = []
    help = "Quản lý hệ thống liên thông (Cổng DVCQG, tỉnh bạn, thanh toán)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="thêm hoặc cập nhật một hệ thống")
        add.add_argument("code", help="mã hệ thống, ví dụ tinh-binh-dinh")
        add.add_argument("--name", required=True)
        add.add_argument("--kind", required=True, choices=PeerKind.values)
        add.add_argument("--url", required=True, help="địa chỉ gốc, ví dụ https://motcua.tinh.vn")
        add.add_argument("--secret", required=True, help="khóa bí mật dùng chung (HMAC)")
        add.add_argument("--agency", action="append", default=[], help="mã định danh cơ quan")
        sub.add_parser("list", help="liệt kê các hệ thống và số tin theo trạng thái")
        for name, text in (
            ("disable", "tạm ngừng"),
            ("enable", "kết nối lại"),
            ("ping", "gửi tin thử"),
        ):
            sub.add_parser(name, help=text).add_argument("code")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except InvalidInputs as error:
            raise CommandError(
                "; ".join(f"{e.field}: {e.message}" for e in error.errors)
            ) from error
        except MotcuaError as error:
            raise CommandError(error.message) from error

    def _add(self, options: dict[str, Any]) -> None:
        peer = services.register_peer(
            code=options["code"],
            name=options["name"],
            kind=options["kind"],
            base_url=options["url"],
            secret=options["secret"],
            agency_codes=options["agency"],
            actor="cli",
        )
        self.stdout.write(f"{peer.code}: {peer.base_url}")

    def _list(self, options: dict[str, Any]) -> None:
        for row in selectors.peer_overview():
            counts = ", ".join(f"{state} {n}" for state, n in row.counts.items() if n)
            status = "" if row.peer.active else " (tạm ngừng)"
            self.stdout.write(
                f"{row.peer.code}{status}\t{row.peer.kind}\t{row.peer.base_url}\t"
                f"outbox: {counts or '-'}\tinbox: {row.inbox}"
            )

    def _disable(self, options: dict[str, Any]) -> None:
        services.set_peer_active(options["code"], False, actor="cli")
        self.stdout.write(f"{options['code']}: tạm ngừng")

    def _enable(self, options: dict[str, Any]) -> None:
        services.set_peer_active(options["code"], True, actor="cli")
        self.stdout.write(f"{options['code']}: đang kết nối")

    def _ping(self, options: dict[str, Any]) -> None:
        message = services.ping_peer(options["code"], actor="cli")
        self.stdout.write(f"tin {message.pk} ({message.message_id}) chờ tiến trình nền gửi")
