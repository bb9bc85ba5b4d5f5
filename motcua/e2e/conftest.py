"""What the acceptance tests need from the system: Debian's Chromium (driven by Playwright)
and poppler's ``pdftotext``.

Without them a test fails under CI (``CI=true``) and is skipped elsewhere, both with the reason
and the fix (``make system-deps``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn

import pytest

from motcua.e2e import MISSING_CHROMIUM, TIMEOUT_MS, chromium_available, launch_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def missing(reason: str) -> NoReturn:
    """Fail under CI, where the system packages must be there; skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def close_connections_opened_beside_playwright() -> None:
    """While Playwright's event loop runs in the test's thread, the ORM calls of the test body
    get database connections of their own (Django keeps one per async context), which nothing
    else closes: PostgreSQL would then refuse to drop the test database at the end of the run
    ("being accessed by other users"). A connection inside a transaction belongs to the test's
    own database fixture and is left to it."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


@pytest.fixture
def pdftotext() -> str:
    """The path of poppler's ``pdftotext``."""
    path = shutil.which("pdftotext")
    if path is None:
        missing("pdftotext is missing: run `make system-deps` (it installs poppler-utils)")
    return path


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A headless Chromium for one test. It closes with the test, so that Playwright's event
    loop (under which Django refuses ORM calls) never outlives it."""
    if not chromium_available():
        missing(MISSING_CHROMIUM)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
            close_connections_opened_beside_playwright()
