"""Browser tests (test-only): the whole flow driven in Debian's Chromium through Playwright.

``launch_chromium`` is shared by the tests (``motcua/e2e/conftest.py``) and by
``scripts/screenshots.py``. Playwright's own browser downloads are never used (``playwright
install`` needs the network): the ``chromium`` package that ``make system-deps`` installs is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
# Headless in a container: no sandbox (no user namespaces), no GPU, and nothing that reaches
# out to the network on its own (updates, sync, field trials).
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
# Pages render PDFs and wait on a second request to the server (the payment IPN): a loaded
# machine (the suite runs on two workers) gets more than Playwright's default 5 s.
TIMEOUT_MS = 15_000
MISSING_CHROMIUM = (
    f"{CHROMIUM} is missing: run `make system-deps` (it installs Debian's chromium package)"
)
# The browser's own widgets (date fields, file pickers) speak Vietnamese and write dates
# dd/mm/yyyy when Debian's chromium-l10n is installed and LANGUAGE says so.
VIETNAMESE_PAK = Path("/usr/lib/chromium/locales/vi.pak")


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, in Vietnamese where its translations are installed."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=list(LAUNCH_ARGS),
        env={**os.environ, "LANGUAGE": "vi"},
    )
