"""``motcua portal-sim``: the national portal's stand-in on 127.0.0.1 (``exchange/dvcqg/sim``)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.exchange.dvcqg import sim


class Command(BaseCommand):
    help = "Chạy bản giả lập Cổng DVCQG trên 127.0.0.1: nộp hồ sơ, nhận và hiển thị trạng thái."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8090, help="port on 127.0.0.1")
        parser.add_argument(
            "--target", default="http://127.0.0.1:8000", help="motcua's address, to file into"
        )
        parser.add_argument("--secret", required=True, help="the secret shared with motcua")

    def handle(self, *args: Any, **options: Any) -> None:
        server = sim.serve(options["port"], target=options["target"], secret=options["secret"])
        host, port = server.server_address[:2]
        # SIGTERM ends the loop like Ctrl-C, so that the port is released cleanly.
        signal.signal(signal.SIGTERM, lambda *_: _stop(server))
        self.stdout.write(f"Cổng DVCQG giả lập: http://{host!s}:{port} → {options['target']}")
        self.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def _stop(server: sim.PortalServer) -> None:
    import threading

    threading.Thread(target=server.shutdown, daemon=True).start()
