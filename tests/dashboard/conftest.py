"""The dashboard's browser tests: a live ``securitycam serve`` (its own process, an ephemeral port,
a temporary data directory, the synthetic camera and the mock sensor) driven through Debian's
Chromium by Playwright for Python (see ``browser.py``).

Screenshots go under ``test-output/dashboard/`` (``SECURITYCAM_TEST_OUTPUT`` moves ``test-output``),
one per page at phone (390×844) and desktop (1280×800) width: ``shoot(page, "archive")``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.dashboard.browser import launch
from tests.served import PASSWORD, SMALL_CAMERA, Served, kill_strays
from tests.waiting import wait_for

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
VIEWER, VIEWER_PASSWORD = "watcher", "viewer-password-1"
OUTPUT = Path(os.environ.get("SECURITYCAM_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output"))
SHOTS = OUTPUT / "dashboard"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def camera_status(served: Served) -> dict:
    return next(camera for camera in served.get("/recording/status").json()["cameras"]
                if camera["name"] == SMALL_CAMERA["name"])


def footage_since_restart(served: Served, replaced_pid: int | None, seconds: float) -> Callable[[], bool]:
    """A predicate: the camera's ffmpeg is no longer ``replaced_pid`` and its new one has recorded
    ``seconds`` of footage."""
    started: list[float] = []

    def recorded() -> bool:
        camera = camera_status(served)
        if camera["state"] != "running" or camera["pid"] in (None, replaced_pid):
            return False
        started[:] = started or [time.time()]
        return (camera["last_segment_end"] or 0) >= started[0] + seconds

    return recorded


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One appliance for a test module: a small quick camera, the mock sensor, a viewer account."""
    data_dir = tmp_path_factory.mktemp("dashboard-data")
    served = Served(data_dir)
    try:
        served.wait_up()
        replaced = camera_status(served)["pid"]
        assert served.post("/settings", json={"Cameras": [SMALL_CAMERA]}).ok
        # The camera's ffmpeg restarts with these settings: a test's first trigger needs the new
        # one's footage (pre-capture, and 2 s for a sprite), which a loaded machine may take a while
        # to give. (Triggered too soon, the first clip came without a sprite and the test waited.)
        wait_for(footage_since_restart(served, replaced, seconds=4), 90, what="the small camera's footage")
        # A release ends the event at once: a clip is ready about post_capture seconds later.
        assert served.post("/sensor/configure", json={"type": "mock", "hold_seconds": 0}).ok
        created = served.post("/api/users", json={"username": VIEWER, "password": VIEWER_PASSWORD, "role": "viewer"})
        assert created.ok, created.text
        yield served
    finally:
        served.stop()
        kill_strays(data_dir)


def new_context(browser: Browser, server: Served, viewport: dict[str, int] = DESKTOP) -> BrowserContext:
    context = browser.new_context(base_url=server.base, viewport=viewport, reduced_motion="reduce")
    context.set_default_timeout(15_000)
    return context


def sign_in(context: BrowserContext, username: str = "admin", password: str = PASSWORD) -> None:
    """A session cookie for ``context`` without going through the login page (tests of other pages)."""
    answer = context.request.post("/auth/login", form={"username": username, "password": password})
    assert answer.ok, answer.text()


@pytest.fixture
def context(browser: Browser, server: Served) -> Iterator[BrowserContext]:
    context = new_context(browser, server)
    yield context
    context.close()


@pytest.fixture
def admin_page(context: BrowserContext) -> Page:
    """A page in a context signed in as ``admin``."""
    sign_in(context)
    return context.new_page()


@pytest.fixture
def viewer_page(context: BrowserContext) -> Page:
    """A page in a context signed in as a viewer."""
    sign_in(context, VIEWER, VIEWER_PASSWORD)
    return context.new_page()


@pytest.fixture
def shoot() -> Callable[[Page, str], list[Path]]:
    """``shoot(page, name)``: full-page screenshots of the page as it is, at phone and desktop width."""

    def take(page: Page, name: str) -> list[Path]:
        SHOTS.mkdir(parents=True, exist_ok=True)
        original = page.viewport_size
        written = []
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.wait_for_timeout(150)  # one layout pass after the resize
            target = SHOTS / f"{name}-{label}.png"
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
        if original:
            page.set_viewport_size(original)
        return written

    return take
