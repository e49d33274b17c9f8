"""Picture settings on real ffmpeg: ISP brightness shows in the frames, rotation turns them, the
night profile makes them grey, and a change restarts only the camera it is for."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image, ImageChops, ImageStat

from securitycam.appliance import Appliance
from securitycam.bus import NIGHT_MODE
from securitycam.imaging import mean_brightness
from securitycam.recorder.process import RUNNING
from tests.conftest import PASSWORD, started_with_cameras
from tests.recorder.conftest import Live, wait_for

SMALL = {"width": 160, "height": 96, "fps": 10, "segment_seconds": 1, "frame_rate": 4, "ring_seconds": 5}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    app = started_with_cameras(tmp_path_factory.mktemp("picture"),
                               [{"name": "tuned", **SMALL}, {"name": "other", **SMALL}])
    appliance: Appliance = app.extensions["securitycam"]
    client = app.test_client()
    token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    live = Live(app, appliance, client)
    for name in ("tuned", "other"):
        wait_for(lambda name=name: fresh_frame(live, name, 0.0), timeout=20)
    yield live
    appliance.stop()


def fresh_frame(live: Live, camera: str, after: float) -> bytes | None:
    """The camera's latest JPEG if a recorder started after ``after`` (wall time) wrote it."""
    recorder = live.appliance.recorder.cameras.get(camera)
    if recorder is None or recorder.state != RUNNING or (recorder.supervisor.started_at or 0) <= after:
        return None
    try:
        if recorder.frame_path.stat().st_mtime <= recorder.supervisor.started_at:
            return None
    except OSError:
        return None
    return recorder.latest_frame()


def restarted_frame(live: Live, camera: str, before_pid: int | None) -> bytes:
    """Wait for ``camera``'s recorder to run a new ffmpeg (not ``before_pid``), then for its frame."""
    recorder_of = live.appliance.recorder.cameras
    wait_for(lambda: camera in recorder_of and recorder_of[camera].supervisor.pid not in (None, before_pid))
    started = recorder_of[camera].supervisor.started_at or 0.0
    return wait_for(lambda: fresh_frame(live, camera, started - 0.001))  # type: ignore[return-value]


def pid(live: Live, camera: str) -> int:
    """The camera's ffmpeg, once it runs (just after a restart there is none for a moment)."""
    return wait_for(lambda: (recorder := live.appliance.recorder.cameras.get(camera)) is not None
                    and recorder.state == RUNNING and recorder.supervisor.pid)  # type: ignore[return-value]


def colourfulness(frame: bytes) -> float:
    """Mean distance of the chroma planes from neutral grey (0 for a grey picture)."""
    _, blue, red = Image.open(io.BytesIO(frame)).convert("YCbCr").split()
    return sum(ImageStat.Stat(Image.eval(plane, lambda value: abs(value - 128))).mean[0] for plane in (blue, red))


def test_brightness_rises_in_the_frames_and_only_that_camera_restarts(pair: Live):
    before = mean_brightness(pair.appliance.recorder.cameras["tuned"].latest_frame())
    other_pid, tuned_pid = pid(pair, "other"), pid(pair, "tuned")
    answer = pair.client.post("/isp_settings", json={"camera": "tuned", "brightness": 0.5})
    assert answer.status_code == 200, answer.json
    frame = restarted_frame(pair, "tuned", tuned_pid)
    assert mean_brightness(frame) > before + 40
    assert pid(pair, "other") == other_pid  # the other camera's ffmpeg never stopped
    # And back: darker than the bright picture again.
    bright_pid = pid(pair, "tuned")
    pair.client.post("/isp_settings", json={"camera": "tuned", "brightness": -0.5})
    assert mean_brightness(restarted_frame(pair, "tuned", bright_pid)) < before - 40
    assert pid(pair, "other") == other_pid


def test_rotation_turns_the_frames(pair: Live):
    tuned_pid, other_pid = pid(pair, "tuned"), pid(pair, "other")
    answer = pair.client.post("/stream_settings?camera=tuned", json={"RotationAngle": 90})
    assert answer.status_code == 200, answer.json
    width, height = Image.open(io.BytesIO(restarted_frame(pair, "tuned", tuned_pid))).size
    assert (width, height) == (96, 160)
    assert pid(pair, "other") == other_pid
    assert pair.client.get("/settings").json["Cameras"][0]["rotation"] == 90


