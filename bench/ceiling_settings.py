"""motcua's settings with the ceiling's URL: the same database, middleware and server."""

from motcua.settings import *  # noqa: F403

ROOT_URLCONF = "bench.ceiling"
