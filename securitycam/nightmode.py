"""Night mode: each camera switches to its night picture profile when it is dark, or by the clock.

A worker thread looks at each camera every few seconds (``night.check_seconds``, off every hot
path): with ``mode: auto`` it decodes the recorder's latest JPEG in grey at 1/8 scale (a few ms)
and compares its mean brightness with two thresholds, so a picture hovering around one level does
not flap (hysteresis: dark below ``dark_below``, bright again only above ``bright_above``, and no
switch sooner than ``min_switch_seconds`` after the last); ``schedule`` is night between two
local times; ``on`` and ``off`` force it. A switch tells the recorder, which restarts that camera
alone with ``night.isp`` (monochrome, long exposure by default) in place of ``isp``, drives the
camera's IR output (an IR LED or an IR-cut filter on ``night.ir_gpio``, through gpiozero and the
appliance's pin factory) and publishes ``night_mode`` on the bus (SSE). ``status()`` is the
``night_mode`` of ``/system_info``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpiozero import GPIOZeroError, OutputDevice

from securitycam.bus import NIGHT_MODE, EventBus
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.config.models import CameraSettings
from securitycam.config.picture import NightSettings
from securitycam.imaging import ImageError, mean_brightness
from securitycam.worker import PeriodicWorker

if TYPE_CHECKING:
    from gpiozero.pins import Factory

    from securitycam.recorder import Recorder

log = logging.getLogger(__name__)

# How often the worker looks when no camera samples frames (schedules are minute-precise).
IDLE_INTERVAL = 30.0


@dataclass
class CameraNight:
    active: bool = False
    reason: str = "night mode is off"
    brightness: float | None = None
    sampled_at: float | None = None
    switched_at: float | None = None


def in_window(minute_of_day: int, start: str, end: str) -> bool:
    """Whether ``minute_of_day`` falls in ``[start, end)`` (``HH:MM``); a window across midnight wraps."""
    begin, finish = (int(value[:2]) * 60 + int(value[3:]) for value in (start, end))
    if begin <= finish:
        return begin <= minute_of_day < finish
    return minute_of_day >= begin or minute_of_day < finish


class NightMode:
    """The night-mode service of the appliance (``start``/``stop``), one state per camera."""

    def __init__(
        self,
        settings: SettingsStore,
        recorder: Recorder,
        bus: EventBus,
        clock: Clock,
        pin_factory: Factory | None,
        local_time: Callable[[float], time.struct_time] = time.localtime,
    ) -> None:
        self._settings = settings
        self._recorder = recorder
        self._bus = bus
        self._clock = clock
        self._pin_factory = pin_factory
        self._local_time = local_time
        self._lock = threading.Lock()
        self._states: dict[str, CameraNight] = {}
        self._outputs: dict[str, OutputDevice] = {}
        self._worker = PeriodicWorker("night-mode", self.step, self._interval, immediately=True)
        settings.on_change(lambda _old, _new: self._worker.wake())

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()
        with self._lock:
            outputs, self._outputs = self._outputs, {}
        for output in outputs.values():
            output.close()

    def _interval(self) -> float:
        sampling = [c.night.check_seconds for c in self._settings.get().Cameras if c.night.mode == "auto"]
        return min(sampling, default=IDLE_INTERVAL)

    # -- deciding ----------------------------------------------------------------------------

    def step(self) -> None:
        """Decide each camera's night state now, and switch those whose state changed."""
        now = self._clock.time()
        cameras = self._settings.get().Cameras
        for camera in cameras:
            with self._lock:
                state = self._states.setdefault(camera.name, CameraNight())
            wanted, reason = self._decide(camera, state, now)
            if wanted != state.active:
                self._switch(camera, state, wanted, reason, now)
            elif reason:
                state.reason = reason
            self._drive_ir(camera, state.active)
        with self._lock:
            for gone in self._states.keys() - {camera.name for camera in cameras}:
                del self._states[gone]

    def _decide(self, camera: CameraSettings, state: CameraNight, now: float) -> tuple[bool, str]:
        """The state ``camera`` should be in, and why ("" when the reason is unchanged)."""
        night = camera.night
        if night.mode == "off":
            return False, "night mode is off"
        if night.mode == "on":
            return True, "night mode is forced on"
        if night.mode == "schedule":
            moment = self._local_time(now)
            inside = in_window(moment.tm_hour * 60 + moment.tm_min, night.start, night.end)
            return inside, f"{'inside' if inside else 'outside'} the schedule {night.start}-{night.end}"
        return self._decide_by_light(camera, night, state, now)

    def _decide_by_light(self, camera: CameraSettings, night: NightSettings, state: CameraNight,
                         now: float) -> tuple[bool, str]:
        if state.sampled_at is not None and now - state.sampled_at < night.check_seconds * 0.9:
            return state.active, ""
        recorder = self._recorder.cameras.get(camera.name)
        frame = recorder.latest_frame() if recorder is not None else None
        if frame is None:  # no picture (camera starting or failed): keep what we have
            return state.active, "" if state.brightness is not None else "waiting for a frame"
        try:
            brightness = mean_brightness(frame)
        except ImageError as exc:
            log.warning("night mode: camera %s: %s", camera.name, exc)
            return state.active, ""
        state.brightness, state.sampled_at = round(brightness, 1), now
        settled = state.switched_at is None or now - state.switched_at >= night.min_switch_seconds
        if not state.active and brightness < night.dark_below and settled:
            return True, f"dark: brightness {brightness:.0f} below {night.dark_below:g}"
        if state.active and brightness > night.bright_above and settled:
            return False, f"light: brightness {brightness:.0f} above {night.bright_above:g}"
        if state.active:
            return True, f"dark: brightness {brightness:.0f}, day above {night.bright_above:g}"
        return False, f"light: brightness {brightness:.0f}, night below {night.dark_below:g}"

    # -- switching ---------------------------------------------------------------------------

    def _switch(self, camera: CameraSettings, state: CameraNight, active: bool, reason: str, now: float) -> None:
        state.active, state.reason, state.switched_at = active, reason, now
        log.info("night mode %s for camera %s (%s)", "on" if active else "off", camera.name, reason)
        self._recorder.set_night(camera.name, active)
        self._bus.publish(NIGHT_MODE, {"camera": camera.name, "active": active, "reason": reason})

    def _drive_ir(self, camera: CameraSettings, active: bool) -> None:
        """Keep the camera's IR output on its pin and at its level (a changed pin moves it)."""
        night = camera.night
        with self._lock:
            output = self._outputs.get(camera.name)
            wanted = (night.ir_gpio, night.ir_active_high)
            if output is not None and (output.pin.info.number, output.active_high) != wanted:
                del self._outputs[camera.name]
                output.close()
                output = None
            if output is None and night.ir_gpio is not None:
                try:
                    output = OutputDevice(night.ir_gpio, active_high=night.ir_active_high, initial_value=False,
                                          pin_factory=self._pin_factory)
                except GPIOZeroError as exc:
                    log.error("night mode: camera %s: IR output on GPIO %s: %s", camera.name, night.ir_gpio, exc)
                    return
                self._outputs[camera.name] = output
        if output is not None and output.value != int(active):
            output.value = active

    # -- reading -----------------------------------------------------------------------------

    def camera_state(self, name: str) -> dict[str, Any]:
        camera = next((c for c in self._settings.get().Cameras if c.name == name), None)
        with self._lock:
            state = self._states.get(name) or CameraNight()
            ir = self._outputs.get(name)
            return {
                "enabled": camera is not None and camera.night.mode != "off",
                "mode": camera.night.mode if camera is not None else "off",
                "active": state.active,
                "reason": state.reason,
                "brightness": state.brightness,
                "ir": bool(ir.value) if ir is not None else None,
            }

    def status(self) -> dict[str, Any]:
        """``/system_info``'s ``night_mode``: the first camera's state, and every camera's."""
        cameras = {camera.name: self.camera_state(camera.name) for camera in self._settings.get().Cameras}
        first = next(iter(cameras.values()))
        return {**{key: first[key] for key in ("enabled", "active", "reason")}, "cameras": cameras}
