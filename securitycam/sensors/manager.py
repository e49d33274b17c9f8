"""The sensor manager: arms the configured sensors and turns their signals into events.

State, per sensor (what ``/sensor/status`` and the SSE ``sensor_state`` message show):

- ``enabled``: the owner turned it on; ``armed``: its pin is claimed and being watched.
- ``triggered``: its conditioned signal is active (door open, motion, vibration pulses).
- ``suppressed``: it triggered while someone was home (and ``ignore_presence`` is off), so no event.
- ``recording_from_sensor``: the event it opened is still open (while triggered and during the hold).
- ``simulated``: no real part can trigger it: the mock sensor, or a pin on a machine with no GPIO
  (gpiozero mock pins; see :mod:`securitycam.sensors.simulated`).

A trigger opens an event (source ``sensor``, label = the type) on the camera the sensor is bound
to; the recorder, listening to the :class:`~securitycam.store.events.EventStore`, keeps the footage.
A release starts the ``hold_seconds`` timer; a trigger within it continues the same event; the
event ends when the timer runs out. The manager ends only events it opened, so a manual recording
is never cut short by a sensor.

Threads: gpiozero calls the drivers from its own thread, which only puts ``(edge, time)`` on this
manager's queue. One manager thread takes edges off the queue, runs the drivers' signal logic and
the timers, writes events and publishes states; configuration changes (from the settings store)
are applied under the same lock by the thread that made them.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from gpiozero import DigitalInputDevice, GPIOZeroError
from gpiozero.pins import Factory
from gpiozero.pins.mock import MockFactory

from securitycam.bus import SENSOR_STATE, EventBus
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.config.models import SensorSettings, Settings
from securitycam.config.store import SettingRefused
from securitycam.sensors.base import CalibrationError, SensorDriver, sensor_types
from securitycam.sensors.presence import NobodyHome, PresenceCheck
from securitycam.store.events import EventStore

log = logging.getLogger(__name__)

_STOP = object()


class SensorConfigError(ValueError):
    """A sensor configuration that cannot be used; ``field`` names the culprit."""

    def __init__(self, field: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.field = field
        self.extra = extra


class SensorUnavailable(RuntimeError):
    """The asked-for sensor is not in a state to do that (not configured, not the mock, not armed)."""


def check_sensor(config: SensorSettings, others: Iterable[SensorSettings] = ()) -> SensorSettings:
    """``config`` made ready to save: type known, calibration valid, its pin free among ``others``.

    Raises :class:`SensorConfigError`; an unknown type's error carries the ``available`` types.
    """
    types = sensor_types()
    driver = types.get(config.type)
    if driver is None:
        raise SensorConfigError("type", f"unknown sensor type {config.type!r}", available=list(types))
    gpio = None if driver.default_gpio is None else config.gpio
    if gpio is None and driver.default_gpio is not None:
        gpio = driver.default_gpio
    if gpio is not None:
        for other in others:
            uses_pin = other.type in types and types[other.type].default_gpio is not None
            if other.id != config.id and uses_pin and other.gpio == gpio:
                raise SensorConfigError("gpio", f"GPIO {gpio} is already used by sensor {other.id!r}")
    try:
        calibration = driver.check_calibration(config.calibration)
    except CalibrationError as exc:
        raise SensorConfigError(f"calibration.{exc.key}", str(exc)) from exc
    return config.model_copy(update={"gpio": gpio, "calibration": calibration})


@dataclass(eq=False)
class SensorRuntime:
    """One configured sensor and what is happening to it now."""

    config: SensorSettings
    simulated: bool = False
    driver: SensorDriver | None = None
    error: str | None = None
    triggered: bool = False
    suppressed: bool = False
    event_id: str | None = None
    hold_until: float | None = None

    @property
    def armed(self) -> bool:
        return self.driver is not None

    def deadline(self) -> float | None:
        candidates = [self.hold_until, self.driver.deadline() if self.driver else None]
        return min((d for d in candidates if d is not None), default=None)

    def status(self, now: float) -> dict[str, Any]:
        return {
            "id": self.config.id,
            "enabled": self.config.enabled,
            "armed": self.armed,
            "triggered": self.triggered,
            "suppressed": self.suppressed,
            "recording_from_sensor": self.event_id is not None,
            "simulated": self.simulated,
            "event_id": self.event_id,
            "hold_remaining": None if self.hold_until is None else round(max(0.0, self.hold_until - now), 3),
            "error": self.error,
            "config": self.config.model_dump(mode="json"),
        }


class SensorManager:
    """Arms every sensor in ``settings`` and keeps them in step with its changes.

    ``pin_factory`` is gpiozero's (``None``: its default, lgpio on a Pi; tests pass a
    ``MockFactory``). ``presence`` is asked at each trigger whether to suppress it.
    """

    def __init__(
        self,
        settings: SettingsStore,
        events: EventStore,
        bus: EventBus,
        clock: Clock,
        pin_factory: Factory | None,
        presence: PresenceCheck | None = None,
    ) -> None:
        self._settings = settings
        self._events = events
        self._bus = bus
        self._clock = clock
        self.pin_factory = pin_factory
        self.presence = presence or NobodyHome()
        self._runtimes: dict[str, SensorRuntime] = {}
        self._lock = threading.RLock()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        settings.on_change(self._settings_changed)
        settings.add_check(self._check_changed_sensors)

    def _check_changed_sensors(self, new: Settings) -> None:
        """Refuse a sensor changed through the settings (``POST /settings``, an import, the seed's
        ``Sensor``) that ``/sensor/configure`` would refuse: unknown type, bad calibration, a pin taken.
        Sensors left as they were pass, so one saved by another version blocks no other change."""
        before = {sensor.id: sensor.model_dump() for sensor in self._settings.get().Sensors}
        for index, sensor in enumerate(new.Sensors):
            if before.get(sensor.id) == sensor.model_dump():  # not ==: the shared copy's read-only flag differs
                continue
            try:
                check_sensor(sensor, new.Sensors)
            except SensorConfigError as exc:
                raise SettingRefused(f"Sensors.{index}.{exc.field}", str(exc)) from exc

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sensor-manager", daemon=True)
        with self._lock:
            self._apply(self._settings.get().Sensors)
        self._thread.start()

    def stop(self) -> None:
        """Release every pin and end the events still open (their footage is kept)."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            for runtime in self._runtimes.values():
                self._disarm(runtime)
                self._end_event(runtime)
            self._runtimes = {}

    def sync(self, timeout: float = 2.0) -> bool:
        """Wait until the manager has handled everything queued so far and any timers now due.

        After a :class:`~securitycam.clock.ManualClock` moves, this is also what wakes the thread.
        """
        if self._thread is None:
            return False
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    # -- reading ----------------------------------------------------------------------------------
    def status(self, sensor_id: str | None = None) -> dict[str, Any] | None:
        """One sensor's state (the first sensor's without an id); ``None`` if there is no such sensor."""
        with self._lock:
            runtime = self._find(sensor_id)
            return None if runtime is None else runtime.status(self._clock.monotonic())

    def statuses(self) -> list[dict[str, Any]]:
        with self._lock:
            now = self._clock.monotonic()
            return [runtime.status(now) for runtime in self._runtimes.values()]

    def test_pin(self, type_name: str, gpio: int | None) -> dict[str, Any]:
        """The raw level on ``gpio`` read with ``type_name``'s pull, without disturbing a sensor on it.

        A pin a running sensor holds is read through that sensor's device (reading an input
        changes nothing); a free pin is claimed just for the reading. ``would_trigger`` says
        whether the level means "triggered" for the type, before any ``invert_logic``. A type that
        reads no pin (``mock``) has nothing to read: every reading is ``None``.
        """
        driver_class = sensor_types().get(type_name)
        if driver_class is None:
            raise SensorConfigError("type", f"unknown sensor type {type_name!r}", available=list(sensor_types()))
        if driver_class.default_gpio is None or gpio is None:
            return {"success": True, "type": type_name, "gpio": None, "level": None, "value": None,
                    "would_trigger": None, "in_use_by": None}
        with self._lock:
            owner = next(
                (rt for rt in self._runtimes.values() if rt.driver is not None and rt.driver.gpio == gpio), None
            )
            if owner is not None:
                level = owner.driver.read_level()  # type: ignore[union-attr]
            else:
                try:
                    probe = DigitalInputDevice(gpio, pull_up=driver_class.pull_up, pin_factory=self.pin_factory)
                except GPIOZeroError as exc:
                    raise SensorUnavailable(f"GPIO {gpio} cannot be read: {exc}") from exc
                try:
                    level = bool(probe.pin.state)
                finally:
                    probe.close()
        return {
            "success": True,
            "type": type_name,
            "gpio": gpio,
            "level": "HIGH" if level else "LOW",
            "value": int(bool(level)),
            "would_trigger": bool(level) == driver_class.trigger_high,
            "in_use_by": owner.config.id if owner else None,
        }

    # -- the mock sensor --------------------------------------------------------------------------
    def mock(self, active: bool, sensor_id: str | None = None) -> dict[str, Any]:
        """Trigger (``active``) or release the mock sensor; returns its state once handled."""
        with self._lock:
            runtime = self._find(sensor_id)
            if runtime is None or runtime.config.type != "mock":
                raise SensorUnavailable("the mock sensor is not active (configure type 'mock' first)")
            if runtime.driver is None:
                raise SensorUnavailable("the mock sensor is disabled (POST /sensor/enable)")
            runtime.driver.set_active(active)  # type: ignore[attr-defined]
        self.sync()
        return self.status(sensor_id) or {}

    # -- configuration ----------------------------------------------------------------------------
    def _settings_changed(self, old: Settings, new: Settings) -> None:
        # Before start() nothing is armed; start() reads the settings as they are then.
        if old.Sensors != new.Sensors and self._thread is not None:
            with self._lock:
                self._apply(new.Sensors)
            self._queue.put(None)  # the thread's next deadline may have moved

    def _apply(self, configs: list[SensorSettings]) -> None:
        """Make the running sensors match ``configs``; unchanged ones are not touched.

        A changed sensor keeps its open event if it stays enabled, of the same type, on the same
        camera: the change counts as a release (the hold starts, with the new ``hold_seconds``),
        and if the new driver reads triggered at once the event simply continues.
        """
        now = self._clock.monotonic()
        wanted = {config.id: config for config in configs}
        changed = [
            runtime
            for sensor_id, runtime in self._runtimes.items()
            if wanted.get(sensor_id) != runtime.config or runtime.error is not None
        ]
        # Free every pin first: two sensors may be swapping pins.
        for runtime in changed:
            self._disarm(runtime)
        rebuilt: dict[str, SensorRuntime] = {}
        for sensor_id, config in wanted.items():
            current = self._runtimes.get(sensor_id)
            if current is not None and current not in changed:
                rebuilt[sensor_id] = current
                continue
            runtime = SensorRuntime(config, simulated=self._simulated(config))
            if current is not None and current.event_id is not None:
                same_recording = (config.camera, config.type) == (current.config.camera, current.config.type)
                if config.enabled and same_recording:
                    runtime.event_id = current.event_id
                    self._start_hold(runtime, now)
                else:
                    self._end_event(current)
            rebuilt[sensor_id] = runtime
            if config.enabled:
                self._arm(runtime, now)
        for sensor_id, runtime in self._runtimes.items():
            if sensor_id not in wanted:
                self._end_event(runtime)
                self._publish(runtime, now, removed=True)
        previous, self._runtimes = self._runtimes, rebuilt
        for sensor_id, runtime in rebuilt.items():
            if runtime is not previous.get(sensor_id):
                self._publish(runtime, now)

    def _arm(self, runtime: SensorRuntime, now: float) -> None:
        driver_class = sensor_types().get(runtime.config.type)
        if driver_class is None:
            runtime.error = f"unknown sensor type {runtime.config.type!r}"
            log.error("sensor %s: %s", runtime.config.id, runtime.error)
            return
        try:
            calibration = driver_class.check_calibration(runtime.config.calibration)
            driver = driver_class(
                runtime.config.gpio,
                calibration,
                runtime.config.invert_logic,
                self.pin_factory,
                partial(self._enqueue, runtime),
            )
            first = driver.open()
        except (GPIOZeroError, ValueError, OSError) as exc:
            runtime.error = f"cannot arm {runtime.config.type} on GPIO {runtime.config.gpio}: {exc}"
            log.error("sensor %s: %s", runtime.config.id, runtime.error)
            return
        runtime.driver = driver
        pin = "no pin" if runtime.config.gpio is None else f"GPIO {runtime.config.gpio}"
        if runtime.simulated and runtime.config.gpio is not None:
            level = "HIGH" if driver.read_level() else "LOW"
            pin += f", simulated: this machine has no GPIO; the pin reads {level} and nothing wired triggers it"
        log.info("sensor %s armed: %s (%s)", runtime.config.id, runtime.config.type, pin)
        if driver.start(first, now):
            self._signal(runtime, True, now)

    def _simulated(self, config: SensorSettings) -> bool:
        driver_class = sensor_types().get(config.type)
        if driver_class is None:
            return False
        return driver_class.default_gpio is None or isinstance(self.pin_factory, MockFactory)

    def _disarm(self, runtime: SensorRuntime) -> None:
        if runtime.driver is not None:
            runtime.driver.close()
            runtime.driver = None
        runtime.triggered = runtime.suppressed = False

    # -- the manager's thread ---------------------------------------------------------------------
    def _enqueue(self, runtime: SensorRuntime, driver: SensorDriver, active: bool) -> None:
        """Called on gpiozero's thread (or by the mock): timestamp and hand over, nothing else."""
        self._queue.put((runtime, driver, active, self._clock.monotonic()))

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._wait_time())
            except queue.Empty:
                item = None
            if item is _STOP:
                return
            try:
                with self._lock:
                    if isinstance(item, tuple):
                        self._edge(*item)
                    self._run_timers(self._clock.monotonic())
            except Exception:
                log.exception("sensor manager failed handling %r", item)
            if isinstance(item, threading.Event):
                item.set()

    def _wait_time(self) -> float | None:
        with self._lock:
            deadline = min((d for rt in self._runtimes.values() if (d := rt.deadline()) is not None), default=None)
        return None if deadline is None else max(0.0, deadline - self._clock.monotonic())

    def _edge(self, runtime: SensorRuntime, driver: SensorDriver, active: bool, at: float) -> None:
        if runtime.driver is not driver or self._runtimes.get(runtime.config.id) is not runtime:
            return  # an edge from a driver closed since; it no longer speaks for this sensor
        change = driver.feed(active, at)
        if change is not None:
            self._signal(runtime, change, at)

    def _run_timers(self, now: float) -> None:
        for runtime in self._runtimes.values():
            driver_deadline = runtime.driver.deadline() if runtime.driver else None
            if driver_deadline is not None and driver_deadline <= now:
                change = runtime.driver.expire(now)  # type: ignore[union-attr]
                if change is not None:
                    self._signal(runtime, change, now)
            if runtime.hold_until is not None and runtime.hold_until <= now:
                self._end_event(runtime)
                self._publish(runtime, now)

    def _signal(self, runtime: SensorRuntime, active: bool, now: float) -> None:
        runtime.triggered = active
        if active:
            runtime.hold_until = None
            if runtime.event_id is None:
                self._open_event(runtime)
        else:
            runtime.suppressed = False
            if runtime.event_id is not None:
                self._start_hold(runtime, now)
        self._publish(runtime, now)

    def _open_event(self, runtime: SensorRuntime) -> None:
        config = runtime.config
        if not config.ignore_presence and self.presence.anyone_home():
            runtime.suppressed = True
            log.info("sensor %s triggered while someone is home: suppressed", config.id)
            return
        event = self._events.open(
            config.camera,
            "sensor",
            config.type,
            sub_label=config.name or config.id,
            data={"sensor_id": config.id, "gpio": config.gpio},
        )
        runtime.event_id = event.id

    def _start_hold(self, runtime: SensorRuntime, now: float) -> None:
        if runtime.config.hold_seconds > 0:
            runtime.hold_until = now + runtime.config.hold_seconds
        else:
            self._end_event(runtime)

    def _end_event(self, runtime: SensorRuntime) -> None:
        if runtime.event_id is not None:
            self._events.end(runtime.event_id)
        runtime.event_id = None
        runtime.hold_until = None

    def _publish(self, runtime: SensorRuntime, now: float, removed: bool = False) -> None:
        self._bus.publish(SENSOR_STATE, {**runtime.status(now), "removed": removed})

    def _find(self, sensor_id: str | None) -> SensorRuntime | None:
        if sensor_id is None:
            return next(iter(self._runtimes.values()), None)
        return self._runtimes.get(sensor_id)


def use_mock_sensor(settings: SettingsStore) -> None:
    """Make the first sensor the enabled mock: a fresh appliance with no Pi hardware runs the demo on it."""

    def to_mock(draft: Settings) -> None:
        first = draft.Sensors[0].model_copy(update={"type": "mock", "gpio": None, "enabled": True, "calibration": {}})
        draft.Sensors = [first, *draft.Sensors[1:]]

    settings.modify(to_mock)
    log.info("no Raspberry Pi hardware: the first sensor is the mock sensor (POST /sensor/mock/trigger)")
