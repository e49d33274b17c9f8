"""Debian's Chromium under Playwright, for the dashboard's browser tests and bench/dashboard_paint.py.

Playwright's own browser download does not work here (nor is it needed): ``executable_path`` points
at ``/usr/bin/chromium``, with the flags it needs to run headless as root without reaching out.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
