"""The Done-when path of the dashboard: sign in, trigger the mock sensor, the Archive badge goes up
without a reload, the new clip appears in the archive, its sprite scrubs, it plays and seeks (HTTP
Range), and it can be locked and deleted. A viewer sees none of the admin controls."""

from __future__ import annotations

import shutil
import time

from playwright.sync_api import Page, expect

from tests.served import Served
from tests.waiting import wait_for


def make_clip(server: Served) -> str:
    """Trigger and release the mock sensor; the path of the clip the event made."""
    before = {item["path"] for item in server.get("/archive").json()["items"]}
    assert server.post("/sensor/mock/trigger").ok
    time.sleep(2.5)  # footage worth a sprite (a clip under 2 s gets none)
    assert server.post("/sensor/mock/release").ok

    def new_clip() -> str | None:
        fresh = [item for item in server.get("/archive").json()["items"] if item["path"] not in before]
        return fresh[0]["path"] if fresh and "sprite" in fresh[0] else None

    return str(wait_for(new_clip, 60, what="the clip of the mock sensor's event"))


def test_new_clip_raises_the_badge_then_scrubs_plays_and_is_deleted(admin_page: Page, server: Served, shoot) -> None:
    page = admin_page
    page.goto("/ui/archive/")  # the visit that makes what follows "new"
    page.goto("/ui/")
    badge = page.locator("#archive-badge")
    expect(badge).to_be_hidden()
    page.evaluate("window.__notReloaded = true")

    clip = make_clip(server)
    expect(badge).to_be_visible(timeout=20_000)
    expect(badge).to_have_text("1")
    assert page.evaluate("window.__notReloaded") is True  # SSE did it, not a reload
    shoot(page, "live-badge")

    page.get_by_role("link", name="Archive").click()
    tile = page.locator(f"li.tile[data-path='{clip}']")
    expect(tile).to_be_visible()
    expect(tile.locator(".tile-new")).to_have_text("New")
    expect(badge).to_be_hidden()  # seen

    thumb = tile.locator("button.thumb")
    box = thumb.bounding_box()
    assert box is not None
    with page.expect_response(lambda r: "/sprite?" in r.url) as sprite:
        page.mouse.move(box["x"] + box["width"] * 0.05, box["y"] + box["height"] / 2)
    assert sprite.value.status == 200
    expect(thumb).to_have_attribute("data-scrub-frame", "0")
    page.mouse.move(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2)
    expect(thumb).to_have_attribute("data-scrub-frame", "9")
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] / 2)
    expect(thumb).to_have_attribute("data-scrub-frame", "5")
    position = tile.locator(".scrub").evaluate("el => getComputedStyle(el).backgroundPosition")
    assert position.startswith("55.5"), position  # frame 5 of 0..9
    shoot(page, "archive")
    page.mouse.move(0, 0)
    expect(thumb).not_to_have_attribute("data-scrub-frame", "5")

    videos = []
    page.on("response", lambda response: videos.append(response) if "/video?" in response.url else None)
    thumb.click()
    video = page.locator("#viewer-video")
    expect(video).to_be_visible()
    page.wait_for_function("v => v.currentTime > 0.3 && !v.paused", arg=video.element_handle(), timeout=20_000)
    video.evaluate("v => { v.pause(); v.currentTime = v.duration - 0.5; }")
    page.wait_for_function("v => !v.seeking && v.currentTime > v.duration - 1", arg=video.element_handle())
    # The browser fetched the clip in ranges (HTTP Range answered with 206), so it could seek.
    assert any(r.status == 206 and r.request.headers.get("range", "").startswith("bytes=") for r in videos), [
        (r.status, r.request.headers.get("range")) for r in videos]
    shoot(page, "archive-player")

    page.get_by_role("button", name="Lock", exact=True).click()
    expect(page.get_by_role("button", name="Unlock")).to_have_attribute("aria-pressed", "true")
    listed = {item["path"]: item for item in server.get("/archive").json()["items"]}
    assert listed[clip]["locked"] is True
    expect(tile.locator(".tile-lock")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(tile).to_have_count(0)
    assert clip not in {item["path"] for item in server.get("/archive").json()["items"]}


def test_clip_made_while_on_the_archive_page_appears_at_the_top(admin_page: Page, server: Served) -> None:
    page = admin_page
    page.goto("/ui/archive/")
    expect(page.get_by_role("button", name="Clips")).to_have_attribute("aria-pressed", "true")
    page.evaluate("window.__notReloaded = true")
    clip = make_clip(server)
    first = page.locator("li.tile").first
    expect(first).to_have_attribute("data-path", clip, timeout=20_000)
    expect(first.locator(".tile-new")).to_be_visible()
    expect(page.locator("#archive-badge")).to_be_hidden()
    assert page.evaluate("window.__notReloaded") is True

    # By keyboard: arrows scrub the focused clip, Enter opens it, Escape closes it.
    thumb = first.locator("button.thumb")
    thumb.focus()
    page.keyboard.press("ArrowRight")
    expect(thumb).to_have_attribute("data-scrub-frame", "0")
    page.keyboard.press("ArrowRight")
    expect(thumb).to_have_attribute("data-scrub-frame", "1")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(thumb).to_have_attribute("data-scrub-frame", "0")
    page.keyboard.press("Enter")
    expect(page.locator("#viewer-video")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()
    expect(thumb).to_be_focused()  # the dialog gives focus back


def test_snapshots_and_timelapses_tabs(admin_page: Page, server: Served, shoot) -> None:
    path = server.post("/snapshot", json={"camera": "cam"}).json()["path"]
    timelapse = server.data_dir / "timelapse" / "timelapse_20260101.mp4"
    timelapse.parent.mkdir(exist_ok=True)
    shutil.copyfile(make_clip(server), timelapse)  # footage to play; the stitching has tests of its own
    page = admin_page
    page.goto("/ui/archive/")
    page.get_by_role("button", name="Snapshots").click()
    tile = page.locator(f"li.tile[data-path='{path}']")
    expect(tile).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=tile.locator("img").element_handle())
    shoot(page, "archive-snapshots")
    tile.locator("button.thumb").click()
    expect(page.locator("#viewer-image")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()

    page.get_by_role("button", name="Timelapses").click()
    tile = page.locator(f"li.tile[data-path='{timelapse}']")
    expect(tile).to_contain_text("2026-01-01")
    tile.locator("button.thumb").click()
    video = page.locator("#viewer-video")
    page.wait_for_function("v => v.currentTime > 0.3", arg=video.element_handle(), timeout=20_000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(tile).to_have_count(0)
    expect(page.locator("#archive-empty")).to_be_visible()
    assert not timelapse.exists()


def test_viewer_sees_no_admin_controls(viewer_page: Page, server: Served, shoot) -> None:
    server.post("/snapshot", json={"camera": "cam"})
    page = viewer_page
    page.goto("/ui/")
    expect(page.locator("#who")).to_have_text("watcher (viewer)")
    card = page.locator("section.camera").first
    expect(card.get_by_role("heading", name="cam")).to_be_visible()
    expect(card.get_by_role("button", name="Take a snapshot from cam")).to_be_hidden()
    expect(card.get_by_role("button", name="Record")).to_be_hidden()
    shoot(page, "live-viewer")

    page.goto("/ui/archive/")
    page.get_by_role("button", name="Snapshots").click()
    page.locator("li.tile button.thumb").first.click()
    expect(page.locator("#viewer")).to_be_visible()
    expect(page.get_by_role("link", name="Download")).to_be_visible()
    expect(page.locator("#viewer-delete")).to_be_hidden()
    expect(page.locator("#viewer-lock")).to_be_hidden()


def test_admin_sees_the_admin_controls(admin_page: Page) -> None:
    """The other side of the viewer test: the same controls are there for an admin."""
    admin_page.goto("/ui/")
    card = admin_page.locator("section.camera").first
    expect(card.get_by_role("button", name="Take a snapshot from cam")).to_be_visible()
    expect(card.get_by_role("button", name="Record")).to_be_visible()
