"""The live page: each camera's latest frame, refreshed; snapshot and manual recording buttons; the
recording state followed over SSE."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.served import Served


def test_live_view_shows_the_frame_and_records_on_demand(admin_page: Page, server: Served, shoot) -> None:
    page = admin_page
    page.goto("/ui/")
    card = page.locator("section.camera[data-camera='cam']")
    expect(card.get_by_role("heading", name="cam")).to_be_visible()
    frame = card.locator("img.frame")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=frame.element_handle(), timeout=30_000)
    first = frame.get_attribute("src")
    page.wait_for_function("([img, first]) => img.getAttribute('src') !== first",
                           arg=[frame.element_handle(), first], timeout=10_000)  # refreshed

    with page.expect_response(lambda r: r.url.endswith("/snapshot") and r.request.method == "POST") as answer:
        card.get_by_role("button", name="Take a snapshot from cam").click()
    assert answer.value.ok
    expect(page.locator("#toasts")).to_contain_text("Snapshot of cam saved")

    record = card.get_by_role("button", name="Record")
    record.click()
    # The state comes back over SSE (recording_state), not from the button's own answer.
    expect(card.locator(".state-text")).to_have_text("Recording")
    stop = card.get_by_role("button", name="Stop recording")
    expect(stop).to_have_attribute("aria-pressed", "true")
    shoot(page, "live")
    stop.click()
    expect(card.locator(".state-text")).to_have_text("Live", timeout=20_000)
    assert not server.get("/recording/status").json()["recording"]


def test_recording_started_elsewhere_shows_without_reload(admin_page: Page, server: Served) -> None:
    page = admin_page
    page.goto("/ui/")
    card = page.locator("section.camera[data-camera='cam']")
    expect(card.locator(".state-text")).to_have_text("Live", timeout=30_000)
    page.evaluate("window.__notReloaded = true")
    assert server.post("/recording/start", json={"camera": "cam"}).ok
    try:
        expect(card.locator(".state-text")).to_have_text("Recording")
    finally:
        assert server.post("/recording/stop", json={"camera": "cam"}).ok
    expect(card.locator(".state-text")).to_have_text("Live", timeout=20_000)
    assert page.evaluate("window.__notReloaded") is True