def test_night_profile_makes_the_picture_grey_and_is_announced(pair: Live):
    pair.client.post("/isp_settings", json={"camera": "tuned", "brightness": 0})
    wait_for(lambda: pair.appliance.recorder.cameras["tuned"].camera.isp.brightness == 0)
    day_pid = pid(pair, "tuned")
    day = wait_for(lambda: fresh_frame(pair, "tuned", 0.0))
    assert colourfulness(day) > 20
    other_pid = pid(pair, "other")
    assert pair.client.post("/night_mode", json={"camera": "tuned", "mode": "on"}).status_code == 200
    night = restarted_frame(pair, "tuned", day_pid)
    assert colourfulness(night) < min(5, colourfulness(day) / 4)
    assert pid(pair, "other") == other_pid
    announced = [event.data for event in pair.appliance.bus.recent(NIGHT_MODE)]
    assert {"camera": "tuned", "active": True, "reason": "night mode is forced on"} in announced
    state = pair.client.get("/system_info").json["night_mode"]["cameras"]["tuned"]
    assert state["active"] is True and state["enabled"] is True
    # Off again: colour comes back.
    night_pid = pid(pair, "tuned")
    pair.client.post("/night_mode", json={"camera": "tuned", "mode": "off"})
    assert colourfulness(restarted_frame(pair, "tuned", night_pid)) > 20


def test_auto_night_mode_follows_the_picture_brightness(pair: Live):
    """A dark picture (brightness -0.8) turns night on by itself; a light one turns it off again."""
    tuned_pid = pid(pair, "tuned")
    pair.client.post("/isp_settings", json={"camera": "tuned", "brightness": -0.8})
    restarted_frame(pair, "tuned", tuned_pid)
    pair.client.post("/night_mode", json={"camera": "tuned", "mode": "auto", "check_seconds": 2,
                                          "min_switch_seconds": 0})
    state = wait_for(lambda: (s := pair.client.get("/night_mode?camera=tuned").json)["active"] and s)
    assert state["reason"].startswith("dark") and state["brightness"] < 40
    # The night profile keeps its own brightness: give it a light one, and day comes back.
    pair.client.post("/isp_settings", json={"camera": "tuned", "profile": "night", "brightness": 0.6})
    pair.client.post("/isp_settings", json={"camera": "tuned", "brightness": 0.6})
    state = wait_for(lambda: not (s := pair.client.get("/night_mode?camera=tuned").json)["active"] and s,
                     timeout=30)
    assert state["reason"].startswith("light")


def test_detection_frames_of_a_turned_camera_are_turned_too(tmp_path):
    """A landscape camera turned 90 degrees: detection gets portrait frames of the picture as
    recorded (its detect size turned), not the turned picture squeezed into the landscape size."""
    app = started_with_cameras(tmp_path, [{"name": "porch", **SMALL, "rotation": 90,
                                           "detect": {"enabled": True, "detector": "none", "width": 160,
                                                      "height": 96, "fps": 4}}])
    appliance: Appliance = app.extensions["securitycam"]
    try:
        recorder = appliance.recorder.cameras["porch"]
        jpeg = wait_for(lambda: recorder.latest_frame(), timeout=20)
        frame = wait_for(lambda: recorder.frames.next_frame(1.0), timeout=20)
        assert (frame.width, frame.height) == (96, 160)
        # The same picture as the recorded one (the latest JPEG, also turned), pixel for pixel.
        recorded = Image.open(io.BytesIO(jpeg)).convert("L")
        assert recorded.size == (96, 160)
        detected = Image.frombytes("L", (frame.width, frame.height), frame.gray.tobytes())
        # Coarse, as the pattern moves between the two: about 18 apart here, 75 with one upside down.
        coarse = [picture.resize((12, 20), Image.Resampling.BOX) for picture in (recorded, detected)]
        difference = ImageStat.Stat(ImageChops.difference(*coarse)).mean[0]
        assert difference < 40, difference
    finally:
        appliance.stop()
