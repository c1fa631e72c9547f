"""Debian's Chromium, driven by Playwright, for the browser tests: started once per module, or a skip that says why.

Never a browser that Playwright downloads: the tests use /usr/bin/chromium (``.ci/run`` installs the Debian package
where it is missing), or the one FFEMU_CHROMIUM names."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("FFEMU_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def launch() -> tuple[Any, Any]:
    """(playwright, browser), or pytest.skip with the reason no browser can start."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        pytest.skip(f"no browser tests: the playwright package is not installed ({exc}); pip install -e '.[test]'")
    if not CHROMIUM.exists():
        pytest.skip(f"no browser tests: {CHROMIUM} is missing (apt-get install chromium, or set FFEMU_CHROMIUM)")
    playwright = sync_playwright().start()
    try:
        return playwright, playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=60_000)
    except Error as exc:
        playwright.stop()
        pytest.skip(f"no browser tests: {CHROMIUM} did not start ({str(exc).splitlines()[0]})")


def keep_screenshot(page: Any, name: str, **options: Any) -> bytes:
    """A screenshot of the page; with UPDATE_SCREENSHOTS=1 it also replaces docs/screenshots/NAME.png (README shows
    them)."""
    image = page.screenshot(animations="disabled", **options)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(image)
    return image
