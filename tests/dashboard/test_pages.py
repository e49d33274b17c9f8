"""The events, sensors, Bluetooth, storage, stats, logs and settings pages in Chromium, against a
live ``securitycam serve`` (fixtures in ``conftest.py``): a sensor configured from the picker, an
event's HLS playlist played by the page's hls.js from its first to its last second, a viewer who
sees no admin control, the camera's picture tuned from the settings page, and every page at phone
and desktop width."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.served import PASSWORD, SMALL_CAMERA, Served
from tests.waiting import wait_for

# A page and what shows it has loaded its data (not just its shell).
PAGES = {
    "events": "#events-summary:not(:text('Loading…'))",
    "sensors": "[data-sensor]",
    "bluetooth": "#anyone-home:not(:text('…'))",
    "storage": "#kind-table tbody tr",
    "stats": "#chart-events .uplot",
    "logs": "#log-lines li",
    "settings": "#tfa-status:not(:text('…'))",
}


def api(server: Served, method: str, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
    answer = requests.request(method, f"{server.base}{path}", headers=server.headers, timeout=10, **kwargs)
    assert answer.ok, f"{method} {path}: {answer.status_code} {answer.text}"
    return answer


def test_a_sensor_is_configured_from_the_picker(admin_page: Page, server: Served,
                                               shoot: Callable[[Page, str], list[Path]]) -> None:
    page = admin_page
    page.goto("/ui/sensors/")
    page.get_by_role("button", name="Add a sensor").click()
    page.get_by_role("radio", name=re.compile("reed switch", re.I)).check()
    # The type's wiring table and calibration controls, rendered from GET /sensor/types.
    wiring = page.locator("#wiring-table")
    expect(wiring).to_contain_text("GPIO 22")
    expect(page.get_by_label("GPIO (BCM number)")).to_have_value("22")
    bounce = page.get_by_label("Debounce time (ms)", exact=True)
    expect(bounce).to_be_visible()
    page.get_by_label("Name").fill("Front door")
    page.get_by_label("GPIO (BCM number)").fill("23")
    bounce.fill("30")
    page.get_by_label("Hold after release (s)").fill("4")
    shoot(page, "sensors-picker")
    page.get_by_role("button", name="Test wiring").click()
    reading = api(server, "POST", "/sensor/test", json={"type": "reed_switch", "gpio": 23}).json()
    meaning = "triggered" if reading["would_trigger"] else "quiet"
    expect(page.locator("#test-result")).to_have_text(f"GPIO 23 reads {reading['level']}: this level means {meaning}.")
    page.get_by_role("button", name="Save sensor").click()
    card = page.locator("[data-sensor]", has=page.get_by_role("heading", name="Front door"))
    expect(card).to_be_visible()
    expect(card).to_contain_text("GPIO 23")
    expect(card.locator("[data-state]")).to_have_text("Armed, quiet")

    saved = next(s for s in api(server, "GET", "/sensors").json()["sensors"] if s["config"]["name"] == "Front door")
    assert saved["config"] | {"id": None} == saved["config"] | {
        "id": None, "type": "reed_switch", "gpio": 23, "hold_seconds": 4.0, "enabled": True, "camera": "cam",
    }
    assert saved["config"]["calibration"] == {"bounce_ms": 30}

    # A refused value is shown and its field focused, nothing saved.
    api(server, "POST", "/sensors", json={"type": "pir", "gpio": 17, "name": "Hall"})
    page.get_by_role("button", name="Edit Front door").click()
    page.get_by_label("GPIO (BCM number)").fill("17")
    page.get_by_role("button", name="Save sensor").click()
    expect(page.locator("#form-error")).to_contain_text("17")
    sensors = api(server, "GET", "/sensors").json()["sensors"]
    assert next(s for s in sensors if s["config"]["name"] == "Front door")["config"]["gpio"] == 23


def test_sensor_state_is_live(admin_page: Page, server: Served) -> None:
    page = admin_page
    page.goto("/ui/sensors/")
    mock = page.locator("[data-sensor]", has=page.get_by_text("mock", exact=True))
    expect(mock.locator("[data-state]")).to_have_text("Armed, quiet")
    api(server, "POST", "/sensor/mock/trigger")
    try:
        expect(mock.locator("[data-state]")).to_have_text("Triggered")  # from SSE sensor_state, no reload
    finally:
        api(server, "POST", "/sensor/mock/release")


def finished_event(server: Served) -> dict:
    """Trigger and release the mock sensor (no hold), and wait until the event's clip is made."""
    mock = next(s for s in api(server, "GET", "/sensors").json()["sensors"] if s["config"]["type"] == "mock")
    api(server, "PATCH", f"/sensors/{mock['id']}", json={"hold_seconds": 0})
    event_id = api(server, "POST", "/sensor/mock/trigger").json()["sensor"]["event_id"]
    time.sleep(4)  # the event's length: footage the playlist must hold from its first to its last second
    api(server, "POST", "/sensor/mock/release")
    return wait_for(lambda: (e := api(server, "GET", f"/api/events/{event_id}").json())["has_clip"] and e, 40,
                    what="the event's clip")  # type: ignore[return-value]


