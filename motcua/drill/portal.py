"""The national portal's stand-in as the drill runs it: ``python -m motcua.drill.portal --port P
--target URL --secret S``.

The same stand-in as ``motcua portal-sim`` (``motcua.exchange.dvcqg.sim``, standard library
only), started without Django's start-up: the ``portal_down`` fault stops it and starts it
again, and it must be back within a fraction of a second, not after the seconds a full
``motcua`` command takes to load on a busy machine. SIGTERM ends it at once, port closed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from motcua.exchange.dvcqg import sim


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m motcua.drill.portal")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--secret", required=True)
    options = parser.parse_args(argv)
    # One line per request, as the drill's other processes log (no Django here to set it up).
    logging.basicConfig(
        level=os.environ.get("MOTCUA_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stdout,
    )
    server = sim.serve(options.port, target=options.target, secret=options.secret)
    sys.stdout.write(f"Cổng DVCQG giả lập: http://127.0.0.1:{options.port} → {options.target}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
