"""Night mode's decisions on a manual clock: hysteresis, the minimum time between switches, how
often frames are sampled, the schedule, the IR output on mock GPIO pins, and one bus message per
change. (tests/recorder/test_picture.py runs it on real ffmpeg frames.)"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from PIL import Image

from securitycam.bus import NIGHT_MODE, EventBus
from securitycam.clock import ManualClock
from securitycam.config import SettingsStore
from securitycam.nightmode import NightMode, in_window


def grey_jpeg(level: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (level, level, level)).save(out, "JPEG")
    return out.getvalue()


class CameraFrames:
    """A camera recorder as night mode sees it: its latest frame, and how often it was asked."""

    def __init__(self) -> None:
        self.level = 128
        self.reads = 0

    def latest_frame(self) -> bytes:
        self.reads += 1
        return grey_jpeg(self.level)


class Recorder:
    """The recorder's side of night mode: its cameras' frames and the profile switches asked."""

    def __init__(self) -> None:
        self.cameras = {"cam": CameraFrames()}
        self.switches: list[tuple[str, bool]] = []

    def set_night(self, camera: str, active: bool) -> None:
        self.switches.append((camera, active))


@pytest.fixture
def parts(tmp_path: Path):
    settings = SettingsStore(tmp_path / "settings.json")
    settings.update({"Sensors": [{"id": "door", "type": "mock", "gpio": None}]})
    recorder, bus, clock, pins = Recorder(), EventBus(), ManualClock(), MockFactory()
    hour = {"value": 12}
    night = NightMode(settings, recorder, bus, clock, pins,  # type: ignore[arg-type]
                      local_time=lambda _now: time.struct_time((2026, 1, 1, hour["value"], 30, 0, 3, 1, 0)))
    yield settings, recorder, bus, clock, pins, night, hour
    night.stop()


def night_settings(settings: SettingsStore, **night) -> None:
    settings.update({"Cameras": [{"name": "cam", "night": night}]})


def messages(bus: EventBus) -> list[dict]:
    return [event.data for event in bus.recent(NIGHT_MODE)]


def test_auto_switches_with_hysteresis_and_announces_each_change_once(parts):
    settings, recorder, bus, clock, _, night, _ = parts
    night_settings(settings, mode="auto", dark_below=40, bright_above=90, check_seconds=5, min_switch_seconds=0)
    frames = recorder.cameras["cam"]
    night.step()
    assert night.camera_state("cam")["active"] is False and night.camera_state("cam")["brightness"] == 128
    frames.level = 20
    clock.advance(5)
    night.step()
    state = night.camera_state("cam")
    assert state["active"] is True and state["reason"] == "dark: brightness 20 below 40"
    # Brighter, but not past bright_above: it stays night (no flapping around one threshold).
    for level in (60, 45, 85, 35):
        frames.level = level
        clock.advance(5)
        night.step()
        assert night.camera_state("cam")["active"] is True
    frames.level = 120
    clock.advance(5)
    night.step()
    assert night.camera_state("cam")["active"] is False
    assert recorder.switches == [("cam", True), ("cam", False)]
    assert [m["active"] for m in messages(bus)] == [True, False]
    assert messages(bus)[1]["reason"] == "light: brightness 120 above 90"


def test_frames_are_sampled_at_most_every_check_seconds(parts):
    settings, recorder, _, clock, _, night, _ = parts
    night_settings(settings, mode="auto", check_seconds=10)
    for _ in range(5):
        night.step()
        clock.advance(2)
    assert recorder.cameras["cam"].reads == 1  # 8 s: one sample
    clock.advance(2)
    night.step()
    assert recorder.cameras["cam"].reads == 2


def test_no_switch_sooner_than_min_switch_seconds(parts):
    settings, recorder, _, clock, _, night, _ = parts
    night_settings(settings, mode="auto", check_seconds=5, min_switch_seconds=60)
    frames = recorder.cameras["cam"]
    frames.level = 10
    night.step()
    assert night.camera_state("cam")["active"] is True
    frames.level = 200
    clock.advance(30)
    night.step()
    assert night.camera_state("cam")["active"] is True
    clock.advance(31)
    night.step()
    assert night.camera_state("cam")["active"] is False


def test_schedule_across_midnight(parts):
    settings, recorder, _, _, _, night, hour = parts
    night_settings(settings, mode="schedule", start="20:00", end="06:00")
    for value, active in ((12, False), (21, True), (3, True), (6, False)):
        hour["value"] = value
        night.step()
        assert night.camera_state("cam")["active"] is active, value
    assert night.camera_state("cam")["reason"] == "outside the schedule 20:00-06:00"
    assert recorder.cameras["cam"].reads == 0  # a schedule never looks at the picture
    assert in_window(23 * 60, "22:00", "23:30") and not in_window(23 * 60 + 31, "22:00", "23:30")


def test_ir_output_follows_night_on_its_pin(parts):
    settings, _, _, _, pins, night, _ = parts
    night_settings(settings, mode="on", ir_gpio=17)
    night.step()
    assert pins.pin(17).state is True and night.camera_state("cam")["ir"] is True
    night_settings(settings, mode="off", ir_gpio=17)
    night.step()
    assert pins.pin(17).state is False
    # An IR-cut filter driven low at night, on another pin: the old pin is let go.
    night_settings(settings, mode="on", ir_gpio=27, ir_active_high=False)
    night.step()
    assert pins.pin(27).state is False and night.camera_state("cam")["ir"] is True
    assert pins.pin(17).function == "input"  # closed: gpiozero returns a released pin to input


def test_status_for_system_info(parts):
    settings, _, bus, _, _, night, _ = parts
    night.step()
    assert night.status() == {"enabled": False, "active": False, "reason": "night mode is off",
                              "cameras": {"cam": night.camera_state("cam")}}
    night_settings(settings, mode="on")
    night.step()
    night.step()
    assert night.status()["active"] is True and len(messages(bus)) == 1