def test_an_event_plays_through_hls_from_first_to_last_second(admin_page: Page, server: Served,
                                                                shoot: Callable[[Page, str], list[Path]]) -> None:
    event = finished_event(server)
    page = admin_page
    page.goto("/ui/events/")
    item = api(server, "GET", f"/api/review/event/{event['id']}").json()
    entry = page.locator(f"[data-entry='r:{item['id']}']")
    expect(entry).to_be_visible()
    entry.click()
    if len(item["data"]["detections"]) > 1:  # the item gathered an earlier test's event too: a tab each
        page.locator(f"#event-tabs [data-event='{event['id']}']").click()
    video = page.locator("#event-video")
    expect(video).to_have_attribute("data-event", event["id"])
    # hls.js (loaded by this page only) attaches a MediaSource: the video has its playlist's duration.
    wait_for(lambda: page.evaluate("() => document.getElementById('event-video').duration > 0"), 20,
             what="the playlist")
    shoot(page, "events-player")
    played = page.evaluate("""() => new Promise((resolve) => {
        const video = document.getElementById('event-video');
        video.addEventListener('ended',
            () => resolve({ended: true, time: video.currentTime, duration: video.duration}));
        video.addEventListener('error', () => resolve({error: video.error && video.error.message}));
        video.playbackRate = 4;
        video.play();
    })""")
    assert played.get("ended"), played
    playlist = api(server, "GET", f"/vod/event/{event['id']}/index.m3u8").text
    played["playlist"] = playlist
    camera = SMALL_CAMERA
    expected = event["end_time"] - event["start_time"] + camera["pre_capture"] + camera["post_capture"]
    # Whole segments: up to one more at each end; the player reached the last second.
    segment = camera["segment_seconds"]
    assert expected - segment <= played["duration"] <= expected + 2 * segment + 0.5, played
    assert played["time"] == pytest.approx(played["duration"], abs=0.3)
    assert page.locator("#event-video-error").is_hidden()


def test_the_live_view_plays_hls_through_the_shared_player(admin_page: Page, server: Served) -> None:
    """MediaMTX does not run here: ``/cameras`` is answered as if it did, its HLS URL the playlist of a
    kept event (then one that is not there, 404), to drive the live page's player."""
    event = finished_event(server)
    page = admin_page
    cameras = api(server, "GET", "/cameras").json()

    def live_at(playlist: str) -> None:
        shown = {**cameras, "cameras": [{**camera, "live": {"hls": playlist}, "stream_ready": True}
                                        for camera in cameras["cameras"]]}
        page.unroute("**/cameras")
        page.route("**/cameras", lambda route: route.fulfill(json=shown))

    live_at(f"/vod/event/{event['id']}/index.m3u8")
    page.goto("/ui/")
    card = page.locator("section.camera[data-camera='cam']")
    expect(card.locator("video.stream")).to_be_visible()
    expect(card.locator("img.frame")).to_be_hidden()
    wait_for(lambda: page.evaluate("() => document.querySelector('video.stream').duration > 0"), 20,
             what="the stream's playlist")
    # A stream that cannot play: the latest frame instead, refreshed.
    live_at("/vod/event/no-such-event/index.m3u8")
    page.reload()
    frame = card.locator("img.frame")
    expect(frame).to_be_visible()
    expect(card.locator("video.stream")).to_be_hidden()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=frame.element_handle(), timeout=30_000)


def test_mark_as_reviewed(admin_page: Page, server: Served) -> None:
    event = finished_event(server)
    item = api(server, "GET", f"/api/review/event/{event['id']}").json()
    page = admin_page
    page.goto("/ui/events/")
    row = page.locator("li", has=page.locator(f"[data-entry='r:{item['id']}']"))
    row.get_by_role("button", name=re.compile("Mark as reviewed")).click()
    expect(row.get_by_role("button", name=re.compile("^Reviewed"))).to_have_attribute("aria-pressed", "true")
    unreviewed = {i["id"] for i in api(server, "GET", "/api/review").json()}
    assert item["id"] not in unreviewed
    # "Unreviewed" (the default filter) hides it after a reload; "All" shows it.
    page.reload()
    expect(page.locator(f"[data-entry='r:{item['id']}']")).to_have_count(0)
    page.locator("#f-reviewed").select_option("all")
    expect(page.locator(f"[data-entry='r:{item['id']}']")).to_be_visible()


def test_a_viewer_sees_no_admin_controls(viewer_page: Page, shoot: Callable[[Page, str], list[Path]]) -> None:
    page = viewer_page
    page.goto("/ui/settings/")
    expect(page.locator("html")).to_have_attribute("data-role", "viewer")
    expect(page.get_by_role("heading", name="Your password")).to_be_visible()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    for admin_only in ("API token", "API keys", "Users", "Cameras", "Picture", "System"):
        expect(page.get_by_role("heading", name=admin_only, exact=True)).to_be_hidden()
    expect(page.get_by_role("button", name="Restart the service")).to_be_hidden()
    assert page.locator("[data-admin]:visible").count() == 0
    shoot(page, "settings-viewer")
    for name in ("sensors", "storage", "bluetooth", "events"):
        page.goto(f"/ui/{name}/")
        page.wait_for_selector(PAGES[name], state="attached")
        assert page.locator("[data-admin]:visible").count() == 0, name
    # A viewer reads the sensors but cannot add or change one.
    page.goto("/ui/sensors/")
    expect(page.locator("[data-sensor]").first).to_be_visible()
    expect(page.get_by_role("button", name="Add a sensor")).to_be_hidden()


def test_two_factor_enrolment_shows_a_qr_code(admin_page: Page) -> None:
    page = admin_page
    page.goto("/ui/settings/")
    page.get_by_label("Your password (to turn it on)").fill("wrong password")
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.locator("#tfa-error")).to_be_visible()
    page.get_by_label("Your password (to turn it on)").fill(PASSWORD)
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.locator("#tfa-secret")).to_have_text(re.compile(r"^[A-Z2-7 ]{16,}$"))
    # The QR code is drawn in the page (a canvas with dark and light modules), not fetched.
    drawn = page.evaluate("""() => {
        const canvas = document.getElementById('tfa-qr');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let dark = 0, light = 0;
        for (let i = 0; i < pixels.length; i += 4) (pixels[i + 3] > 0 && pixels[i] < 128 ? dark++ : light++);
        return {size: canvas.width, dark, light};
    }""")
    assert drawn["size"] >= 21 and drawn["dark"] > 50 and drawn["light"] > 50, drawn


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_at_phone_and_desktop_width(admin_page: Page, name: str,
                                               shoot: Callable[[Page, str], list[Path]]) -> None:
    page = admin_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"/ui/{name}/")
    page.wait_for_selector(PAGES[name], state="attached")
    for shot in shoot(page, name):
        assert shot.stat().st_size > 10_000, shot
    assert errors == []
    # Every form control has a name a screen reader can say.
    unnamed = page.evaluate("""() => [...document.querySelectorAll('main input, main select, main button')]
        .filter((el) => el.offsetParent !== null && !el.labels?.length && !el.getAttribute('aria-label')
                && !el.textContent.trim() && !el.getAttribute('aria-labelledby') && !el.title)
        .map((el) => el.outerHTML.slice(0, 80))""")
    assert unnamed == []


def test_the_picture_is_tuned_from_the_settings_page(admin_page: Page, server: Served,
                                                     shoot: Callable[[Page, str], list[Path]]) -> None:
    page = admin_page
    page.goto("/ui/settings/")
    brightness = page.get_by_label(re.compile("^Brightness"))
    expect(brightness).to_have_value("0")
    brightness.fill("0.5")  # a slider let go at 0.5: saved through POST /isp_settings
    wait_for(lambda: api(server, "GET", "/isp_settings?camera=cam").json()["brightness"] == 0.5,
             what="brightness 0.5 saved")
    page.get_by_label("Rotation (degrees)").select_option("180")
    wait_for(lambda: api(server, "GET", "/stream_settings?camera=cam").json()["rotation"] == 180,
             what="rotation 180 saved")
    # A refusal is shown under its control, which goes back to the saved value: night cannot begin
    # above the brightness where it ends (90).
    page.get_by_label(re.compile("^Night below brightness")).fill("200")
    expect(page.locator("#picture-dark_below-error")).to_contain_text("dark_below")
    expect(page.get_by_label(re.compile("^Night below brightness"))).to_have_value("40")
    assert api(server, "GET", "/night_mode?camera=cam").json()["settings"]["dark_below"] == 40
    shoot(page, "settings-picture")
    page.reload()
    expect(page.get_by_label(re.compile("^Brightness"))).to_have_value("0.5")
